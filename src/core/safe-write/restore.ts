import { OcmError } from '../errors';
import { ocmHome } from '../home';
import { readHistoryEntry, type HistoryEntry } from '../history/store';
import type { Transport } from '../transport/types';
import { safeWrite } from './safe-write';
import { snapshotRemote } from './remote-snapshot';
import type { ExpectedRemote, OpenclawValidator, SafeWriteOptions, SafeWriteResult } from './types';

export interface RestoreOptions {
  home?: string;
  /** History entry id (`<nodeId>/<pathKey>/<stamp>`). */
  id: string;
  /**
   * What the user saw as the live file when deciding to restore. Default: the file as it is now
   * (the restore is the user's explicit choice; the live version is backed up first either way).
   */
  expected?: ExpectedRemote;
  validator?: OpenclawValidator;
  /**
   * The mix-up guard's hook when the file is one it protects: a version that holds another agent's
   * text (a pasted-in copy that was saved, then cleaned up) is stopped like a save would be.
   */
  beforeWrite?: SafeWriteOptions['beforeWrite'];
  signal?: AbortSignal;
}

/** Puts a pre-edit backup back in place through safeWrite (backup of the live file, checks, atomic write). */
export async function restoreHistoryEntry(transport: Transport, options: RestoreOptions): Promise<SafeWriteResult & { restored: HistoryEntry }> {
  const home = options.home ?? ocmHome();
  const { entry, content } = await readHistoryEntry(home, options.id);
  if (entry.nodeId !== transport.nodeId) {
    throw new OcmError('invalidInput', `History entry ${entry.id} belongs to node ${entry.nodeId}, not ${transport.nodeId}. Restore it on its own node.`, {
      id: entry.id,
    });
  }
  let expected = options.expected;
  if (!expected) {
    const now = await snapshotRemote(transport, entry.remotePath, options.signal);
    expected = now ? { sha256: now.sha256, mtimeMs: now.stat.mtimeMs, size: now.content.length } : 'absent';
  }
  const result = await safeWrite(transport, {
    home,
    nodeId: entry.nodeId,
    remotePath: entry.remotePath,
    content,
    expected,
    ...(entry.mode !== undefined ? { newFileMode: entry.mode } : {}),
    ...(options.validator ? { validator: options.validator } : {}),
    ...(options.beforeWrite ? { beforeWrite: options.beforeWrite } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    backupReason: 'pre-restore',
  });
  return { ...result, restored: entry };
}
