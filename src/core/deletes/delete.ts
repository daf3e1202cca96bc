import { posix } from 'node:path';
import { OcmError } from '../errors';
import { formatBytes } from '../format-bytes';
import { ocmHome } from '../home';
import { readHistoryEntry, storePreEditBackup, type HistoryReason } from '../history/store';
import { snapshotRemote } from '../safe-write/remote-snapshot';
import type { FileStat, Transport } from '../transport/types';
import { dropDeleted, newDeletedId, saveDeleted, type DeletedEntry, type DeletedFile } from './trash-store';
import type { PathGuard } from './undelete';

/**
 * Deletes that never destroy: before a file or folder on a node is removed (or replaced by a
 * rename), its bytes go to the local history and a "Recently Deleted" record names them. Folders
 * are kept up to a size cap; above it nothing is deleted and the error says what to do.
 */

export const DEFAULT_MAX_FOLDER_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_FOLDER_FILES = 5000;

export interface DeleteOptions {
  home?: string;
  /** Folders: required to delete a folder (like rm -r). */
  recursive?: boolean;
  maxBytes?: number;
  maxFiles?: number;
  signal?: AbortSignal;
  now?: () => Date;
}

interface Walked {
  files: { rel: string; stat: FileStat }[];
  dirs: string[];
  skipped: string[];
  bytes: number;
}

async function walk(transport: Transport, root: string, limits: { maxBytes: number; maxFiles: number }, signal?: AbortSignal): Promise<Walked> {
  const out: Walked = { files: [], dirs: [], skipped: [], bytes: 0 };
  const queue = [''];
  while (queue.length) {
    const rel = queue.shift()!;
    const entries = await transport.readdir(rel ? posix.join(root, rel) : root, signal ? { signal } : {});
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.type === 'directory') {
        out.dirs.push(r);
        queue.push(r);
      } else if (e.type === 'file') {
        out.files.push({ rel: r, stat: { type: 'file', size: e.size, mtimeMs: e.mtimeMs, mode: e.mode } });
        out.bytes += e.size;
      } else out.skipped.push(r);
      if (out.bytes > limits.maxBytes || out.files.length > limits.maxFiles) return out;
    }
  }
  return out;
}

function tooLarge(nodeId: string, path: string, w: Walked, maxBytes: number, maxFiles: number): OcmError {
  const what = w.files.length > maxFiles ? `more than ${maxFiles} files` : `more than ${formatBytes(maxBytes)}`;
  return new OcmError(
    'invalidInput',
    `${path} on ${nodeId} holds ${what}: more than ocm keeps in its history before a delete, so nothing was deleted. Take a backup of the node first ("ocm backup ${nodeId}"), then delete the folder on the node yourself — or raise the limit ("ocm rm --max-size <MiB>").`,
    { nodeId, path, code: 'folderTooLarge', limitBytes: maxBytes, limitFiles: maxFiles, usage: true },
  );
}

/** Reads one file and keeps it in the history; undefined when it vanished meanwhile. */
async function keepFile(
  transport: Transport,
  home: string,
  path: string,
  reason: HistoryReason,
  signal?: AbortSignal,
): Promise<Omit<DeletedFile, 'rel'> | undefined> {
  return (await keepFileBytes(transport, home, path, reason, signal))?.kept;
}

/** keepFile, also handing back the bytes it kept (for the mix-up guard of a rename). */
async function keepFileBytes(
  transport: Transport,
  home: string,
  path: string,
  reason: HistoryReason,
  signal?: AbortSignal,
): Promise<{ kept: Omit<DeletedFile, 'rel'>; content: Buffer } | undefined> {
  const snap = await snapshotRemote(transport, path, signal);
  if (!snap) return undefined;
  const entry = await storePreEditBackup(home, {
    nodeId: transport.nodeId,
    remotePath: path,
    content: snap.content,
    mode: snap.stat.mode,
    remoteMtimeMs: snap.stat.mtimeMs,
    reason,
  });
  return { kept: { historyId: entry.id, size: snap.content.length, sha256: snap.sha256, mode: snap.stat.mode }, content: snap.content };
}

/**
 * Captures what `path` holds (file or folder) into the history and a Recently Deleted record,
 * without removing anything. Used by delete and by a rename that replaces a file.
 */
