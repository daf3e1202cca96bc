import { lookup, type FingerprintIndex, type IndexedFile } from './fingerprint-index';
import { identityStatement, namePattern, usableName } from './identity';
import { shingleList, tokenize } from './shingles';
import { isStockShingle } from './stock';

/**
 * The mix-up check of one save into agent X's MEMORY.md, SOUL.md, IDENTITY.md or USER.md. Only
 * text the save brings in counts (shingles of the new content that the node's current content
 * does not have). A shingle is X's own when any of X's files holds it, shared boilerplate when two
 * or more other agents hold it or OpenClaw's own workspace templates have it (stock.ts); what is
 * left and belongs to exactly one other agent Y is Y's text.
 * The save is stopped when
 *  - overlap: at least OVERLAP_MIN of Y's shingles come in, or at least RATIO_MIN_SHINGLES making
 *    up half of the new foreign-or-unknown text (a short pasted paragraph);
 *  - identity: none of X's names is in the new content, and an added line says the file is Y's
 *    ("I am Y", "You are Y", "Name: Y", "私はY"): merely mentioning a colleague is fine.
 * Pure and synchronous: the caller has the index in memory and the current bytes from the save.
 */

export const OVERLAP_MIN = 24;
export const RATIO_MIN_SHINGLES = 10;
export const RATIO = 0.5;

export interface MixupTarget {
  nodeId: string;
  agentId: string;
  /** `MEMORY.md`, `SOUL.md`, ... relative to the workspace. */
  relativePath: string;
  /** X's names when the index does not know X yet (the configured name). */
  names?: string[];
}

export interface MixupFinding {
  kind: 'overlap' | 'identity';
  other: { nodeId: string; agentId: string; name?: string };
  /** The other agent's file the text matches (overlap). */
  file?: Pick<IndexedFile, 'remotePath' | 'relativePath' | 'sha256' | 'from'>;
  /** Matching shingles (five-word phrases) and the new text's shingles considered. */
  matched?: number;
  considered?: number;
  /** The other agent's name found (identity). */
  name?: string;
  /** 1-based line numbers of the new content that matched, and a few of those lines. */
  lines: number[];
  excerpt: string[];
}

export interface MixupVerdict {
  ok: boolean;
  findings: MixupFinding[];
}

export function checkMixup(index: FingerprintIndex, target: MixupTarget, content: string, previous: string | undefined): MixupVerdict {
  const selfIndex = index.agents.findIndex((a) => a.nodeId === target.nodeId && a.agentId === target.agentId);
  const tokens = tokenize(content);
  const list = shingleList(tokens);
  const old = new Set(previous ? shingleList(tokenize(previous)).hashes : []);
  const findings: MixupFinding[] = [];

  // Overlap: new shingles credited to exactly one other agent.
  const perAgent = new Map<number, { files: Map<number, number>; starts: number[] }>();
  let considered = 0;
  const seen = new Set<number>();
  for (let i = 0; i < list.hashes.length; i++) {
    const h = list.hashes[i]!;
    if (old.has(h) || seen.has(h)) continue;
    seen.add(h);
    if (isStockShingle(h)) continue;
    const [from, to] = lookup(index, h);
    let own = false;
    let other = -1;
    let file = -1;
    let others = 0;
    for (let j = from; j < to; j++) {
      const f = index.postings[j]!;
      const a = index.files[f]!.agent;
      if (a === selfIndex) {
        own = true;
        break;
      }
      if (a !== other) {
        if (other === -1) {
          other = a;
          file = f;
          others = 1;
        } else others++;
      }
    }
    if (own || others >= 2) continue;
    considered++;
    if (other === -1) continue;
    let entry = perAgent.get(other);
    if (!entry) perAgent.set(other, (entry = { files: new Map(), starts: [] }));
    entry.files.set(file, (entry.files.get(file) ?? 0) + 1);
    entry.starts.push(list.starts[i]!);
  }
  for (const [agent, m] of perAgent) {
    const matched = m.starts.length;
    if (matched < OVERLAP_MIN && !(matched >= RATIO_MIN_SHINGLES && matched / considered >= RATIO)) continue;
    const best = [...m.files.entries()].sort((x, y) => y[1] - x[1])[0]![0];
    const lines = new Set<number>();
    for (const s of m.starts) for (let k = 0; k < 5 && s + k < tokens.lines.length; k++) lines.add(tokens.lines[s + k]! + 1);
    const a = index.agents[agent]!;
    const f = index.files[best]!;
    findings.push({
      kind: 'overlap',
      other: { nodeId: a.nodeId, agentId: a.agentId, ...(a.names[0] ? { name: a.names[0] } : {}) },
      file: { remotePath: f.remotePath, relativePath: f.relativePath, sha256: f.sha256, from: f.from },
      matched,
      considered,
      ...excerptOf(
        content,
        [...lines].sort((x, y) => x - y),
      ),
    });
  }

  findings.push(...identityFindings(index, selfIndex, target, content, previous));
  findings.sort((x, y) => (y.matched ?? 0) - (x.matched ?? 0));
  return { ok: findings.length === 0, findings };
}

function identityFindings(index: FingerprintIndex, selfIndex: number, target: MixupTarget, content: string, previous: string | undefined): MixupFinding[] {
  const selfNames = [...(selfIndex >= 0 ? index.agents[selfIndex]!.names : []), ...(target.names ?? [])].filter(usableName);
  if (selfNames.some((n) => namePattern(n).test(content))) return [];
  const oldLines = new Set((previous ?? '').split('\n'));
  const added = content
    .split('\n')
    .map((text, i) => ({ text, n: i + 1 }))
    .filter((l) => !oldLines.has(l.text));
  if (added.length === 0) return [];
  const lower = new Set(selfNames.map((n) => n.toLowerCase()));
  const out: MixupFinding[] = [];
  const reported = new Set<string>();
  index.agents.forEach((a, i) => {
    if (i === selfIndex) return;
    for (const name of a.names) {
      if (!usableName(name) || lower.has(name.toLowerCase()) || reported.has(name.toLowerCase())) continue;
      const re = identityStatement(name);
      const hits = added.filter((l) => re.test(l.text));
      if (hits.length === 0) continue;
      reported.add(name.toLowerCase());
      out.push({
        kind: 'identity',
        other: { nodeId: a.nodeId, agentId: a.agentId, name },
        name,
        lines: hits.map((h) => h.n),
        excerpt: hits.slice(0, 3).map((h) => h.text.trim().slice(0, 160)),
      });
    }
  });
  return out;
}

function excerptOf(content: string, lines: number[]): { lines: number[]; excerpt: string[] } {
  const all = content.split('\n');
  return { lines, excerpt: lines.slice(0, 4).map((n) => (all[n - 1] ?? '').trim().slice(0, 160)) };
}
