import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../fs-atomic';

/**
 * The guard's local knowledge of every agent's memory: for each agent (node + id) its names, and
 * for each of its memory files the shingle hashes of its newest known version, merged into one
 * sorted posting list (hash → file). A save is checked against it with binary searches: no round
 * trip, well under a millisecond for a fleet of 100 agents. Kept in `<ocm home>/guard/
 * fingerprints.json`, owner-only (hashes only, but they still describe private memories).
 */

export const INDEX_FORMAT = 1;

export interface IndexedAgent {
  nodeId: string;
  agentId: string;
  workspace: string;
  isDefault?: boolean;
  /** Configured name and IDENTITY.md name (usable ones only). */
  names: string[];
}

export interface IndexedFile {
  /** Position in `agents`. */
  agent: number;
  remotePath: string;
  relativePath: string;
  sha256: string;
  /** Where this version was read: a snapshot id, a history entry id, or the node itself (`live`, a background read). */
  from: { snapshotId?: string; historyId?: string; live?: boolean };
  timeMs: number;
}

export interface FingerprintIndex {
  builtAt: number;
  agents: IndexedAgent[];
  files: IndexedFile[];
  /** Sorted shingle hashes; `postings[i]` is the file (position in `files`) holding `hashes[i]`. */
  hashes: Uint32Array;
  postings: Uint32Array;
}

export function guardIndexPath(home: string): string {
  return join(home, 'guard', 'fingerprints.json');
}

/** Merges per-file shingle sets into the sorted posting arrays. */
export function buildPostings(perFile: readonly Set<number>[]): { hashes: Uint32Array; postings: Uint32Array } {
  let total = 0;
  for (const s of perFile) total += s.size;
  // Pack (hash, file) into one float64-safe number: hash * 2^20 + file (≤ 1M files).
  const packed = new Float64Array(total);
  let i = 0;
  perFile.forEach((set, file) => {
    for (const h of set) packed[i++] = h * 1048576 + file;
  });
  packed.sort();
  const hashes = new Uint32Array(total);
  const postings = new Uint32Array(total);
  for (let j = 0; j < total; j++) {
    const v = packed[j]!;
    const h = Math.floor(v / 1048576);
    hashes[j] = h;
    postings[j] = v - h * 1048576;
  }
  return { hashes, postings };
}

/** Files holding `hash`: the range [from, to) of `postings`. */
export function lookup(index: Pick<FingerprintIndex, 'hashes'>, hash: number): [number, number] {
  const a = index.hashes;
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < hash) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < a.length && a[end] === hash) end++;
  return [lo, end];
}

export function emptyIndex(): FingerprintIndex {
  return { builtAt: 0, agents: [], files: [], hashes: new Uint32Array(0), postings: new Uint32Array(0) };
}

export async function saveIndex(home: string, index: FingerprintIndex): Promise<void> {
  const file = guardIndexPath(home);
  await fs.mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await fs.chmod(dirname(file), 0o700);
  const doc = {
    format: INDEX_FORMAT,
    builtAt: index.builtAt,
    agents: index.agents,
    files: index.files,
    hashes: Buffer.from(index.hashes.buffer, index.hashes.byteOffset, index.hashes.byteLength).toString('base64'),
    postings: Buffer.from(index.postings.buffer, index.postings.byteOffset, index.postings.byteLength).toString('base64'),
  };
  await writeFileAtomic(file, JSON.stringify(doc) + '\n', 0o600);
}

/** The index on disk; an empty one when it is missing, unreadable or of another format (it is rebuilt). */
export async function loadIndex(home: string): Promise<FingerprintIndex> {
  try {
    const doc = JSON.parse(await fs.readFile(guardIndexPath(home), 'utf8')) as {
      format?: number;
      builtAt: number;
      agents: IndexedAgent[];
      files: IndexedFile[];
      hashes: string;
      postings: string;
    };
    if (doc.format !== INDEX_FORMAT || !Array.isArray(doc.agents) || !Array.isArray(doc.files)) return emptyIndex();
    const hashes = u32FromBase64(doc.hashes);
    const postings = u32FromBase64(doc.postings);
    if (hashes.length !== postings.length) return emptyIndex();
    return { builtAt: doc.builtAt, agents: doc.agents, files: doc.files, hashes, postings };
  } catch {
    return emptyIndex();
  }
}

/** 32-bit values saved as base64 (the index file, the stock shingles). */
export function u32FromBase64(b64: string): Uint32Array {
  const buf = Buffer.from(b64, 'base64');
  const out = new Uint32Array(buf.length / 4);
  Buffer.from(out.buffer).set(buf);
  return out;
}
