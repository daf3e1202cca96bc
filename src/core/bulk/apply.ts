import { OcmError, toOcmError } from '../errors';
import { ocmHome } from '../home';
import { readHistoryEntry } from '../history/store';
import { safeWrite } from '../safe-write/safe-write';
import { snapshotRemote } from '../safe-write/remote-snapshot';
import type { Transport } from '../transport/types';
import { newBatchId, saveBatch } from './batch-store';
import { flaggedFiles, refuseFlagged } from './guard-plan';
import type { BatchFile, BatchRecord, BulkPlan, PlannedFile } from './types';

/**
 * Applies a computed plan, one file at a time, each through the safe save (pre-edit copy,
 * conflict check against the planned bytes, atomic write). The first failure — a lost connection,
 * a conflict with an agent's write, a read-only file, a cancel — stops the batch and puts every
 * file already changed back from its pre-edit copy (newest first). The batch is recorded in the
 * ocm home before the first write and after each one, so Undo knows what it changed.
 */

export interface ApplyProgress {
  done: number;
  total: number;
  file: PlannedFile;
  phase: 'write' | 'rollback';
}

export interface ApplyOptions {
  home?: string;
  transport(nodeId: string): Promise<Transport>;
  signal?: AbortSignal;
  onProgress?(p: ApplyProgress): void;
  now?: () => Date;
  /**
   * The operator's override for this batch: write the files the mix-up guard flagged (guardPlan)
   * too. Without it a plan with flagged files is refused before anything is written.
   */
  allowMixups?: boolean;
}

export interface ApplyOutcome {
  ok: boolean;
  batch: BatchRecord;
  /** Files written (and, when !ok, put back again unless listed in rollbackErrors). */
  written: BatchFile[];
  failure?: { file: PlannedFile; error: OcmError };
  rollbackErrors: { path: string; nodeId: string; message: string }[];
}

export async function applyBulkPlan(plan: BulkPlan, options: ApplyOptions): Promise<ApplyOutcome> {
  const home = options.home ?? ocmHome();
  const todo = plan.files.filter((f) => f.action === 'update' || f.action === 'create');
  // Flagged files are known from the preview: the batch is refused whole, before the first write
  // (nothing to roll back), rather than skipping them or stopping half way (see guard-plan.ts).
  if (!options.allowMixups) refuseFlagged(plan);
  const overridden = flaggedFiles(plan).map((f) => ({ nodeId: f.nodeId, agentId: f.agentId, path: f.path }));
  const batch: BatchRecord = {
    id: newBatchId((options.now ?? (() => new Date()))()),
    createdAt: (options.now ?? (() => new Date()))().toISOString(),
    fileName: plan.fileName,
    mode: plan.change.mode,
    ...(plan.change.mode === 'replaceSection' ? { heading: plan.change.heading } : {}),
    status: 'applying',
    files: [],
    skipped: plan.files
      .filter((f) => f.action === 'blocked' || f.action === 'unchanged')
      .map((f) => ({ nodeId: f.nodeId, agentId: f.agentId, path: f.path, reason: f.reason ?? f.action })),
    ...(overridden.length ? { mixupOverride: overridden } : {}),
  };
  await saveBatch(home, batch);
  let failure: ApplyOutcome['failure'];
  for (const [i, file] of todo.entries()) {
    options.onProgress?.({ done: i, total: todo.length, file, phase: 'write' });
    try {
      if (options.signal?.aborted)
        throw new OcmError('cancelled', `The bulk apply was cancelled before ${file.path} on ${file.nodeId}.`, { nodeId: file.nodeId });
      const transport = await options.transport(file.nodeId);
      const result = await safeWrite(transport, {
        home,
        nodeId: file.nodeId,
        remotePath: file.path,
        content: file.after!,
        expected: file.beforeSha256 ? { sha256: file.beforeSha256 } : 'absent',
        kind: 'text',
        ...(options.signal ? { signal: options.signal } : {}),
      });
      batch.files.push({
        nodeId: file.nodeId,
        agentId: file.agentId,
        path: file.path,
        created: result.created,
        ...(result.backupId ? { backupId: result.backupId } : {}),
        ...(file.beforeSha256 ? { beforeSha256: file.beforeSha256 } : {}),
        savedSha256: result.savedSha256,
      });
      await saveBatch(home, batch);
    } catch (e) {
      failure = { file, error: toOcmError(e) };
      break;
    }
  }
  if (!failure) {
    batch.status = 'applied';
    await saveBatch(home, batch);
    return { ok: true, batch, written: batch.files, rollbackErrors: [] };
  }
  const rollbackErrors: ApplyOutcome['rollbackErrors'] = [];
  const done = [...batch.files].reverse();
  for (const [i, f] of done.entries()) {
    options.onProgress?.({ done: i, total: done.length, file: todo.find((t) => t.path === f.path && t.nodeId === f.nodeId)!, phase: 'rollback' });
    try {
      // The rollback runs even after a cancel: it must not inherit the aborted signal.
      await putBack(home, await options.transport(f.nodeId), f, false);
      f.undoneAt = new Date().toISOString();
    } catch (e) {
      rollbackErrors.push({ nodeId: f.nodeId, path: f.path, message: toOcmError(e).message });
    }
  }
  batch.status = rollbackErrors.length ? 'rollbackIncomplete' : 'rolledBack';
  batch.error = { nodeId: failure.file.nodeId, path: failure.file.path, kind: failure.error.kind, message: failure.error.message };
  await saveBatch(home, batch);
  return { ok: false, batch, written: batch.files, failure, rollbackErrors };
}

/**
 * Puts one batch file back: its pre-edit bytes through the safe save, or — for a file the batch
 * created — removes it (its bytes stay in the history as the `saved` entry). Refuses when the
 * file is no longer what the batch wrote, unless `force`. Not passed through the mix-up guard:
 * it puts back the file's own bytes from before the batch, which is what the guard protects.
 */
export async function putBack(home: string, transport: Transport, f: BatchFile, force: boolean, signal?: AbortSignal): Promise<void> {
  const now = await snapshotRemote(transport, f.path, signal);
  if (!force && now?.sha256 !== f.savedSha256) {
    throw new OcmError(
      'conflict',
      `${f.path} on ${f.nodeId} changed since the bulk apply wrote it (${now ? 'new content' : 'it was deleted'}); it was not put back. Look at it, then undo with the override if the batch's version should still go.`,
      { nodeId: f.nodeId, path: f.path, changedSince: true },
    );
  }
  if (f.created) {
    if (now) await transport.remove(f.path, signal ? { signal } : {});
    return;
  }
  if (!f.backupId)
    throw new OcmError('failed', `No pre-edit copy of ${f.path} on ${f.nodeId} was recorded; put it back from the file history.`, {
      nodeId: f.nodeId,
      path: f.path,
    });
  const { content, entry } = await readHistoryEntry(home, f.backupId);
  await safeWrite(transport, {
    home,
    nodeId: f.nodeId,
    remotePath: f.path,
    content,
    expected: now ? { sha256: now.sha256 } : 'absent',
    kind: 'text',
    ...(entry.mode !== undefined ? { newFileMode: entry.mode } : {}),
    ...(signal ? { signal } : {}),
    backupReason: 'pre-restore',
  });
}
