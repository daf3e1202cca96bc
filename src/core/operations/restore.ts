import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { backupRoots, diffEntries, excludedReason, hashLiveFiles, type BackupIndex, type BackupStore, type EngineChoice, type IndexEntry } from '../backup';
import { readFromBackupMany, storeOf } from '../backup/backup-source';
import { OcmError } from '../errors';
import { agentOfPath } from '../openclaw/agent-of-path';
import { agentsFromLocation } from '../openclaw/node-agents';
import type { OpenclawLocation } from '../openclaw/locate';
import type { NodeEntry } from '../registry';
import { safeWrite } from '../safe-write';
import { validatorFromLocation } from '../safe-write/validator-for-node';
import { shellQuote } from '../transport/shell-quote';
import type { Transport } from '../transport/types';
import { describeExtract, extractSummary, type ExtractDescription } from './archive-check';
import { applyOperation, takeSafetyBackup, withPartialUndo } from './operation';
import { stateSwapSteps } from './state-swap';
import type { Step } from './steps';
import type { ApplyProgress, ApplyResult, OperationPlan, PlannedFile, PlannedStep } from './types';

/**
 * Restore from a backup: one file, one agent's workspace, or the whole node. The plan is the
 * difference between the backup (index) and the live node (hashed in one exec). Files and agents are
 * written with safeWrite (atomic, mode kept, conflict = the live hash changed since the plan);
 * a whole node is extracted beside the live state dir and swapped in by rename with the gateway
 * stopped, then validated, started and awaited; any failure swaps back and restarts the old one.
 */

export type RestoreScope = { kind: 'file'; path: string } | { kind: 'agent'; agentId: string } | { kind: 'node' };

export interface RestorePlan extends OperationPlan {
  operation: 'restore';
  scope: RestoreScope;
  backup: { nodeId: string; id: string; createdAt: string; engine: string; openclawVersion: string | null; includeTranscripts?: boolean };
  /** Absolute roots the plan covers (the agent's workspace, the state dir...). */
  roots: string[];
  /** Whole node: exactly what is extracted into the staged state dir (checked against the archive before upload). */
  extract?: ExtractDescription;
}

export interface PlanRestoreParams {
  transport: Transport;
  location: OpenclawLocation;
  /** The node the backup is restored to. */
  nodeId: string;
  index: BackupIndex;
  /** The repository holding the backup (the plan names it: plans are data). */
  repositoryRoot: string;
  scope: RestoreScope;
  signal?: AbortSignal;
}

/** Resolves a `--file` argument: absolute, or relative to the agent's workspace (with --agent) or the state dir. */
export function resolveRestorePath(location: OpenclawLocation, file: string, agentId?: string): string {
  if (file.startsWith('/')) return posix.normalize(file);
  if (file.startsWith('~/')) return posix.join(location.home, file.slice(2));
  if (agentId) return posix.join(agentWorkspace(location, agentId), file);
  return posix.join(location.stateDir, file);
}

function agentWorkspace(location: OpenclawLocation, agentId: string): string {
  const agents = agentsFromLocation(location);
  const agent = agents.find((a) => a.id === agentId);
  if (!agent)
    throw new OcmError(
      'notFound',
      `Node ${location.nodeId} has no agent "${agentId}" (agents: ${agents.map((a) => a.id).join(', ') || 'none'}). Check the id with "ocm agents ${location.nodeId}".`,
      { nodeId: location.nodeId, agentId },
    );
  return agent.workspace;
}

function under(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);
}

