import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { OcmError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { NODE_ID_PATTERN } from '../registry/schema';

/**
 * The pre-edit backup store ("history"): before anything overwrites a remote file, its exact bytes
 * are kept here, on this machine, owner-only. Never beside the remote file: OpenClaw deletes other
 * `openclaw.json.bak.*` files on every config write.
 *
 * Layout: <ocm home>/history/<nodeId>/<pathKey>/<stamp>.data + <stamp>.json
 *   pathKey = first 16 hex digits of sha256(remotePath) (the path itself is in every .json)
 *   stamp   = UTC time to the ms + random suffix, so names sort by time
 * An entry id is `<nodeId>/<pathKey>/<stamp>`: stable, safe in URIs and on a command line.
 * The .json is written after the .data, so an entry with metadata always has its bytes.
 */

/**
 * Why an entry exists: `pre-edit` / `pre-restore` = the node's bytes before our save / restore;
 * `changed-during-save` = a version someone wrote while our save was running; `saved` = the bytes
 * our save wrote (so a user's edit survives even when an agent overwrites it right afterwards);
 * `pre-delete` / `pre-rename` = the bytes of a file just before ocm deleted or renamed it.
 */
export type HistoryReason = 'pre-edit' | 'pre-restore' | 'changed-during-save' | 'saved' | 'pre-delete' | 'pre-rename';

export interface HistoryEntry {
  /** `<nodeId>/<pathKey>/<stamp>` */
  id: string;
  nodeId: string;
  remotePath: string;
  /** When the backup was taken (ISO 8601, UTC). */
  createdAt: string;
  /** Same moment in ms since the epoch. */
  timeMs: number;
  size: number;
  sha256: string;
  /** Permission bits the remote file had. */
  mode?: number;
  /** The remote file's mtime (ms) when it was backed up. */
  remoteMtimeMs?: number;
  reason: HistoryReason;
  /** Which face made the save (`saved` entries; absent in entries older than this field). */
  via?: SaveVia;
}

/** The face a save came from. */
export type SaveVia = 'vscode' | 'cli';

export interface StoreBackupInput {
  nodeId: string;
  remotePath: string;
  content: Uint8Array;
  mode?: number;
  remoteMtimeMs?: number;
  reason?: HistoryReason;
  via?: SaveVia;
  /** Clock for tests. */
  now?: () => Date;
}

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const ID_PATTERN = /^([A-Za-z0-9][A-Za-z0-9._-]{0,62})\/([0-9a-f]{16})\/(\d{8}T\d{9}Z-[0-9a-f]{6})$/;

export function historyRoot(home: string): string {
  return join(home, 'history');
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function pathKey(remotePath: string): string {
  return createHash('sha256').update(remotePath, 'utf8').digest('hex').slice(0, 16);
}

/**
 * Stores the bytes as a new history entry and returns it. When the newest entry for this file
 * already holds the same bytes, that entry is returned instead of a duplicate copy.
 */
export async function storePreEditBackup(home: string, input: StoreBackupInput): Promise<HistoryEntry> {
  checkNodeId(input.nodeId);
  const sha256 = sha256Hex(input.content);
  const newest = await newestEntry(join(historyRoot(home), input.nodeId, pathKey(input.remotePath)), input.remotePath);
  if (newest && newest.sha256 === sha256 && newest.size === input.content.length) return newest;

  const date = (input.now ?? (() => new Date()))();
  // 2026-11-22T04:23:41.123Z -> 20261122T042341123Z-<6 hex>: sorts by time, unique per save.
  const stamp = `${date.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
  const key = pathKey(input.remotePath);
  const dir = await ensureOwnerOnlyDirs(home, input.nodeId, key);
  const entry: HistoryEntry = {
    id: `${input.nodeId}/${key}/${stamp}`,
    nodeId: input.nodeId,
    remotePath: input.remotePath,
    createdAt: date.toISOString(),
    timeMs: date.getTime(),
    size: input.content.length,
    sha256,
    ...(input.mode !== undefined ? { mode: input.mode } : {}),
    ...(input.remoteMtimeMs !== undefined ? { remoteMtimeMs: input.remoteMtimeMs } : {}),
    reason: input.reason ?? 'pre-edit',
    ...(input.via ? { via: input.via } : {}),
  };
  try {
    await writeFileAtomic(join(dir, `${stamp}.data`), input.content, FILE_MODE);
    await writeFileAtomic(join(dir, `${stamp}.json`), JSON.stringify(entry, null, 2) + '\n', FILE_MODE);
  } catch (e) {
    throw new OcmError(
      'failed',
      `Cannot store the pre-edit backup of ${input.remotePath} under ${dir}: ${(e as Error).message}. Nothing was written to the node; free space or fix permissions of the ocm home and retry.`,
      { nodeId: input.nodeId, remotePath: input.remotePath },
      { cause: e },
    );
  }
  return entry;
}

/** Pre-edit backups of one remote file, newest first. */
export async function listHistory(home: string, nodeId: string, remotePath: string): Promise<HistoryEntry[]> {
  checkNodeId(nodeId);
  const dir = join(historyRoot(home), nodeId, pathKey(remotePath));
  const entries = await readEntries(dir);
  return entries.filter((e) => e.remotePath === remotePath).sort(newestFirst);
}

/** Every remote file of a node that has history, with its entry count and newest entry. */
export async function listHistoryFiles(home: string, nodeId: string): Promise<{ remotePath: string; count: number; newest: HistoryEntry }[]> {
  checkNodeId(nodeId);
  const nodeDir = join(historyRoot(home), nodeId);
  const keys = await fs.readdir(nodeDir).catch(() => [] as string[]);
  const out: { remotePath: string; count: number; newest: HistoryEntry }[] = [];
  for (const key of keys) {
    const entries = (await readEntries(join(nodeDir, key))).sort(newestFirst);
    if (entries[0]) out.push({ remotePath: entries[0].remotePath, count: entries.length, newest: entries[0] });
  }
  return out.sort((a, b) => a.remotePath.localeCompare(b.remotePath));
}

/** The metadata of one entry. */
export async function getHistoryEntry(home: string, id: string): Promise<HistoryEntry> {
  const { dir, stamp } = locate(home, id);
  try {
    return parseEntry(await fs.readFile(join(dir, `${stamp}.json`), 'utf8'), id);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new OcmError('notFound', `No pre-edit backup "${id}" in ${historyRoot(home)}. List them with: ocm history <node-id> <path>`, { id });
    }
    throw e;
  }
}

/** The metadata and exact bytes of one entry (the bytes are checked against the stored sha256). */
export async function readHistoryEntry(home: string, id: string): Promise<{ entry: HistoryEntry; content: Buffer }> {
  const entry = await getHistoryEntry(home, id);
  const { dir, stamp } = locate(home, id);
  const content = await fs.readFile(join(dir, `${stamp}.data`));
  if (sha256Hex(content) !== entry.sha256) {
    throw new OcmError(
      'failed',
      `Pre-edit backup "${id}" is damaged (its bytes do not match the recorded sha256). Do not restore it; other entries of the same file may be intact.`,
      { id },
    );
  }
  return { entry, content };
}

export interface PruneOptions {
  /** Only this node (default: every node in the store). */
  nodeId?: string;
  /** Entries always kept per file, newest first (default 50, at least 1). */
  keepPerFile?: number;
  /** Only entries older than this are removed (default: any age beyond keepPerFile). */
  olderThanMs?: number;
  /** Report what would be removed without removing it. */
  dryRun?: boolean;
  now?: () => Date;
}

/**
 * Drops old pre-edit backups: per file, everything beyond the newest `keepPerFile` entries that is
 * also older than `olderThanMs`. The newest entry of a file is never removed.
 */
export async function pruneHistory(home: string, options: PruneOptions = {}): Promise<{ removed: HistoryEntry[]; kept: number }> {
  const keep = Math.max(1, options.keepPerFile ?? 50);
  const now = (options.now ?? (() => new Date()))().getTime();
  const root = historyRoot(home);
  if (options.nodeId !== undefined) checkNodeId(options.nodeId);
  const nodeIds = options.nodeId !== undefined ? [options.nodeId] : (await fs.readdir(root).catch(() => [] as string[])).filter((n) => NODE_ID_PATTERN.test(n));
  const removed: HistoryEntry[] = [];
  let kept = 0;
  for (const nodeId of nodeIds) {
    const keys = await fs.readdir(join(root, nodeId)).catch(() => [] as string[]);
    for (const key of keys) {
      const dir = join(root, nodeId, key);
      const entries = (await readEntries(dir)).sort(newestFirst);
      entries.forEach((entry, index) => {
        const old = options.olderThanMs === undefined || now - entry.timeMs > options.olderThanMs;
        if (index >= keep && old) removed.push(entry);
        else kept++;
      });
    }
  }
  if (!options.dryRun) {
    for (const entry of removed) {
      const { dir, stamp } = locate(home, entry.id);
      // Metadata first: an entry without metadata is invisible, one without bytes would be damaged.
      await fs.rm(join(dir, `${stamp}.json`), { force: true });
      await fs.rm(join(dir, `${stamp}.data`), { force: true });
    }
  }
  return { removed, kept };
}

export function isHistoryId(id: string): boolean {
  return ID_PATTERN.test(id);
}

// ------------------------------------------------------------------ helpers

function locate(home: string, id: string): { dir: string; stamp: string } {
  const m = ID_PATTERN.exec(id);
  if (!m) {
    throw new OcmError('invalidInput', `"${id}" is not a pre-edit backup id (expected <node-id>/<16 hex>/<stamp>, as printed by "ocm history").`, { id });
  }
  return { dir: join(historyRoot(home), m[1]!, m[2]!), stamp: m[3]! };
}

function checkNodeId(nodeId: string): void {
  // The id becomes a folder name: refuse anything that could climb out of the history root.
  if (!NODE_ID_PATTERN.test(nodeId)) throw new OcmError('invalidInput', `"${nodeId}" is not a valid node id.`, { nodeId });
}

async function ensureOwnerOnlyDirs(home: string, nodeId: string, key: string): Promise<string> {
  const root = historyRoot(home);
  const dir = join(root, nodeId, key);
  await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
  // mkdir's mode is masked and not applied to folders that already existed: set it explicitly.
  for (const d of [root, join(root, nodeId), dir]) await fs.chmod(d, DIR_MODE);
  return dir;
}

async function readEntries(dir: string): Promise<HistoryEntry[]> {
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.json') && !name.startsWith('.'));
  // Read a few at a time (a file with 500 versions: the timeline lists them all).
  const out: (HistoryEntry | undefined)[] = new Array(names.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const i = next++;
      try {
        out[i] = parseEntry(await fs.readFile(join(dir, names[i]!), 'utf8'), names[i]!);
      } catch {
        // A damaged metadata file hides only that entry; the rest of the history stays usable.
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, names.length) }, worker));
  return out.filter((e): e is HistoryEntry => e !== undefined);
}

/** The newest entry in a folder, reading only its metadata file (stamps sort by time). */
async function newestEntry(dir: string, remotePath: string): Promise<HistoryEntry | undefined> {
  const names = (await fs.readdir(dir).catch(() => [] as string[]))
    .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
    .sort()
    .reverse();
  for (const name of names) {
    try {
      const entry = parseEntry(await fs.readFile(join(dir, name), 'utf8'), name);
      if (entry.remotePath === remotePath) return entry;
    } catch {
      // damaged metadata: look at the next one
    }
  }
  return undefined;
}

function parseEntry(text: string, what: string): HistoryEntry {
  const value = JSON.parse(text) as Partial<HistoryEntry>;
  if (
    typeof value.id !== 'string' ||
    typeof value.remotePath !== 'string' ||
    typeof value.sha256 !== 'string' ||
    typeof value.size !== 'number' ||
    typeof value.timeMs !== 'number'
  ) {
    throw new OcmError('failed', `History metadata ${what} is malformed.`);
  }
  return value as HistoryEntry;
}

function newestFirst(a: HistoryEntry, b: HistoryEntry): number {
  return b.timeMs - a.timeMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
