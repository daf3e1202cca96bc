import { posix } from 'node:path';
import { backupNode, backupSourcesFromLocation, openclawCommandFromLocation, type BackupSources, type BackupStore, type EngineChoice } from '../backup';
import { isWithin } from '../backup/manifest';
import { readFromBackup } from '../backup/backup-source';
import { OcmError, toOcmError } from '../errors';
import { isMixupError } from '../guard/guard';
import type { OpenclawLocation } from '../openclaw/locate';
import type { Transport } from '../transport/types';
import { gatewayIsRunning } from './gateway';
import { runSteps, type Step } from './steps';
import type { ApplyProgress, ApplyResult, OperationPlan, PlanContentSource, SafetyBackupRef } from './types';

/**
 * plan → preview → safety backup → apply steps → (on failure) rollback. Every operation that
 * changes a node goes through `applyOperation`: a real backup through the backup store comes first,
 * and no step runs if it fails.
 */

export interface SafetyBackupParams {
  store: BackupStore;
  transport: Transport;
  location: OpenclawLocation;
  nodeId: string;
  /** Default `auto` (OpenClaw's own backup when the version has it: consistent SQLite). */
  engine?: EngineChoice;
  /**
   * Paths the operation touches beyond what the live config names (a restore's roots come from the
   * backup: a workspace of an agent the live config no longer lists, or every workspace when the
   * live config is broken). They are backed up too, by the own engine (OpenClaw's follows the live config).
   */
  extraRoots?: readonly string[];
  /** Keep session transcripts (a restore of a backup that has them replaces them). */
  includeTranscripts?: boolean;
  /**
   * Files the operation replaces or deletes: each must be in the safety backup, else it fails
   * (nothing changed) rather than losing a file no backup holds.
   */
  mustCover?: readonly string[];
  signal?: AbortSignal;
}

/** The live config's sources plus the extra roots not already among them. */
export function safetySources(location: OpenclawLocation, extraRoots: readonly string[] = []): { sources: BackupSources; added: string[] } {
  const sources = backupSourcesFromLocation(location);
  const known = [sources.stateDir, sources.configPath, ...sources.workspaceDirs, ...sources.agentDirs.map((a) => a.path)];
  const added: string[] = [];
  for (const root of extraRoots) {
    const r = posix.normalize(root).replace(/(.)\/+$/, '$1');
    if (!r.startsWith('/') || known.some((k) => isWithin(r, k))) continue;
    known.push(r);
    added.push(r);
  }
  return { sources: { ...sources, workspaceDirs: [...sources.workspaceDirs, ...added] }, added };
}

/** A full backup of the node into the store, taken before an operation changes anything. */
export async function takeSafetyBackup(p: SafetyBackupParams): Promise<SafetyBackupRef> {
  const gatewayRunning = await gatewayIsRunning({ transport: p.transport, location: p.location, node: { id: p.nodeId } });
  const { sources, added } = safetySources(p.location, p.extraRoots);
  const engine = added.length > 0 || p.includeTranscripts ? 'ocm' : (p.engine ?? 'auto');
  try {
    const r = await backupNode({
      store: p.store,
      nodeId: p.nodeId,
      transport: p.transport,
      engine,
      openclaw: openclawCommandFromLocation(p.location),
      sources,
      gatewayRunning,
      tags: ['safety'],
      ...(p.includeTranscripts ? { includeTranscripts: true } : {}),
      ...(p.signal ? { signal: p.signal } : {}),
    });
    if (p.mustCover?.length) {
      const held = new Set(r.index.entries.filter((e) => e.type === 'file' || e.type === 'hardlink').map((e) => e.path));
      const missing = p.mustCover.filter((path) => !held.has(path));
      if (missing.length > 0) {
        throw new OcmError(
          'failed',
          `it does not hold ${missing.length} file(s) the operation would replace or delete (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}).`,
          { missing },
        );
      }
    }
    return { nodeId: p.nodeId, backupId: r.index.id, repositoryRoot: p.store.repositoryRoot, engine: r.engine };
  } catch (e) {
    const err = toOcmError(e);
    throw new OcmError(
      err.kind,
      `The safety backup of ${p.nodeId} failed, so nothing was changed: ${err.message}`,
      { ...err.details, nodeId: p.nodeId },
      { cause: e },
    );
  }
}