/** Computes what a restore would change. Reads the index and hashes the live files; reads no archive bytes. */
export async function planRestore(p: PlanRestoreParams): Promise<RestorePlan> {
  const { index, location, scope } = p;
  const stateDir = location.stateDir;
  if (scope.kind === 'node') {
    if (index.options.configOnly)
      throw new OcmError(
        'invalidInput',
        `Backup ${index.nodeId}/${index.id} holds only the config; restore it with --file ${index.sourcePaths.configPath ?? 'openclaw.json'}.`,
        { usage: true },
      );
    if (index.sourcePaths.stateDir !== stateDir) {
      throw new OcmError(
        'invalidInput',
        `Backup ${index.nodeId}/${index.id} was taken of state dir ${index.sourcePaths.stateDir ?? '(unknown)'}, but ${p.nodeId} uses ${stateDir}. Moving a state to another place is a migration: use "ocm migrate".`,
        { usage: true },
      );
    }
  }
  const live = await hashLiveFiles(p.transport, backupRoots(index), p.signal ? { signal: p.signal } : {});
  const ctx = {
    stateDir: index.sourcePaths.stateDir ?? '/nonexistent-state-dir',
    includeTranscripts: index.options.includeTranscripts,
    protectedPaths: new Set(index.sourcePaths.configPath ? [index.sourcePaths.configPath] : []),
  };
  const backupSide = index.entries.filter((e) => (e.type === 'file' || e.type === 'hardlink') && e.sha256).map((e) => ({ ...e, type: 'file' as const }));
  const backupByPath = new Map(backupSide.map((e) => [e.path, e]));
  const liveSide = live.filter((e) => backupByPath.has(e.path) || excludedReason(e.path, ctx) === undefined);
  const liveByPath = new Map(liveSide.map((e) => [e.path, e]));

  let roots: string[];
  let inScope: (path: string) => boolean;
  let agentId: string | undefined;
  if (scope.kind === 'file') {
    roots = [scope.path];
    inScope = (path) => path === scope.path;
    if (!backupByPath.has(scope.path)) {
      throw new OcmError(
        'notFound',
        `${scope.path} is not a file in backup ${index.nodeId}/${index.id}. List its files with "ocm diff ${index.nodeId}/${index.id} live" or pick another backup.`,
        { path: scope.path },
      );
    }
  } else if (scope.kind === 'agent') {
    agentId = scope.agentId;
    const workspace = agentWorkspace(location, scope.agentId);
    // Other agents' workspaces may sit inside this one (agents.defaults.workspace): leave them out
    // (the one "which agent is this file" answer: the deepest workspace wins).
    const agents = agentsFromLocation(location);
    const own = agentOfPath(agents, workspace)?.workspace;
    roots = [workspace];
    inScope = (path) => own !== undefined && agentOfPath(agents, path)?.workspace === own;
    if (![...backupByPath.keys()].some(inScope)) {
      throw new OcmError('notFound', `Backup ${index.nodeId}/${index.id} holds no files of agent ${scope.agentId}'s workspace ${workspace}.`, {
        agentId: scope.agentId,
        workspace,
      });
    }
  } else {
    roots = backupRoots(index);
    inScope = () => true;
  }

  const diff = diffEntries(
    backupSide.filter((e) => inScope(e.path)),
    liveSide.filter((e) => inScope(e.path)),
  );
  const content = (e: IndexEntry | undefined) => (e ? { sha256: e.sha256!, size: e.size, mode: e.mode & 0o7777 } : undefined);
  const files: PlannedFile[] = [];
  for (const r of diff.removed) files.push({ path: r.path, action: 'create', after: content(backupByPath.get(r.path))!, ...(agentId ? { agentId } : {}) });
  for (const c of diff.changed) {
    files.push({
      path: c.path,
      action: 'update',
      before: content(liveByPath.get(c.path))!,
      after: content(backupByPath.get(c.path))!,
      ...(c.modeOnly ? { modeOnly: true } : {}),
      ...(agentId ? { agentId } : {}),
    });
  }
  if (scope.kind !== 'file')
    for (const a of diff.added) files.push({ path: a.path, action: 'delete', before: content(liveByPath.get(a.path))!, ...(agentId ? { agentId } : {}) });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const steps: PlannedStep[] = [{ id: 'safetyBackup', description: `back up ${p.nodeId} into the backup store first` }];
  const outside = files.filter((f) => !under(f.path, stateDir));
  const extract = scope.kind === 'node' ? describeExtract(index.entries, stateDir) : undefined;
  if (extract) {
    steps.push(
      { id: 'check', description: 'build the archive from the backup, scan it and check it holds exactly what is listed here' },
      { id: 'upload', description: 'upload the backup archive next to the state dir and check its sha256 there' },
      { id: 'stage', description: `extract ${extractSummary(extract)} beside the live one (in ${posix.dirname(stateDir)})` },
      { id: 'stopGateway', description: 'stop the gateway' },
      { id: 'carryOver', description: 'copy the live logs and transcripts the backup leaves out into the restored tree' },
      { id: 'swap', description: `swap by rename: live → ${posix.basename(stateDir)}.ocm-old-<stamp>, restored → ${posix.basename(stateDir)}` },
      ...(outside.length ? [{ id: 'files', description: `write ${outside.length} file(s) outside the state dir` }] : []),
      { id: 'validate', description: 'validate the config (openclaw config validate)' },
      { id: 'doctor', description: 'openclaw doctor --fix --non-interactive' },
      { id: 'startGateway', description: 'start the gateway (if it was running)' },
      { id: 'waitReady', description: 'wait for /readyz' },
    );
  } else {
    const writes = files.filter((f) => f.action !== 'delete').length;
    const deletes = files.length - writes;
    if (writes) steps.push({ id: 'write', description: `write ${writes} file(s) with the safe-save path (atomic, mode kept, conflict-checked)` });
    if (deletes) steps.push({ id: 'delete', description: `delete ${deletes} file(s) that are not in the backup` });
  }
  const what = scope.kind === 'file' ? scope.path : scope.kind === 'agent' ? `agent ${scope.agentId}` : `the whole node ${p.nodeId}`;
  const warnings: string[] = [];
  if (index.nodeId !== p.nodeId) warnings.push(`The backup was taken of node ${index.nodeId}; it is restored to ${p.nodeId}.`);
  if (scope.kind === 'node' && location.version && index.openclawVersion && index.openclawVersion !== location.version) {
    warnings.push(
      `The backup was made by OpenClaw ${index.openclawVersion}; the node runs ${location.version}. doctor --fix upgrades older state; an older OpenClaw refuses newer databases.`,
    );
  }
  return {
    operation: 'restore',
    nodeId: p.nodeId,
    createdAt: new Date().toISOString(),
    summary: `restore ${what} from ${index.nodeId}/${index.id}: ${count(files, 'create')} added, ${count(files, 'update')} changed, ${count(files, 'delete')} removed, ${diff.unchanged} unchanged`,
    files,
    unchanged: diff.unchanged,
    configRewrites: [],
    steps,
    source: { kind: 'backup', repositoryRoot: p.repositoryRoot, backupId: index.id, nodeId: index.nodeId },
    warnings,
    scope,
    backup: {
      nodeId: index.nodeId,
      id: index.id,
      createdAt: index.createdAt,
      engine: index.engine,
      openclawVersion: index.openclawVersion,
      includeTranscripts: index.options.includeTranscripts,
    },
    roots,
    ...(extract ? { extract } : {}),
  };
}