export async function captureForDelete(transport: Transport, path: string, via: DeletedEntry['via'], options: DeleteOptions = {}): Promise<DeletedEntry> {
  const home = options.home ?? ocmHome();
  const nodeId = transport.nodeId;
  const clean = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (!clean.startsWith('/') || clean === '/')
    throw new OcmError('invalidInput', `"${path}" is not an absolute path below / on ${nodeId}.`, { nodeId, path, usage: true });
  const st = await transport.statOrUndefined(clean, options.signal ? { signal: options.signal } : {});
  if (!st) throw new OcmError('notFound', `${clean} does not exist on ${nodeId}: nothing to delete.`, { nodeId, path: clean });
  const entry: DeletedEntry = {
    id: newDeletedId((options.now ?? (() => new Date()))()),
    nodeId,
    path: clean,
    kind: st.type === 'directory' ? 'folder' : 'file',
    via,
    deletedAt: new Date().toISOString(),
    files: [],
    dirs: [],
    skipped: [],
    totalBytes: 0,
  };
  const reason: HistoryReason = via === 'delete' ? 'pre-delete' : 'pre-rename';
  if (st.type !== 'directory') {
    const kept = await keepFile(transport, home, clean, reason, options.signal);
    if (kept) entry.files.push({ rel: '', ...kept });
  } else {
    if (!options.recursive)
      throw new OcmError('invalidInput', `${clean} on ${nodeId} is a folder. Say that the folder and everything in it should go (ocm rm -r).`, {
        nodeId,
        path: clean,
        code: 'isFolder',
        usage: true,
      });
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_FOLDER_BYTES;
    const maxFiles = options.maxFiles ?? DEFAULT_MAX_FOLDER_FILES;
    const w = await walk(transport, clean, { maxBytes, maxFiles }, options.signal);
    if (w.bytes > maxBytes || w.files.length > maxFiles) throw tooLarge(nodeId, clean, w, maxBytes, maxFiles);
    entry.dirs = w.dirs;
    entry.skipped = w.skipped;
    for (const f of w.files) {
      const kept = await keepFile(transport, home, posix.join(clean, f.rel), reason, options.signal);
      if (kept) entry.files.push({ rel: f.rel, ...kept });
    }
  }
  entry.totalBytes = entry.files.reduce((n, f) => n + f.size, 0);
  await saveDeleted(home, entry);
  return entry;
}

/**
 * Deletes a file or folder on a node after keeping it (captureForDelete). A file that changed
 * between the copy and the delete (an agent writing) is copied again first. If the delete itself
 * fails, the record is dropped again (the history copies stay, harmless).
 */
export async function deleteWithHistory(transport: Transport, path: string, options: DeleteOptions = {}): Promise<DeletedEntry> {
  const home = options.home ?? ocmHome();
  let entry = await captureForDelete(transport, path, 'delete', options);
  if (entry.kind === 'file') {
    const now = await snapshotRemote(transport, entry.path, options.signal).catch(() => undefined);
    if (now && now.sha256 !== entry.files[0]?.sha256) {
      await dropDeleted(home, entry.nodeId, entry.id);
      entry = await captureForDelete(transport, path, 'delete', options);
    }
  }
  try {
    await transport.remove(entry.path, { recursive: entry.kind === 'folder', ...(options.signal ? { signal: options.signal } : {}) });
  } catch (e) {
    await dropDeleted(home, entry.nodeId, entry.id);
    throw e;
  }
  return entry;
}

/**
 * A rename that destroys nothing: the source file's bytes are kept under its old path (reason
 * pre-rename), and a file the rename replaces goes to Recently Deleted first. A folder rename
 * moves everything and destroys nothing, so only a replaced target is captured.
 *
 * `guardFor` gives the mix-up guard's hook for `to` when it is a guarded file of an agent: moving
 * research's MEMORY.md over (or into the place of) another agent's is stopped before the rename,
 * on the bytes kept anyway (the replaced file's from the local history): no extra round trip.
 */
export async function renameWithHistory(
  transport: Transport,
  from: string,
  to: string,
  options: DeleteOptions & { overwrite?: boolean; guardFor?: PathGuard } = {},
): Promise<{ replaced?: DeletedEntry }> {
  const home = options.home ?? ocmHome();
  const op = options.signal ? { signal: options.signal } : {};
  const src = await transport.statOrUndefined(from, op);
  if (!src) throw new OcmError('notFound', `${from} does not exist on ${transport.nodeId}: nothing to rename.`, { nodeId: transport.nodeId, path: from });
  const moving = src.type !== 'directory' ? await keepFileBytes(transport, home, from, 'pre-rename', options.signal) : undefined;
  let replaced: DeletedEntry | undefined;
  const target = await transport.statOrUndefined(to, op);
  if (target) {
    if (!options.overwrite)
      throw new OcmError('exists', `${to} already exists on ${transport.nodeId}; nothing was renamed.`, { nodeId: transport.nodeId, path: to });
    replaced = await captureForDelete(transport, to, 'overwrite', { ...options, recursive: true });
  }
  try {
    const hook = moving && options.guardFor ? await options.guardFor(to) : undefined;
    const current = replaced?.kind === 'file' && replaced.files[0] ? (await readHistoryEntry(home, replaced.files[0].historyId)).content : undefined;
    if (hook && moving) hook(moving.content, current);
    await transport.rename(from, to, { ...op, overwrite: Boolean(options.overwrite) });
  } catch (e) {
    if (replaced) await dropDeleted(home, replaced.nodeId, replaced.id);
    throw e;
  }
  return replaced ? { replaced } : {};
}