export interface ApplyOperationParams {
  plan: OperationPlan;
  steps: readonly Step[];
  /** Takes the safety backup (usually `() => takeSafetyBackup(...)`); runs before any step. */
  safetyBackup: () => Promise<SafetyBackupRef>;
  /** Runs after the steps (success or rollback), never throws into the result (cleanup of temp files). */
  cleanup?: (ok: boolean) => Promise<void>;
  signal?: AbortSignal;
  onProgress?: (p: ApplyProgress) => void;
}

/** Safety backup, then the steps; a failure rolls back the completed steps. Never throws: the result says what happened. */
export async function applyOperation(p: ApplyOperationParams): Promise<ApplyResult> {
  const started = Date.now();
  p.onProgress?.({ phase: 'safetyBackup' });
  let safetyBackup: SafetyBackupRef;
  try {
    safetyBackup = await p.safetyBackup();
  } catch (e) {
    const err = toOcmError(e);
    p.onProgress?.({ phase: 'done', ok: false });
    return {
      ok: false,
      plan: p.plan,
      steps: [],
      error: { kind: err.kind, message: err.message, step: 'safetyBackup' },
      rolledBack: true,
      rollbackErrors: [],
      notes: [],
      durationMs: Date.now() - started,
    };
  }
  const run = await runSteps(p.steps, { ...(p.signal ? { signal: p.signal } : {}), ...(p.onProgress ? { onProgress: p.onProgress } : {}) });
  const notes = [...run.notes];
  if (p.cleanup) {
    try {
      await p.cleanup(run.ok);
    } catch (e) {
      notes.push(`Cleaning up temporary files failed: ${toOcmError(e).message}`);
    }
  }
  if (!run.ok && run.rollbackErrors.length > 0) {
    notes.push(
      `The node may not be as it was. Its state before the operation is in the safety backup ${safetyBackup.nodeId}/${safetyBackup.backupId} (in ${safetyBackup.repositoryRoot}; restore it with "ocm restore ${safetyBackup.nodeId}/${safetyBackup.backupId}").`,
    );
  }
  p.onProgress?.({ phase: 'done', ok: run.ok });
  return {
    ok: run.ok,
    plan: p.plan,
    safetyBackup,
    steps: run.reports,
    ...(run.error
      ? {
          error: {
            kind: run.error.kind,
            message: run.error.message,
            ...(run.failedStep ? { step: run.failedStep } : {}),
            ...(isMixupError(run.error) ? { mixup: true } : {}),
          },
        }
      : {}),
    rolledBack: !run.ok && run.rolledBack,
    rollbackErrors: run.rollbackErrors,
    notes,
    durationMs: Date.now() - started,
  };
}

/** The live bytes of a planned file (left side of a preview diff); undefined when it does not exist. */
export async function readPlannedBefore(transport: Transport, path: string, options: { signal?: AbortSignal } = {}): Promise<Buffer | undefined> {
  try {
    return await transport.readFile(path, options);
  } catch (e) {
    if (e instanceof OcmError && e.kind === 'notFound') return undefined;
    throw e;
  }
}

/** The bytes the operation will write (right side of a preview diff); undefined for a deleted file. */
export async function readPlannedAfter(source: PlanContentSource, path: string, options: { signal?: AbortSignal } = {}): Promise<Buffer | undefined> {
  if (source.kind !== 'backup') return undefined;
  try {
    return await readFromBackup(source, path, options);
  } catch (e) {
    if (e instanceof OcmError && e.kind === 'notFound') return undefined;
    throw e;
  }
}

/** A step failing half-way hands its partial undo to the rollback through the error. */
export function withPartialUndo(e: unknown, undo: () => Promise<void>): OcmError {
  const err = toOcmError(e);
  return new OcmError(err.kind, err.message, { ...err.details, undo }, { cause: e });
}
