/**
 * Text fingerprints for the mix-up guard: the text is normalized (Unicode NFKC, lower case,
 * Markdown markers and punctuation dropped), cut into words (each CJK character is a word, so
 * Japanese memories fingerprint as well as English), and every run of SHINGLE_WORDS consecutive
 * words is hashed to 32 bits (FNV-1a). Two texts that share a pasted sentence share its shingles;
 * rewording a few words breaks only the shingles that cover them.
 */

export const SHINGLE_WORDS = 5;
/** Enough for a very long MEMORY.md; beyond it a file is fingerprinted by its first part only. */
export const MAX_SHINGLES_PER_FILE = 50_000;

const WORD = /[\p{L}\p{N}_]+/gu;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

export interface Tokenized {
  words: string[];
  /** Line number (0-based) of each word. */
  lines: number[];
}

export function tokenize(text: string): Tokenized {
  const words: string[] = [];
  const lines: number[] = [];
  const all = text.normalize('NFKC').toLowerCase().split('\n');
  for (let i = 0; i < all.length; i++) {
    for (const m of all[i]!.matchAll(WORD)) {
      const w = m[0];
      if (CJK.test(w)) {
        for (const ch of w) {
          words.push(ch);
          lines.push(i);
        }
      } else {
        words.push(w);
        lines.push(i);
      }
    }
  }
  return { words, lines };
}

export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Each shingle's hash and the first word it starts at (for pointing at lines). */
export function shingleList(t: Tokenized): { hashes: Uint32Array; starts: Uint32Array } {
  const n = Math.max(0, Math.min(t.words.length - SHINGLE_WORDS + 1, MAX_SHINGLES_PER_FILE));
  const hashes = new Uint32Array(n);
  const starts = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    hashes[i] = fnv1a(t.words.slice(i, i + SHINGLE_WORDS).join(' '));
    starts[i] = i;
  }
  return { hashes, starts };
}

/** The distinct shingle hashes of a text. */
export function shingleSet(text: string): Set<number> {
  return new Set(shingleList(tokenize(text)).hashes);
}
