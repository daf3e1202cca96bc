import { posix } from 'node:path';
import { backupNode, backupSourcesFromLocation, hasNativeBackup, openclawCommandFromLocation, type BackupStore } from '../backup';
import { OcmError, toOcmError } from '../errors';
import { locateOpenclaw, parseAgentsListJson, type CliAgent, type OpenclawLocation } from '../openclaw';
import type { NodeRegistry } from '../registry/store';
import { shellQuote } from '../transport/shell-quote';
import type { Transport } from '../transport/types';
import { assertTargetVersion, dirUse, type MigrationPlan, type MigrationSide } from './migrate-plan';
import { gatewayListening, gatewayLogTail, runOpenclaw, startGateway, stopGateway, stopStartedGateway, waitForReady, type GatewayTarget } from './gateway';
import { checkedUploadSteps, describeExtract, type ExtractDescription } from './archive-check';
import { takeSafetyBackup } from './operation';
import { runSteps, type Step } from './steps';
import type { ApplyProgress, ApplyResult, SafetyBackupRef } from './types';

/**
 * Migrate, part 2: APPLY a confirmed plan. The source is only read (a fresh backup through
 * OpenClaw's own `backup create`, written to the source's /tmp and downloaded). Everything on the
 * target is a step with an undo (./steps runSteps): staging folder, stopping its current gateway,
 * the swap by rename, the started gateway, the registry entry. Any failure — including a gateway
 * that does not get ready — undoes them newest first, so the target ends as it was (its previous
 * state back in place, its previous gateway running again).
 */

export const DEFAULT_MIGRATE_READY_TIMEOUT_MS = 300_000;

export type MigrateProgress = ApplyProgress | { phase: 'sourceBackup' };

export interface ApplyMigrationParams {
  from: MigrationSide;
  to: MigrationSide;
  /** Where the source's fresh backup (and the target's safety backup) are kept. */
  store: BackupStore;
  /** When given, the target's entry gets the new state dir (and port, if it had one) on success. */
  registry?: NodeRegistry;
  readyTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: MigrateProgress) => void;
  /** Test seam: runs after the state is staged on the target, before anything is placed. */
  hooks?: { afterStage?: (staging: { transport: Transport; stateDir: string }) => Promise<void> };
}

export interface MigrationResult extends ApplyResult {
  plan: MigrationPlan;
  sourceBackup?: { backupId: string; repositoryRoot: string; engine: 'openclaw' | 'ocm' };
  /** `openclaw agents list --json` on the target after the move. */
  agents?: CliAgent[];
  readyAfterMs?: number;
  /** Last gateway log lines when it did not get ready. */
  logTail?: string[];
}

async function sh(t: Transport, command: string, what: string, signal?: AbortSignal, timeoutMs = 120_000): Promise<string> {
  const r = await t.exec(command, { timeoutMs, ...(signal ? { signal } : {}) });
  if (r.exitCode !== 0)
    throw new OcmError('failed', `${what} failed on ${t.nodeId} (exit ${r.exitCode ?? r.signal}): ${(r.stderr || r.stdout).trim().slice(0, 500)}`, {
      nodeId: t.nodeId,
    });
  return r.stdout;
}

/** The target's OpenClaw as it will run the migrated state (new state dir, config, port). */
export function migratedLocation(current: OpenclawLocation, plan: MigrationPlan): OpenclawLocation {
  const cliEnv = { ...current.cliEnv };
  delete cliEnv.OPENCLAW_CONFIG_PATH;
  if (plan.to.stateDir !== posix.join(current.home, '.openclaw') || current.cliEnv.OPENCLAW_STATE_DIR) cliEnv.OPENCLAW_STATE_DIR = plan.to.stateDir;
  const sameDir = plan.to.stateDir === current.stateDir;
  return {
    ...current,
    stateDir: plan.to.stateDir,
    stateDirExists: true,
    configPath: plan.to.configPath,
    configExists: true,
    gatewayPort: plan.to.gatewayPort,
    // A service unit runs the state dir it was made for: only keep it when that dir is replaced.
    supervisor: sameDir ? current.supervisor : 'unmanaged',
    ...(sameDir && current.supervisorUnit ? { supervisorUnit: current.supervisorUnit } : { supervisorUnit: undefined }),
    cliEnv,
  };
}

