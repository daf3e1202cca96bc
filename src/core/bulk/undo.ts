import { toOcmError } from '../errors';
import { ocmHome } from '../home';
import { snapshotRemote } from '../safe-write/remote-snapshot';
import type { Transport } from '../transport/types';
import { putBack } from './apply';
import { lastUndoableBatch, saveBatch } from './batch-store';
import type { BatchFile, BatchRecord } from './types';

/**
 * "Undo Last Bulk Apply": puts every file of the newest batch back. A file that changed since the
 * batch wrote it (an agent, a person) is not put back unless the user overrides; the check shows
 * which files those are first (`inspectUndo`).
 */

export type UndoState = 'ready' | 'changedSince' | 'deletedSince' | 'unreachable';

export interface UndoCheck {
  file: BatchFile;
  state: UndoState;
  message?: string;
}

export async function inspectUndo(
  home: string | undefined,
  transport: (nodeId: string) => Promise<Transport>,
  signal?: AbortSignal,
): Promise<{ batch: BatchRecord; checks: UndoCheck[] } | undefined> {
  const batch = await lastUndoableBatch(home ?? ocmHome());
  if (!batch) return undefined;
  const checks: UndoCheck[] = [];
  for (const file of batch.files.filter((f) => !f.undoneAt)) {
    try {
      const now = await snapshotRemote(await transport(file.nodeId), file.path, signal);
      checks.push({ file, state: !now ? (file.created ? 'ready' : 'deletedSince') : now.sha256 === file.savedSha256 ? 'ready' : 'changedSince' });
    } catch (e) {
      checks.push({ file, state: 'unreachable', message: toOcmError(e).message });
    }
  }
  return { batch, checks };
}

export interface UndoOutcome {
  batch: BatchRecord;
  undone: BatchFile[];
  refused: { file: BatchFile; message: string }[];
}

/** Undoes the batch; `force` also puts back files that changed since (their current bytes go to the history first). */
export async function undoBatch(
  batch: BatchRecord,
  options: { home?: string; transport(nodeId: string): Promise<Transport>; force?: boolean; signal?: AbortSignal },
): Promise<UndoOutcome> {
  const home = options.home ?? ocmHome();
  const undone: BatchFile[] = [];
  const refused: UndoOutcome['refused'] = [];
  for (const file of [...batch.files].reverse()) {
    if (file.undoneAt) continue;
    try {
      await putBack(home, await options.transport(file.nodeId), file, Boolean(options.force), options.signal);
      file.undoneAt = new Date().toISOString();
      undone.push(file);
    } catch (e) {
      refused.push({ file, message: toOcmError(e).message });
    }
    await saveBatch(home, batch);
  }
  batch.status = batch.files.every((f) => f.undoneAt) ? 'undone' : 'partlyUndone';
  await saveBatch(home, batch);
  return { batch, undone, refused };
}
