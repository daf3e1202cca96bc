import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import { backupRoots, diffEntries, excludedReason, hashLiveFiles, readArchiveFiles, type BackupIndex, type BackupStore, type EngineChoice, type IndexEntry } from '../backup';
import { OcmError } from '../errors';
import { agentsFromLocation } from '../openclaw/node-agents';
import type { OpenclawLocation } from '../openclaw/locate';
import type { NodeEntry } from '../registry';
import { safeWrite } from '../safe-write';
import { invalidConfigError, validateWithOpenclaw } from '../safe-write/openclaw-validate';
import { validatorFromLocation } from '../safe-write/validator-for-node';
import { shellQuote } from '../transport/shell-quote';
import type { Transport } from '../transport/types';
import { gatewayLogTail, runOpenclaw, startGateway, stopGateway, waitForReady, type GatewayTarget } from './gateway';
import { applyOperation, takeSafetyBackup, withPartialUndo } from './operation';
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
  backup: { nodeId: string; id: string; createdAt: string; engine: string; openclawVersion: string | null };
  /** Absolute roots the plan covers (the agent's workspace, the state dir...). */
  roots: string[];
}

export interface PlanRestoreParams {
  transport: Transport;
  location: OpenclawLocation;
  /** The node the backup is restored to. */
  nodeId: string;
  index: BackupIndex;
  archivePath: string;
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
  if (!agent) throw new OcmError('notFound', `Node ${location.nodeId} has no agent "${agentId}" (agents: ${agents.map((a) => a.id).join(', ') || 'none'}). Check the id with "ocm agents ${location.nodeId}".`, { nodeId: location.nodeId, agentId });
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
    if (index.options.configOnly) throw new OcmError('invalidInput', `Backup ${index.nodeId}/${index.id} holds only the config; restore it with --file ${index.sourcePaths.configPath ?? 'openclaw.json'}.`, { usage: true });
    if (index.sourcePaths.stateDir !== stateDir) {
      throw new OcmError('invalidInput', `Backup ${index.nodeId}/${index.id} was taken of state dir ${index.sourcePaths.stateDir ?? '(unknown)'}, but ${p.nodeId} uses ${stateDir}. Moving a state to another place is a migration: use "ocm migrate".`, { usage: true });
    }
  }
  const live = await hashLiveFiles(p.transport, backupRoots(index), p.signal ? { signal: p.signal } : {});
  const ctx = { stateDir: index.sourcePaths.stateDir ?? '/nonexistent-state-dir', includeTranscripts: index.options.includeTranscripts, protectedPaths: new Set(index.sourcePaths.configPath ? [index.sourcePaths.configPath] : []) };
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
      throw new OcmError('notFound', `${scope.path} is not a file in backup ${index.nodeId}/${index.id}. List its files with "ocm diff ${index.nodeId}/${index.id} live" or pick another backup.`, { path: scope.path });
    }
  } else if (scope.kind === 'agent') {
    agentId = scope.agentId;
    const workspace = agentWorkspace(location, scope.agentId);
    // Other agents' workspaces may sit inside this one (agents.defaults.workspace): leave them out.
    const nested = agentsFromLocation(location).filter((a) => a.id !== scope.agentId && under(a.workspace, workspace) && a.workspace !== workspace).map((a) => a.workspace);
    roots = [workspace];
    inScope = (path) => under(path, workspace) && !nested.some((n) => under(path, n));
    if (![...backupByPath.keys()].some(inScope)) {
      throw new OcmError('notFound', `Backup ${index.nodeId}/${index.id} holds no files of agent ${scope.agentId}'s workspace ${workspace}.`, { agentId: scope.agentId, workspace });
    }
  } else {
    roots = backupRoots(index);
    inScope = () => true;
  }

  const diff = diffEntries(backupSide.filter((e) => inScope(e.path)), liveSide.filter((e) => inScope(e.path)));
  const content = (e: IndexEntry | undefined) => (e ? { sha256: e.sha256!, size: e.size, mode: e.mode & 0o7777 } : undefined);
  const files: PlannedFile[] = [];
  for (const r of diff.removed) files.push({ path: r.path, action: 'create', after: content(backupByPath.get(r.path))!, ...(agentId ? { agentId } : {}) });
  for (const c of diff.changed) {
    files.push({ path: c.path, action: 'update', before: content(liveByPath.get(c.path))!, after: content(backupByPath.get(c.path))!, ...(c.modeOnly ? { modeOnly: true } : {}), ...(agentId ? { agentId } : {}) });
  }
  if (scope.kind !== 'file') for (const a of diff.added) files.push({ path: a.path, action: 'delete', before: content(liveByPath.get(a.path))!, ...(agentId ? { agentId } : {}) });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const steps: PlannedStep[] = [{ id: 'safetyBackup', description: `back up ${p.nodeId} into the backup store first` }];
  const outside = files.filter((f) => !under(f.path, stateDir));
  if (scope.kind === 'node') {
    steps.push(
      { id: 'upload', description: 'upload the backup archive next to the state dir' },
      { id: 'stage', description: `extract the state dir beside the live one (${posix.dirname(stateDir)})` },
      { id: 'stopGateway', description: 'stop the gateway' },
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
    warnings.push(`The backup was made by OpenClaw ${index.openclawVersion}; the node runs ${location.version}. doctor --fix upgrades older state; an older OpenClaw refuses newer databases.`);
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
    source: { kind: 'archive', archivePath: p.archivePath, backupId: index.id, nodeId: index.nodeId },
    warnings,
    scope,
    backup: { nodeId: index.nodeId, id: index.id, createdAt: index.createdAt, engine: index.engine, openclawVersion: index.openclawVersion },
    roots,
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
  signal?: AbortSignal;
  onProgress?: (p: ApplyProgress) => void;
}

/** Applies a restore plan: safety backup, then the steps; rolled back on any failure. */
export async function applyRestore(p: ApplyRestoreParams): Promise<ApplyResult> {
  const { plan } = p;
  if (plan.source.kind !== 'archive') throw new OcmError('invalidInput', 'A restore plan must come from a backup archive.');
  const archivePath = plan.source.archivePath;
  // Read every "after" once (one pass over the archive) and check it is what the plan showed.
  const needed = plan.files.filter((f) => f.after && (plan.scope.kind !== 'node' || !under(f.path, p.location.stateDir))).map((f) => f.path);
  const afterBytes = needed.length ? await readArchiveFiles(archivePath, needed, p.signal ? { signal: p.signal } : {}) : new Map<string, Buffer>();
  for (const path of needed) {
    const f = plan.files.find((x) => x.path === path)!;
    const data = afterBytes.get(path);
    if (!data || sha256(data) !== f.after!.sha256) throw new OcmError('failed', `${path} in ${archivePath} does not match its index. Run "ocm verify" on the backup.`, { path });
  }
  const safety = () => takeSafetyBackup({ store: p.store, transport: p.transport, location: p.location, nodeId: p.node.id, ...(p.safetyEngine ? { engine: p.safetyEngine } : {}), ...(p.signal ? { signal: p.signal } : {}) });
  if (plan.scope.kind !== 'node') {
    const steps = plan.files.map((f) => fileStep(p, f, afterBytes.get(f.path)));
    return applyOperation({ plan, steps, safetyBackup: safety, ...(p.signal ? { signal: p.signal } : {}), ...(p.onProgress ? { onProgress: p.onProgress } : {}) });
  }
  const node = nodeSteps(p, afterBytes);
  return applyOperation({ plan, steps: node.steps, safetyBackup: safety, cleanup: node.cleanup, ...(p.signal ? { signal: p.signal } : {}), ...(p.onProgress ? { onProgress: p.onProgress } : {}) });
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
        throw new OcmError('conflict', `${f.path} on ${p.node.id} changed since the restore was planned (an agent may have written it). Nothing of it was replaced; plan the restore again to see the new state.`, { path: f.path });
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
        await t.mkdir(posix.dirname(f.path), { recursive: true });
        await safeWrite(t, {
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
      return { undo };
    },
  };
}

async function chmod(t: Transport, path: string, mode: number): Promise<void> {
  const r = await t.exec(`chmod ${(mode & 0o7777).toString(8)} ${shellQuote(path)}`, { timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new OcmError('permission', `chmod ${path} failed: ${r.stderr.trim()}`, { path });
}

/** How long a rollback waits for the old gateway to be ready again (a loaded node needs a while). */
const ROLLBACK_READY_TIMEOUT_MS = 300_000;

/** Live-only files that must not be carried into a restored tree (sockets, pids, locks, temp files). */
const NOT_CARRIED = /(\.sock|\.pid|\.lock|\.tmp|\.tmp\..*)$/;

/** The whole-node steps: upload, stage, stop, swap, outside files, validate, doctor, start, ready. */
function nodeSteps(p: ApplyRestoreParams, afterBytes: Map<string, Buffer>): { steps: Step[]; cleanup: (ok: boolean) => Promise<void> } {
  const t = p.transport;
  const { location, plan } = p;
  const gw: GatewayTarget = { transport: t, location, node: p.node };
  const stateDir = location.stateDir.replace(/\/+$/, '');
  const parent = posix.dirname(stateDir);
  const base = posix.basename(stateDir);
  const stamp = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
  const remoteArchive = posix.join(parent, `.${base}.ocm-restore-${stamp}.tar.gz`);
  const staging = posix.join(parent, `.${base}.ocm-staging-${stamp}`);
  const oldTree = posix.join(parent, `${base}.ocm-old-${stamp}`);
  const failedTree = posix.join(parent, `.${base}.ocm-failed-${stamp}`);
  const readyTimeoutMs = p.readyTimeoutMs ?? 120_000;
  const q = shellQuote;
  let wasRunning = false;
  let stagedTree = '';
  const exec = async (command: string, what: string, timeoutMs = 300_000): Promise<string> => {
    const r = await t.exec(command, { timeoutMs });
    if (r.exitCode !== 0) throw new OcmError('failed', `${what} failed on ${p.node.id} (exit ${r.exitCode ?? r.signal}): ${(r.stderr || r.stdout).trim().slice(0, 500)}`, { nodeId: p.node.id });
    return r.stdout;
  };
  // Bringing the OLD gateway back during a rollback is not cut short by the user's timeout for the new one.
  const rollbackReadyTimeoutMs = Math.max(readyTimeoutMs, ROLLBACK_READY_TIMEOUT_MS);
  const startAndWait = async (timeoutMs = readyTimeoutMs): Promise<void> => {
    await startGateway(gw);
    const ready = await waitForReady(gw, { timeoutMs });
    if (!ready.ready) {
      const tail = await gatewayLogTail(gw, 15);
      throw new OcmError('timeout', `The gateway on ${p.node.id} was not ready within ${Math.round(timeoutMs / 1000)} s (${ready.failing.join(', ') || ready.lastError || 'no answer'}).${tail.length ? ` Last log lines:\n${tail.join('\n')}` : ''}`, { nodeId: p.node.id, failing: ready.failing, logTail: tail });
    }
  };

  const steps: Step[] = [
    {
      id: 'upload',
      description: `upload the backup archive to ${remoteArchive}`,
      run: async (signal) => {
        const undo = async (): Promise<void> => t.remove(remoteArchive).catch(() => undefined);
        try {
          await t.upload(createReadStream((p.plan.source as { archivePath: string }).archivePath), remoteArchive, { mode: 0o600, ...(signal ? { signal } : {}) });
        } catch (e) {
          throw withPartialUndo(e, undo);
        }
        return { undo };
      },
    },
    {
      id: 'stage',
      description: `extract the state dir into ${staging}`,
      run: async () => {
        const undo = async (): Promise<void> => {
          await exec(`rm -rf ${q(staging)}`, 'Removing the staging folder');
        };
        try {
          // The archive's single root folder holds payload/posix/<absolute source path>.
          const list = await exec(`tar -tzf ${q(remoteArchive)} | head -n 1`, 'Reading the archive on the node', 120_000);
          const root = list.split('\n')[0]!.split('/')[0]!;
          if (!root) throw new OcmError('failed', `The archive uploaded to ${p.node.id} is empty.`);
          const member = `${root}/payload/posix${stateDir}`;
          await exec(`mkdir -m 700 ${q(staging)} && tar -xzpf ${q(remoteArchive)} -C ${q(staging)} ${q(member)}`, 'Extracting the backup on the node', 600_000);
          stagedTree = posix.join(staging, member);
          // Live files the backup leaves out by rule (transcripts, logs, rebuildable caches) are
          // carried over, so restoring does not lose them. SQLite sidecars and pid/socket files are not.
          const ctx = { stateDir, includeTranscripts: false };
          const live = await hashLiveFiles(t, [stateDir]);
          const carry = live.map((e) => e.path).filter((path) => {
            const why = excludedReason(path, ctx);
            return why !== undefined && why !== 'sqlite-sidecar' && !NOT_CARRIED.test(posix.basename(path)) && !plan.files.some((f) => f.path === path);
          });
          if (carry.length) {
            const script = `S=${q(stagedTree)}; L=${q(stateDir)}; while IFS= read -r rel; do [ -e "$S/$rel" ] && continue; mkdir -p "$(dirname "$S/$rel")" && cp -p "$L/$rel" "$S/$rel" || exit 1; done`;
            const r = await t.exec(script, { stdin: carry.map((c) => posix.relative(stateDir, c)).join('\n') + '\n', timeoutMs: 600_000 });
            if (r.exitCode !== 0) throw new OcmError('failed', `Carrying live logs/transcripts into the restored tree failed: ${r.stderr.trim().slice(0, 300)}`);
          }
        } catch (e) {
          throw withPartialUndo(e, undo);
        }
        return { undo };
      },
    },
    {
      id: 'stopGateway',
      description: 'stop the gateway',
      run: async () => {
        const stopped = await stopGateway(gw);
        wasRunning = stopped.wasRunning;
        return wasRunning ? { undo: () => startAndWait(rollbackReadyTimeoutMs) } : {};
      },
    },
    {
      id: 'swap',
      description: `swap by rename: ${stateDir} → ${oldTree}, restored tree → ${stateDir}`,
      run: async () => {
        // Robust to a half-done swap (connection lost between the two renames).
        const undo = async (): Promise<void> => {
          await exec(`if [ -e ${q(oldTree)} ]; then if [ -e ${q(stateDir)} ]; then mv ${q(stateDir)} ${q(failedTree)}; fi; mv ${q(oldTree)} ${q(stateDir)} && rm -rf ${q(failedTree)}; fi`, 'Swapping the old state dir back');
        };
        try {
          await exec(`set -e; mv ${q(stateDir)} ${q(oldTree)}; mv ${q(stagedTree)} ${q(stateDir)}`, 'Swapping the restored state dir in');
        } catch (e) {
          throw withPartialUndo(e, undo);
        }
        return { undo, note: p.keepOld ? `The replaced state dir is kept at ${oldTree}.` : undefined };
      },
    },
    ...plan.files.filter((f) => !under(f.path, stateDir)).map((f) => fileStep(p, f, afterBytes.get(f.path))),
    {
      id: 'validate',
      description: 'validate the restored config (openclaw config validate --json)',
      run: async (signal) => {
        const validator = validatorFromLocation(location);
        const configBytes = await t.readFile(location.configPath);
        if (!validator) return { note: 'The restored config was not validated: no usable openclaw CLI on the node.' };
        const verdict = await validateWithOpenclaw(t, location.configPath, configBytes, validator, signal);
        if (verdict.outcome === 'invalid') throw invalidConfigError(p.node.id, location.configPath, verdict);
        if (verdict.outcome === 'unavailable') return { note: `The restored config could not be validated (${verdict.reason}).` };
        return {};
      },
    },
    {
      id: 'doctor',
      description: 'openclaw doctor --fix --non-interactive',
      run: async (signal) => {
        if (!location.bin) return { note: 'openclaw doctor was not run: no openclaw binary on the node.' };
        const r = await runOpenclaw(gw, ['doctor', '--fix', '--non-interactive'], { timeoutMs: 300_000, ...(signal ? { signal } : {}) });
        if (r.exitCode !== 0) {
          if (/unknown option|unrecognized|unknown command/i.test(r.stderr + r.stdout)) return { note: 'This OpenClaw has no "doctor --fix --non-interactive"; skipped.' };
          return { note: `openclaw doctor --fix exited ${r.exitCode ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ').slice(0, 300)}` };
        }
        return {};
      },
    },
    {
      id: 'startGateway',
      description: 'start the gateway and wait for /readyz',
      run: async () => {
        if (!wasRunning) return { note: 'The gateway was not running before the restore, so it was not started.' };
        const stop = async (): Promise<void> => {
          await stopGateway(gw, { graceMs: 10_000 });
        };
        try {
          await startAndWait();
        } catch (e) {
          throw withPartialUndo(e, stop);
        }
        return { undo: stop };
      },
    },
  ];
  const cleanup = async (ok: boolean): Promise<void> => {
    // Success: the replaced tree goes unless kept. Failure: the swap undo moved it back (or, if that
    // failed, it stays where it is for the user).
    const removeOld = ok && !p.keepOld ? `rm -rf ${q(oldTree)}; ` : '';
    await exec(`${removeOld}rm -rf ${q(staging)} ${q(failedTree)}; rm -f ${q(remoteArchive)}`, 'Removing temporary files');
  };
  return { steps, cleanup };
}