function count(files: PlannedFile[], action: PlannedFile['action']): number {
  return files.filter((f) => f.action === action).length;
}

export interface ApplyRestoreParams {
  transport: Transport;
  location: OpenclawLocation;
  node: Pick<NodeEntry, 'id' | 'startCommand'>;
  plan: RestorePlan;
  /** Backup store for the safety backup. */
  store: BackupStore;
  /** Local ocm home (safeWrite's pre-edit history). */
  home?: string;
  safetyEngine?: EngineChoice;
  /** How long the gateway may take to be ready (default 120 s). */
  readyTimeoutMs?: number;
  /** Whole node: keep the replaced state dir (`<state>.ocm-old-<stamp>`) after success. */
  keepOld?: boolean;
  /**
   * The mix-up guard for a file or agent restore: a memory file whose restored text looks like
   * another agent's is refused (and the restore rolled back) unless the caller leaves this out
   * (--force, Restore Anyway).
   */
  guardFor?: (remotePath: string) => Promise<((content: Uint8Array, current: Buffer | undefined) => void) | undefined>;
  signal?: AbortSignal;
  onProgress?: (p: ApplyProgress) => void;
}

/** Applies a restore plan: safety backup, then the steps; rolled back on any failure. */
export async function applyRestore(p: ApplyRestoreParams): Promise<ApplyResult> {
  const { plan } = p;
  if (plan.source.kind !== 'backup') throw new OcmError('invalidInput', 'A restore plan must come from a backup.');
  const source = plan.source;
  // Read every "after" once from the repository and check it is what the plan showed.
  const needed = plan.files.filter((f) => f.after && (plan.scope.kind !== 'node' || !under(f.path, p.location.stateDir))).map((f) => f.path);
  const afterBytes = needed.length ? await readFromBackupMany(source, needed, p.signal ? { signal: p.signal } : {}) : new Map<string, Buffer>();
  for (const path of needed) {
    const f = plan.files.find((x) => x.path === path)!;
    const data = afterBytes.get(path);
    if (!data || sha256(data) !== f.after!.sha256)
      throw new OcmError('failed', `${path} in backup ${source.nodeId}/${source.backupId} does not match its index. Run "ocm check --read-data".`, { path });
  }
  const safety = () =>
    takeSafetyBackup({
      store: p.store,
      transport: p.transport,
      location: p.location,
      nodeId: p.node.id,
      ...safetyCoverage(plan, p.location),
      ...(p.safetyEngine ? { engine: p.safetyEngine } : {}),
      ...(p.signal ? { signal: p.signal } : {}),
    });
  if (plan.scope.kind !== 'node') {
    const steps = plan.files.map((f) => fileStep(p, f, afterBytes.get(f.path)));
    return applyOperation({
      plan,
      steps,
      safetyBackup: safety,
      ...(p.signal ? { signal: p.signal } : {}),
      ...(p.onProgress ? { onProgress: p.onProgress } : {}),
    });
  }
  // The whole state dir is uploaded as one OpenClaw archive built from the snapshot (removed afterwards).
  const expected = plan.extract ?? missingExtract();
  const archive = await storeOf(source).materialize({ nodeId: source.nodeId, id: source.backupId }, p.signal ? { signal: p.signal } : {});
  const node = stateSwapSteps({
    transport: p.transport,
    location: p.location,
    node: p.node,
    archivePath: archive.archivePath,
    archiveStateDir: p.location.stateDir,
    expected,
    afterSwap: plan.files.filter((f) => !under(f.path, p.location.stateDir)).map((f) => fileStep(p, f, afterBytes.get(f.path))),
    carryOverLive: true,
    carryOverExcept: new Set(plan.files.map((f) => f.path)),
    readyTimeoutMs: p.readyTimeoutMs ?? 120_000,
    keepOld: Boolean(p.keepOld),
    purpose: 'restore',
  });
  const cleanup = async (ok: boolean): Promise<void> => {
    try {
      await node.cleanup?.(ok);
    } finally {
      await archive.release();
    }
  };
  return applyOperation({
    plan,
    steps: node.steps,
    safetyBackup: safety,
    cleanup,
    ...(p.signal ? { signal: p.signal } : {}),
    ...(p.onProgress ? { onProgress: p.onProgress } : {}),
  });
}

