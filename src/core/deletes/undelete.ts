import { posix } from 'node:path';
import { OcmError } from '../errors';
import { ocmHome } from '../home';
import { readHistoryEntry } from '../history/store';
import { safeWrite } from '../safe-write/safe-write';
import { snapshotRemote } from '../safe-write/remote-snapshot';
import type { Transport } from '../transport/types';
import { saveDeleted, type DeletedEntry } from './trash-store';

/**
 * Restores a Recently Deleted entry, file by file through the safe save (each file's bytes come
 * from the history, checked against their sha256). A file that exists again on the node is not
 * overwritten unless `overwrite` (then its current bytes are kept in the history first); with
 * any such file and no overwrite, nothing is written and the error lists them.
 *
 * `guardFor` gives the mix-up guard's hook for a path it protects (an agent's MEMORY/SOUL/
 * IDENTITY/USER.md): every such file is checked before the first write, so a folder restore that
 * would bring one agent's memory into another's workspace (a workspace path since given to a
 * different agent) restores nothing. The check uses bytes read anyway: no extra round trip.
 */
export type PathGuard = (
  remotePath: string,
) =>
  ((content: Uint8Array, current: Buffer | undefined) => void) | undefined | Promise<((content: Uint8Array, current: Buffer | undefined) => void) | undefined>;

export async function restoreDeleted(
  transport: Transport,
  entry: DeletedEntry,
  options: { home?: string; overwrite?: boolean; guardFor?: PathGuard; signal?: AbortSignal } = {},
): Promise<{ restored: string[] }> {
  const home = options.home ?? ocmHome();
  if (entry.nodeId !== transport.nodeId)
    throw new OcmError('invalidInput', `${entry.path} was deleted on ${entry.nodeId}, not ${transport.nodeId}.`, { nodeId: entry.nodeId });
  const op = options.signal ? { signal: options.signal } : {};
  const targets = entry.files.map((f) => ({ f, path: f.rel ? posix.join(entry.path, f.rel) : entry.path }));
  const existing: { path: string; sha256: string; content?: Buffer }[] = [];
  for (const t of targets) {
    const now = await snapshotRemote(transport, t.path, options.signal).catch((e: unknown) => {
      if (e instanceof OcmError && e.kind === 'invalidInput') return { sha256: 'folder' } as const; // a folder where a file was
      throw e;
    });
    if (now) existing.push({ path: t.path, sha256: now.sha256, ...('content' in now ? { content: now.content } : {}) });
  }
  if (existing.length && !options.overwrite) {
    throw new OcmError(
      'exists',
      `${existing.map((e) => e.path).join(', ')} exist${existing.length === 1 ? 's' : ''} again on ${entry.nodeId}; nothing was restored. Compare first, then restore with the override (ocm undelete --force) to replace ${existing.length === 1 ? 'it' : 'them'} — the current version is kept in the history.`,
      { nodeId: entry.nodeId, existing: existing.map((e) => e.path), code: 'existsAgain' },
    );
  }
  if (options.guardFor) {
    for (const t of targets) {
      const hook = await options.guardFor(t.path);
      if (hook) hook((await readHistoryEntry(home, t.f.historyId)).content, existing.find((e) => e.path === t.path)?.content);
    }
  }
  if (entry.kind === 'folder') {
    await transport.mkdir(entry.path, { ...op, recursive: true });
    for (const d of entry.dirs) await transport.mkdir(posix.join(entry.path, d), { ...op, recursive: true });
  } else await transport.mkdir(posix.dirname(entry.path), { ...op, recursive: true });
  const restored: string[] = [];
  for (const t of targets) {
    const { content } = await readHistoryEntry(home, t.f.historyId);
    const there = existing.find((e) => e.path === t.path);
    await safeWrite(transport, {
      home,
      nodeId: entry.nodeId,
      remotePath: t.path,
      content,
      expected: there ? { sha256: there.sha256 } : 'absent',
      kind: 'text',
      ...(t.f.mode !== undefined ? { newFileMode: t.f.mode } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      backupReason: 'pre-restore',
    });
    restored.push(t.path);
  }
  entry.restoredAt = new Date().toISOString();
  await saveDeleted(home, entry);
  return { restored };
}