export async function applyMigration(plan: MigrationPlan, p: ApplyMigrationParams): Promise<MigrationResult> {
  const exported: Array<() => Promise<void>> = [];
  try {
    return await migrate(plan, p, exported);
  } finally {
    for (const release of exported) await release().catch(() => undefined);
  }
}

async function migrate(plan: MigrationPlan, p: ApplyMigrationParams, exported: Array<() => Promise<void>>): Promise<MigrationResult> {
  const started = Date.now();
  const sig = p.signal ? { signal: p.signal } : {};
  const ids = { from: p.from.node.id, to: p.to.node.id };
  const result: MigrationResult = { ok: false, plan, steps: [], rolledBack: false, rollbackErrors: [], notes: [], durationMs: 0 };
  const fail = (e: unknown, step?: string): MigrationResult => {
    const err = toOcmError(e);
    result.error = { kind: err.kind, message: err.message, ...(step ? { step } : {}) };
    result.rolledBack = true;
    result.durationMs = Date.now() - started;
    p.onProgress?.({ phase: 'done', ok: false });
    return result;
  };

  // Preflight again: the plan may be old. Nothing has changed anywhere yet.
  let fromLoc: OpenclawLocation;
  let toLoc: OpenclawLocation;
  try {
    [fromLoc, toLoc] = await Promise.all([locateOpenclaw(p.from.transport, p.from.node, sig), locateOpenclaw(p.to.transport, p.to.node, sig)]);
    assertTargetVersion(fromLoc.version, toLoc.version, ids);
    if (fromLoc.stateDir !== plan.from.stateDir)
      throw new OcmError(
        'conflict',
        `The state dir of ${ids.from} is now ${fromLoc.stateDir}, not ${plan.from.stateDir} as planned. Plan the migration again.`,
      );
    const uses = await Promise.all(plan.roots.map((r) => dirUse(p.to.transport, r.to, p.signal)));
    const used = plan.roots.filter((_r, i) => uses[i] !== 'free');
    if (used.length > 0 && !plan.replace)
      throw new OcmError(
        'conflict',
        `On ${ids.to}, ${used.map((r) => r.to).join(', ')} now holds files (it was free when planned). Plan again, with --replace to replace it.`,
        { nodeId: ids.to },
      );
  } catch (e) {
    return fail(e, 'preflight');
  }
  const currentTarget: GatewayTarget = { transport: p.to.transport, location: toLoc, node: p.to.node };
  const newTarget: GatewayTarget = { transport: p.to.transport, location: migratedLocation(toLoc, plan), node: p.to.node };

  // Fresh backup of the source (read-only there), then the target's safety backup when it is replaced.
  let archivePath: string;
  let archiveRoot: string;
  let expected: ExtractDescription[];
  try {
    p.onProgress?.({ phase: 'sourceBackup' });
    const fromRunning = await gatewayListening({ transport: p.from.transport, location: fromLoc, node: p.from.node });
    // OpenClaw's own backup where the version has it: its SQLite snapshot leaves out the running
    // gateway's owner lease, which a copy taken with the online backup API keeps (the migrated
    // gateway on the same host then waits for a lease that A still renews, and never gets ready).
    const fromOpenclaw = openclawCommandFromLocation(fromLoc);
    const engine = fromOpenclaw?.command && hasNativeBackup(fromOpenclaw.version) ? 'openclaw' : 'ocm';
    const backup = await backupNode({
      store: p.store,
      nodeId: ids.from,
      transport: p.from.transport,
      engine,
      openclaw: fromOpenclaw,
      sources: backupSourcesFromLocation(fromLoc),
      gatewayRunning: fromRunning,
      ...sig,
    });
    // What is uploaded: an OpenClaw archive built from the snapshot (removed when the migration ends).
    const archive = await p.store.materialize(backup.index, sig);
    exported.push(archive.release);
    archivePath = archive.archivePath;
    archiveRoot = archive.index.archiveRoot;
    expected = plan.roots.map((r) => describeExtract(backup.index.entries, r.from));
    result.sourceBackup = { backupId: backup.index.id, repositoryRoot: p.store.repositoryRoot, engine: backup.engine };
    result.notes.push(...backup.warnings);
    for (const l of backup.index.externalSymbolicLinks)
      if (!plan.symlinks.some((s) => s.entryPath === l.entryPath)) result.notes.push(`Absolute symlink ${l.entryPath} -> ${l.linkpath} was copied unchanged.`);
    if (plan.to.stateDirInUse || plan.roots.length > 1) {
      const replaced = await Promise.all(plan.roots.map(async (r) => ((await dirUse(p.to.transport, r.to, p.signal)) === 'used' ? r.to : undefined)));
      const dirs = replaced.filter((d): d is string => d !== undefined);
      if (dirs.length > 0) {
        p.onProgress?.({ phase: 'safetyBackup' });
        if (dirs[0] === toLoc.stateDir && dirs.length === 1) {
          // The target's own state: the operations framework's safety backup (OpenClaw's engine where it can).
          result.safetyBackup = await takeSafetyBackup({ store: p.store, transport: p.to.transport, location: toLoc, nodeId: ids.to, ...sig });
        } else {
          const safety = await backupNode({
            store: p.store,
            nodeId: ids.to,
            transport: p.to.transport,
            engine: 'ocm',
            sources: { stateDir: dirs[0]!, configPath: posix.join(dirs[0]!, 'openclaw.json'), workspaceDirs: dirs.slice(1), agentDirs: [] },
            gatewayRunning: plan.to.current.gatewayRunning,
            ...sig,
          });
          result.safetyBackup = {
            nodeId: ids.to,
            backupId: safety.index.id,
            repositoryRoot: p.store.repositoryRoot,
            engine: safety.engine,
          } satisfies SafetyBackupRef;
        }
      }
    }
  } catch (e) {
    return fail(e, result.sourceBackup ? 'safetyBackup' : 'sourceBackup');
  }

  const t = p.to.transport;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const staging = posix.join(posix.dirname(plan.to.stateDir), `.ocm-migrate-${stamp}`);
  const remoteArchive = posix.join(staging, 'archive.tar.gz');
  const extractDir = posix.join(staging, 'extract');
  const stagedRoot = (i: number): string => posix.join(staging, 'roots', String(i));
  const previousRoot = (i: number): string => posix.join(staging, 'previous', String(i));
  const stagedPath = (targetPath: string): string => {
    const i = plan.roots.findIndex((r) => targetPath === r.to || targetPath.startsWith(`${r.to}/`));
    if (i < 0) throw new OcmError('failed', `${targetPath} is not inside any migrated folder.`);
    return posix.join(stagedRoot(i), posix.relative(plan.roots[i]!.to, targetPath));
  };
  let readyAfter: number | undefined;
  let logTail: string[] | undefined;
  let agentsSeen: CliAgent[] | undefined;
  const prevRegistry = { stateDir: p.to.node.stateDir, gatewayPort: p.to.node.gatewayPort };

  // Scanned and checked against the fresh backup's index before upload, its sha256 checked on the
  // target before anything extracts it (the same two steps as a whole-node restore).
  const upload = checkedUploadSteps({
    transport: t,
    nodeId: ids.to,
    archivePath,
    remotePath: remoteArchive,
    expected,
    uploadTimeoutMs: 30 * 60_000,
    prepare: async (signal) =>
      void (await sh(t, `mkdir -p ${shellQuote(posix.dirname(staging))} && mkdir -m 700 ${shellQuote(staging)}`, 'Creating the staging folder', signal)),
    // Keeps `previous/` when something is still in it (an undo that could not put it back).
    undo: async () =>
      void (await sh(
        t,
        `cd ${shellQuote(staging)} 2>/dev/null || exit 0; rm -rf extract roots failed archive.tar.gz; rmdir previous 2>/dev/null; cd / && rmdir ${shellQuote(staging)} 2>/dev/null; exit 0`,
        'Removing the staging folder',
      )),
  });
  const steps: Step[] = [
    ...upload.steps,
    {
      id: 'extract',
      description: plan.extractWith === 'tar' ? 'extract into staging (tar)' : 'extract into staging (openclaw backup restore --target)',
      run: async (signal) => {
        if (plan.extractWith === 'openclaw-backup-restore') {
          const r = await runOpenclaw(currentTarget, ['backup', 'restore', remoteArchive, '--target', extractDir, '--json'], {
            timeoutMs: 10 * 60_000,
            ...(signal ? { signal } : {}),
          });
          if (r.exitCode !== 0)
            throw new OcmError(
              'failed',
              `"openclaw backup restore" failed on ${ids.to} (exit ${r.exitCode ?? r.signal}): ${(r.stderr || r.stdout).trim().slice(0, 500)}`,
              { nodeId: ids.to },
            );
        } else {
          // The archive was scanned (paths, links, sizes) in `check` and is the same bytes here (`upload`).
          await sh(
            t,
            `mkdir -m 700 ${shellQuote(extractDir)} && tar -xzpf ${shellQuote(remoteArchive)} -C ${shellQuote(extractDir)} --no-same-owner`,
            'Extracting the archive',
            signal,
            10 * 60_000,
          );
        }
      },
    },
    {
      id: 'stage',
      description: 'arrange the folders for the target and write the adapted config',
      run: async (signal) => {
        const found = await sh(t, `find ${shellQuote(extractDir)} -maxdepth 2 -name manifest.json -type f | head -n 1`, 'Looking for the manifest', signal);
        const manifest = found.trim() || posix.join(extractDir, archiveRoot, 'manifest.json');
        const payload = posix.join(posix.dirname(manifest), 'payload', 'posix');
        await sh(t, `mkdir -p ${shellQuote(posix.join(staging, 'roots'))}`, 'Creating the staging folders', signal);
        for (const [i, r] of plan.roots.entries()) {
          const from = posix.join(payload, r.from);
          const moved = await sh(
            t,
            `if [ -d ${shellQuote(from)} ]; then mv ${shellQuote(from)} ${shellQuote(stagedRoot(i))} && echo moved; else echo missing; fi`,
            `Staging ${r.from}`,
            signal,
          );
          if (moved.trim() !== 'moved') {
            if (i === 0) throw new OcmError('failed', `The backup of ${ids.from} holds no ${r.from}; nothing to migrate. Check the source's state dir.`);
            await sh(t, `mkdir -p ${shellQuote(stagedRoot(i))}`, `Staging ${r.from}`, signal);
            result.notes.push(`${r.from} was not in the backup of ${ids.from}; ${r.to} is created empty.`);
          }
        }
        for (const f of plan.config.files) {
          const path = stagedPath(f.targetPath);
          const inBackup = (await t.readFile(path, signal ? { signal } : {})).toString('utf8');
          if (inBackup !== f.before) {
            throw new OcmError(
              'conflict',
              `${f.sourcePath} on ${ids.from} changed since the migration was planned; the preview no longer matches. Plan the migration again.`,
              { path: f.sourcePath },
            );
          }
          await t.writeFileAtomic(path, Buffer.from(f.after, 'utf8'), { mode: 0o600, ...(signal ? { signal } : {}) });
        }
        await p.hooks?.afterStage?.({ transport: t, stateDir: stagedRoot(0) });
      },
    },
    ...(plan.to.stopsCurrentGateway
      ? [
          {
            id: 'stopCurrent',
            description: `stop the gateway now running on ${ids.to} (port ${plan.to.current.gatewayPort})`,
            run: async (signal: AbortSignal | undefined) => {
              const stopped = await stopGateway(currentTarget, signal ? { signal } : {});
              if (!stopped.wasRunning) return {};
              return {
                undo: async () => {
                  if (await gatewayListening(currentTarget)) return;
                  await startGateway(currentTarget);
                  const ready = await waitForReady(currentTarget, { timeoutMs: p.readyTimeoutMs ?? DEFAULT_MIGRATE_READY_TIMEOUT_MS });
                  if (!ready.ready)
                    throw new OcmError(
                      'timeout',
                      `The previous gateway of ${ids.to} was started again but is not ready (${ready.failing.join(', ') || ready.lastError || 'no answer'}). Check it with "ocm status ${ids.to}".`,
                    );
                },
              };
            },
          } satisfies Step,
        ]
      : []),
    {
      id: 'place',
      description: `move the staged state into place (${plan.roots.map((r) => r.to).join(', ')})`,
      run: async (signal) => {
        const placed: Array<{ i: number; hadPrevious: boolean }> = [];
        const undo = async (): Promise<void> => {
          for (const { i, hadPrevious } of [...placed].reverse()) {
            const to = plan.roots[i]!.to;
            const failed = posix.join(staging, 'failed', String(i));
            await sh(
              t,
              `mkdir -p ${shellQuote(posix.dirname(failed))} && { [ ! -e ${shellQuote(to)} ] || mv ${shellQuote(to)} ${shellQuote(failed)}; }${hadPrevious ? ` && mv ${shellQuote(previousRoot(i))} ${shellQuote(to)}` : ''}`,
              `Putting ${to} back`,
            );
          }
        };
        try {
          for (const [i, r] of plan.roots.entries()) {
            const exists = (await sh(t, `[ -e ${shellQuote(r.to)} ] && echo yes || echo no`, `Checking ${r.to}`, signal)).trim() === 'yes';
            if (exists)
              await sh(
                t,
                `mkdir -p ${shellQuote(posix.join(staging, 'previous'))} && mv ${shellQuote(r.to)} ${shellQuote(previousRoot(i))}`,
                `Moving the current ${r.to} aside`,
                signal,
              );
            placed.push({ i, hadPrevious: exists });
            await sh(t, `mkdir -p ${shellQuote(posix.dirname(r.to))} && mv ${shellQuote(stagedRoot(i))} ${shellQuote(r.to)}`, `Placing ${r.to}`, signal);
          }
        } catch (e) {
          const err = toOcmError(e);
          throw new OcmError(err.kind, err.message, { ...err.details, undo });
        }
        return { undo };
      },
    },
    {
      id: 'doctor',
      description: 'openclaw doctor --fix --non-interactive',
      run: async (signal) => {
        const r = await runOpenclaw(newTarget, ['doctor', '--fix', '--non-interactive'], { timeoutMs: 10 * 60_000, ...(signal ? { signal } : {}) });
        if (r.exitCode !== 0)
          throw new OcmError(
            'failed',
            `"openclaw doctor --fix" failed on ${ids.to} (exit ${r.exitCode ?? r.signal}): ${(r.stderr || r.stdout).trim().slice(-600)}`,
            { nodeId: ids.to },
          );
      },
    },
    {
      id: 'validate',
      description: 'openclaw config validate --json',
      run: async (signal) => {
        const r = await runOpenclaw(newTarget, ['config', 'validate', '--json'], { timeoutMs: 120_000, ...(signal ? { signal } : {}) });
        const invalid = /"valid"\s*:\s*false/.test(r.stdout);
        if (r.exitCode !== 0 || invalid)
          throw new OcmError('invalidConfig', `The migrated config does not validate on ${ids.to}: ${(r.stdout || r.stderr).trim().slice(0, 600)}`, {
            nodeId: ids.to,
          });
      },
    },
    {
      id: 'start',
      description: `start the gateway on port ${plan.to.gatewayPort}`,
      run: async (signal) => {
        const undo = (): Promise<void> => stopStartedGateway(newTarget);
        try {
          const s = await startGateway(newTarget, signal ? { signal } : {});
          return { undo, ...(s.logPath ? { note: `The migrated gateway on ${ids.to} logs to ${s.logPath}.` } : {}) };
        } catch (e) {
          const err = toOcmError(e);
          throw new OcmError(err.kind, err.message, { ...err.details, undo });
        }
      },
    },
    {
      id: 'ready',
      description: `wait for /readyz on port ${plan.to.gatewayPort}`,
      run: async (signal) => {
        const waitStarted = Date.now();
        const ready = await waitForReady(newTarget, { timeoutMs: p.readyTimeoutMs ?? DEFAULT_MIGRATE_READY_TIMEOUT_MS, ...(signal ? { signal } : {}) });
        if (!ready.ready) {
          logTail = await gatewayLogTail(newTarget);
          throw new OcmError(
            'timeout',
            `The migrated gateway on ${ids.to} was not ready within ${Math.round((Date.now() - waitStarted) / 1000)} s (${ready.failing.length ? `failing: ${ready.failing.join(', ')}` : (ready.lastError ?? 'no answer')}). Its log: ${newTarget.location.stateDir}/logs/.`,
            { nodeId: ids.to },
          );
        }
        readyAfter = ready.waitedMs;
      },
    },
    {
      id: 'agents',
      description: 'check the agents on the target',
      run: async (signal) => {
        const r = await runOpenclaw(newTarget, ['agents', 'list', '--json'], { timeoutMs: 120_000, ...(signal ? { signal } : {}) });
        const listed = parseAgentsListJson(r.stdout, r.stderr, r.exitCode, ids.to);
        const problems: string[] = [];
        for (const a of plan.agents) {
          const got = listed.find((l) => l.id === a.id);
          if (!got) problems.push(`agent ${a.id} is missing`);
          else {
            if (got.workspace !== a.to.workspace) problems.push(`agent ${a.id} has workspace ${got.workspace}, expected ${a.to.workspace}`);
            if (got.agentDir !== a.to.agentDir) problems.push(`agent ${a.id} has agent dir ${got.agentDir}, expected ${a.to.agentDir}`);
          }
        }
        if (problems.length > 0)
          throw new OcmError('failed', `"openclaw agents list" on ${ids.to} does not show the migrated agents as planned: ${problems.join('; ')}.`, {
            nodeId: ids.to,
            problems,
          });
        agentsSeen = listed;
      },
    },
    {
      id: 'registry',
      description: `record ${ids.to}'s state dir and port in the registry`,
      run: async () => {
        if (!p.registry) return {};
        const changes: { stateDir?: string; gatewayPort?: number } = {};
        if (plan.to.stateDir !== toLoc.stateDir || p.to.node.stateDir !== undefined) changes.stateDir = plan.to.stateDir;
        if (p.to.node.gatewayPort !== undefined) changes.gatewayPort = plan.to.gatewayPort;
        if (Object.keys(changes).length === 0) return {};
        const registry = p.registry;
        await registry.patch(ids.to, changes);
        return {
          undo: async () => void (await registry.patch(ids.to, prevRegistry)),
          note: `Registry: ${ids.to} now has ${Object.entries(changes)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}.`,
        };
      },
    },
  ];

  const run = await runSteps(steps, { ...(p.signal ? { signal: p.signal } : {}), ...(p.onProgress ? { onProgress: p.onProgress } : {}) });
  result.steps = run.reports;
  result.notes.push(...run.notes);
  result.rolledBack = run.rolledBack;
  result.rollbackErrors = run.rollbackErrors;
  if (readyAfter !== undefined) result.readyAfterMs = readyAfter;
  if (logTail) result.logTail = logTail;
  if (agentsSeen) result.agents = agentsSeen;
  if (!run.ok) {
    result.error = { kind: run.error!.kind, message: run.error!.message, ...(run.failedStep ? { step: run.failedStep } : {}) };
    result.durationMs = Date.now() - started;
    p.onProgress?.({ phase: 'done', ok: false });
    return result;
  }
  // Done: drop the staging leftovers; a replaced state stays beside it until the user removes it.
  const kept = await sh(
    t,
    `cd ${shellQuote(staging)} && rm -rf extract roots failed archive.tar.gz && { rmdir previous 2>/dev/null; cd / && rmdir ${shellQuote(staging)} 2>/dev/null && echo removed || echo kept; }`,
    'Cleaning up the staging folder',
  ).catch(() => 'kept');
  if (kept.trim() !== 'removed')
    result.notes.push(
      `The replaced state of ${ids.to} is kept in ${posix.join(staging, 'previous')} (and in the safety backup); remove it when the migrated node works.`,
    );
  result.ok = true;
  result.durationMs = Date.now() - started;
  p.onProgress?.({ phase: 'done', ok: true });
  return result;
}