/**
 * What the safety backup must hold: every root the plan covers (from the backup, so also
 * workspaces the live config no longer names or cannot name when it is broken), transcripts when
 * the backup has them, and every file the plan replaces or deletes that a backup keeps by rule.
 */
export function safetyCoverage(plan: RestorePlan, location: OpenclawLocation): { extraRoots: string[]; includeTranscripts: boolean; mustCover: string[] } {
  const includeTranscripts = Boolean(plan.backup.includeTranscripts);
  const ctx = { stateDir: location.stateDir, includeTranscripts, protectedPaths: new Set([location.configPath]) };
  const mustCover = plan.files.filter((f) => f.before && excludedReason(f.path, ctx) === undefined).map((f) => f.path);
  return { extraRoots: plan.roots, includeTranscripts, mustCover };
}

function missingExtract(): never {
  throw new OcmError('invalidInput', 'This whole-node restore plan does not say what it extracts (made by an older ocm?). Plan the restore again.');
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function readOrUndefined(t: Transport, path: string): Promise<Buffer | undefined> {
  try {
    return await t.readFile(path);
  } catch (e) {
    if (e instanceof OcmError && e.kind === 'notFound') return undefined;
    throw e;
  }
}

/** One file of a file/agent restore: safeWrite (create/update) or a checked delete; undo puts the old bytes back. */
function fileStep(p: ApplyRestoreParams, f: PlannedFile, data: Buffer | undefined): Step {
  const t = p.transport;
  const verb = f.action === 'delete' ? 'delete' : f.action === 'create' ? 'create' : 'restore';
  return {
    id: `${verb}:${f.path}`,
    description: `${verb} ${f.path}`,
    run: async (signal) => {
      const previous = await readOrUndefined(t, f.path);
      const prevHash = previous ? sha256(previous) : undefined;
      if (prevHash !== f.before?.sha256) {
        throw new OcmError(
          'conflict',
          `${f.path} on ${p.node.id} changed since the restore was planned (an agent may have written it). Nothing of it was replaced; plan the restore again to see the new state.`,
          { path: f.path },
        );
      }
      const undo = async (): Promise<void> => {
        if (previous) {
          await t.writeFileAtomic(f.path, previous, { mode: f.before!.mode });
          await chmod(t, f.path, f.before!.mode);
        } else {
          await t.remove(f.path).catch((e: unknown) => {
            if (!(e instanceof OcmError && e.kind === 'notFound')) throw e;
          });
        }
      };
      if (f.action === 'delete') {
        try {
          await t.remove(f.path, signal ? { signal } : {});
        } catch (e) {
          throw withPartialUndo(e, undo);
        }
        return { undo };
      }
      try {
        const beforeWrite = await p.guardFor?.(f.path);
        await t.mkdir(posix.dirname(f.path), { recursive: true });
        await safeWrite(t, {
          ...(beforeWrite ? { beforeWrite } : {}),
          remotePath: f.path,
          content: data!,
          expected: f.before ? { sha256: f.before.sha256 } : 'absent',
          newFileMode: f.after!.mode,
          nodeId: p.node.id,
          ...(p.home ? { home: p.home } : {}),
          ...(f.path === p.location.configPath ? { validator: validatorFromLocation(p.location) } : {}),
          ...(signal ? { signal } : {}),
          backupReason: 'pre-edit',
        });
        if (f.before && f.before.mode !== f.after!.mode) await chmod(t, f.path, f.after!.mode);
      } catch (e) {
        throw withPartialUndo(e, undo);
      }
      if (f.path === p.location.configPath) {
        return { undo, note: `${f.path} was restored; a running gateway reloads it by itself (settings that need a restart: ocm restart ${p.node.id}).` };
      }
      return { undo };
    },
  };
}

async function chmod(t: Transport, path: string, mode: number): Promise<void> {
  const r = await t.exec(`chmod ${(mode & 0o7777).toString(8)} ${shellQuote(path)}`, { timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new OcmError('permission', `chmod ${path} failed: ${r.stderr.trim()}`, { path });
}
