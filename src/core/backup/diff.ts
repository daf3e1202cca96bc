import { diff as diffLib } from '../vendor';
import type { BackupIndex, IndexEntry } from './types';

/**
 * Comparing backups works on indexes only: paths with type, size, mode and sha256. Line counts
 * for changed text files are computed on request (`addLineCounts`) from the two archives' bytes.
 */

export interface DiffFile {
  path: string;
  type: IndexEntry['type'];
  size: number;
}

export interface ChangedFile {
  path: string;
  sizeA: number;
  sizeB: number;
  /** Set when only the permission bits differ. */
  modeOnly?: boolean;
  modeA?: number;
  modeB?: number;
  /** Lines added/removed (text files, after addLineCounts). */
  linesAdded?: number;
  linesRemoved?: number;
  /** Set by addLineCounts when a side is binary, too large, or the diff gave up (limits). */
  noLineCount?: 'binary' | 'tooLarge' | 'tooComplex';
}

export interface BackupDiff {
  added: DiffFile[];
  removed: DiffFile[];
  changed: ChangedFile[];
  unchanged: number;
}

/** Compared entries: everything but folders (they only hold the others). */
function comparable(entries: readonly IndexEntry[]): Map<string, IndexEntry> {
  const map = new Map<string, IndexEntry>();
  for (const e of entries) if (e.type !== 'directory') map.set(e.path, e);
  return map;
}

function sameContent(a: IndexEntry, b: IndexEntry): boolean {
  const fileA = a.type === 'file' || a.type === 'hardlink';
  const fileB = b.type === 'file' || b.type === 'hardlink';
  if (fileA !== fileB) return false;
  if (fileA) return a.sha256 === b.sha256 && a.size === b.size;
  return a.type === b.type && a.linkTarget === b.linkTarget;
}

/** Diff two entry lists (A = older/left, B = newer/right). Sorted by path. */
export function diffEntries(entriesA: readonly IndexEntry[], entriesB: readonly IndexEntry[]): BackupDiff {
  const a = comparable(entriesA);
  const b = comparable(entriesB);
  const result: BackupDiff = { added: [], removed: [], changed: [], unchanged: 0 };
  for (const [path, ea] of a) {
    const eb = b.get(path);
    if (!eb) {
      result.removed.push({ path, type: ea.type, size: ea.size });
      continue;
    }
    if (!sameContent(ea, eb)) result.changed.push({ path, sizeA: ea.size, sizeB: eb.size });
    else if (ea.mode !== eb.mode && ea.mode !== undefined && eb.mode !== undefined) {
      result.changed.push({ path, sizeA: ea.size, sizeB: eb.size, modeOnly: true, modeA: ea.mode, modeB: eb.mode });
    } else result.unchanged++;
  }
  for (const [path, eb] of b) if (!a.has(path)) result.added.push({ path, type: eb.type, size: eb.size });
  const byPath = (x: { path: string }, y: { path: string }): number => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0);
  result.added.sort(byPath);
  result.removed.sort(byPath);
  result.changed.sort(byPath);
  return result;
}

export function diffBackups(indexA: BackupIndex, indexB: BackupIndex): BackupDiff {
  return diffEntries(indexA.entries, indexB.entries);
}

export interface LineDiffLimits {
  /** Files larger than this are not line-diffed (default 2 MiB). */
  maxFileBytes?: number;
  /** jsdiff's edit-distance cap and time budget per file (pathological inputs). */
  maxEditLength?: number;
  timeoutMs?: number;
}

/** True when the bytes look like text (no NUL in the first 8 KB, valid-ish UTF-8). */
export function looksLikeText(data: Buffer): boolean {
  return !data.subarray(0, 8192).includes(0);
}

/** Lines added/removed between two texts; undefined when jsdiff hit its limits. */
export function countLines(textA: string, textB: string, limits: LineDiffLimits = {}): { linesAdded: number; linesRemoved: number } | undefined {
  const changes = diffLib().diffLines(textA, textB, { maxEditLength: limits.maxEditLength ?? 20_000, timeout: limits.timeoutMs ?? 2_000 });
  if (!changes) return undefined;
  let linesAdded = 0;
  let linesRemoved = 0;
  for (const c of changes) {
    if (c.added) linesAdded += c.count ?? 0;
    else if (c.removed) linesRemoved += c.count ?? 0;
  }
  return { linesAdded, linesRemoved };
}

/**
 * Fills linesAdded/linesRemoved of changed files, given a reader for each side (the archive, or
 * the live node). Readers get all paths at once so an archive is streamed only once.
 */
export async function addLineCounts(
  diff: BackupDiff,
  readA: (paths: string[]) => Promise<Map<string, Buffer>>,
  readB: (paths: string[]) => Promise<Map<string, Buffer>>,
  limits: LineDiffLimits = {},
): Promise<BackupDiff> {
  const maxFileBytes = limits.maxFileBytes ?? 2 * 1024 * 1024;
  const wanted = diff.changed.filter((c) => !c.modeOnly && c.sizeA <= maxFileBytes && c.sizeB <= maxFileBytes);
  for (const c of diff.changed) if (!c.modeOnly && !wanted.includes(c)) c.noLineCount = 'tooLarge';
  if (wanted.length === 0) return diff;
  const paths = wanted.map((c) => c.path);
  const [sideA, sideB] = await Promise.all([readA(paths), readB(paths)]);
  for (const c of wanted) {
    const a = sideA.get(c.path);
    const b = sideB.get(c.path);
    if (!a || !b || !looksLikeText(a) || !looksLikeText(b)) {
      c.noLineCount = 'binary';
      continue;
    }
    const counts = countLines(a.toString('utf8'), b.toString('utf8'), limits);
    if (counts) Object.assign(c, counts);
    else c.noLineCount = 'tooComplex';
  }
  return diff;
}

/** A unified diff of one file (empty string for a missing side). */
export function unifiedDiff(path: string, labelA: string, labelB: string, a: Buffer | undefined, b: Buffer | undefined): string {
  if ((a && !looksLikeText(a)) || (b && !looksLikeText(b))) return `Binary files ${labelA}:${path} and ${labelB}:${path} differ\n`;
  return diffLib().createTwoFilesPatch(`${labelA}${path}`, `${labelB}${path}`, a?.toString('utf8') ?? '', b?.toString('utf8') ?? '', undefined, undefined, {
    context: 3,
  });
}
