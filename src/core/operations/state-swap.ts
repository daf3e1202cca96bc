import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { excludedReason, hashLiveFiles } from '../backup';
import { OcmError } from '../errors';
import type { OpenclawLocation } from '../openclaw/locate';
import type { NodeEntry } from '../registry';
import { invalidConfigError, validateWithOpenclaw } from '../safe-write/openclaw-validate';
import { validatorFromLocation } from '../safe-write/validator-for-node';
import { shellQuote } from '../transport/shell-quote';
import type { Transport } from '../transport/types';
import { gatewayLogTail, runOpenclaw, startGateway, stopGateway, stopStartedGateway, waitForReady, type GatewayTarget } from './gateway';
import { checkedUploadSteps, stateMember, type ExtractDescription } from './archive-check';
import { withPartialUndo } from './operation';
import type { Step } from './steps';

/**
 * Putting a whole OpenClaw state dir from a backup archive in place on a node, as reversible steps
 * (whole-node restore; migrate reuses it with another source path, an `adapt` hook for the config
 * and `start: 'always'`):
 *   scan the archive and check it against the plan → upload it, check its sha256 on the node → extract the state dir into a staging dir beside the target → [adapt] →
 *   stop gateway → [carry live logs/transcripts into the staged tree] → swap by rename (live → <state>.ocm-old-<stamp>, staged → live) → [extra steps] →
 *   validate config → doctor --fix → start gateway and wait for /readyz.
 * Every step undoes itself on failure: the swap is undone even when it was cut half-way, and the
 * old gateway is started again (waiting up to 300 s, whatever the timeout for the new one).
 */

export interface StateSwapParams {
  transport: Transport;
  /** The TARGET node's OpenClaw: its state dir is replaced; its gateway is stopped and started. */
  location: OpenclawLocation;
  node: Pick<NodeEntry, 'id' | 'startCommand'>;
  /** Local archive (the backup store's `.tar.gz`). */
  archivePath: string;
  /** Absolute path of the state dir inside the archive's payload (the SOURCE node's state dir). */
  archiveStateDir: string;
  /**
   * What the preview said will be extracted (the backup's entries under archiveStateDir): the
   * archive is scanned and must match it before it is uploaded, and the node's copy must have the
   * scanned sha256 before tar runs.
   */
  expected: ExtractDescription;
  /** Runs on the staged tree before the gateway is stopped (migrate: rewrite paths, port, token). */
  adapt?: (stagedTree: string, signal: AbortSignal | undefined) => Promise<void>;
  /** Steps run right after the swap (e.g. files outside the state dir). */
  afterSwap?: Step[];
  /**
   * Live files the archive leaves out by rule (logs, transcripts, caches) are copied into the
   * staged tree so they survive (restore). Paths listed in `carryOverExcept` are not. Default false.
   */
  carryOverLive?: boolean;
  carryOverExcept?: ReadonlySet<string>;
  /** `ifWasRunning` (restore, default) or `always` (migrate). */
  start?: 'ifWasRunning' | 'always';
  /** How long the new gateway may take to be ready (default 120 s). */
  readyTimeoutMs?: number;
  /** Keep the replaced state dir after success (a note says where). */
  keepOld?: boolean;
  /** Name used in temp file names (`restore`, `migrate`). */
  purpose?: string;
}

/** How long a rollback waits for the old gateway to be ready again (a loaded node needs a while). */
export const ROLLBACK_READY_TIMEOUT_MS = 300_000;

/** Live-only files that must not be carried into a restored tree (sockets, pids, locks, temp files). */
const NOT_CARRIED = /(\.sock|\.pid|\.lock|\.tmp|\.tmp\..*)$/;

export interface StateSwapPaths {
  remoteArchive: string;
  staging: string;
  oldTree: string;
  failedTree: string;
}

/** The steps and the cleanup (run with the outcome: success removes the old tree unless kept). */
export function stateSwapSteps(p: StateSwapParams): { steps: Step[]; cleanup: (ok: boolean) => Promise<void>; paths: StateSwapPaths } {
  const t = p.transport;
  const { location } = p;
  const gw: GatewayTarget = { transport: t, location, node: p.node };
  const stateDir = location.stateDir.replace(/\/+$/, '');
  const archiveStateDir = p.archiveStateDir.replace(/\/+$/, '');
  const parent = posix.dirname(stateDir);
  const base = posix.basename(stateDir);
  const purpose = p.purpose ?? 'restore';
  const stamp = `${new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
  const paths: StateSwapPaths = {
    remoteArchive: posix.join(parent, `.${base}.ocm-${purpose}-${stamp}.tar.gz`),
    staging: posix.join(parent, `.${base}.ocm-staging-${stamp}`),
    oldTree: posix.join(parent, `${base}.ocm-old-${stamp}`),
    failedTree: posix.join(parent, `.${base}.ocm-failed-${stamp}`),
  };
  const { remoteArchive, staging, oldTree, failedTree } = paths;
  const readyTimeoutMs = p.readyTimeoutMs ?? 120_000;
  const rollbackReadyTimeoutMs = Math.max(readyTimeoutMs, ROLLBACK_READY_TIMEOUT_MS);
  const q = shellQuote;
  let wasRunning = false;
  let hadLive = true;
  let stagedTree = '';
  const upload = checkedUploadSteps({
    transport: t,
    nodeId: p.node.id,
    archivePath: p.archivePath,
    remotePath: remoteArchive,
    expected: p.expected,
    prepare: async () => void (await t.mkdir(parent, { recursive: true })),
  });
  const exec = async (command: string, what: string, timeoutMs = 300_000): Promise<string> => {
    const r = await t.exec(command, { timeoutMs });
    if (r.exitCode !== 0)
      throw new OcmError('failed', `${what} failed on ${p.node.id} (exit ${r.exitCode ?? r.signal}): ${(r.stderr || r.stdout).trim().slice(0, 500)}`, {
        nodeId: p.node.id,
      });
    return r.stdout;
  };
  const startAndWait = async (timeoutMs: number): Promise<void> => {
    await startGateway(gw);
    const ready = await waitForReady(gw, { timeoutMs });
    if (!ready.ready) {
      const tail = await gatewayLogTail(gw, 15);
      throw new OcmError(
        'timeout',
        `The gateway on ${p.node.id} was not ready within ${Math.round(timeoutMs / 1000)} s (${ready.failing.join(', ') || ready.lastError || 'no answer'}).${tail.length ? ` Last log lines:\n${tail.join('\n')}` : ''}`,
        { nodeId: p.node.id, failing: ready.failing, logTail: tail },
      );
    }
  };

  const steps: Step[] = [
    ...upload.steps,
    {
      id: 'stage',
      description: `extract the state dir into ${staging}`,
      run: async () => {
        const undo = async (): Promise<void> => {
          await exec(`rm -rf ${q(staging)}`, 'Removing the staging folder');
        };
        try {
          // The scanned archive's single root folder holds payload/posix/<absolute source path>.
          const member = stateMember(upload.scanned(), archiveStateDir);
          await exec(`mkdir -m 700 ${q(staging)} && tar -xzpf ${q(remoteArchive)} -C ${q(staging)} ${q(member)}`, 'Extracting the backup on the node', 600_000);
          stagedTree = posix.join(staging, member);
        } catch (e) {
          throw withPartialUndo(e, undo);
        }
        return { undo };
      },
    },
    ...(p.adapt
      ? [
          {
            id: 'adapt',
            description: 'adapt the staged state (config rewrites)',
            run: async (signal: AbortSignal | undefined) => {
              await p.adapt!(stagedTree, signal);
            },
          } satisfies Step,
        ]
      : []),
    {
      id: 'stopGateway',
      description: 'stop the gateway',
      run: async () => {
        const stopped = await stopGateway(gw);
        wasRunning = stopped.wasRunning;
        return wasRunning ? { undo: () => startAndWait(rollbackReadyTimeoutMs) } : {};
      },
    },
    ...(p.carryOverLive
      ? [
          {
            id: 'carryOver',
            description: 'copy the live logs and transcripts the backup leaves out into the restored tree (gateway stopped: nothing is written after)',
            run: async (signal: AbortSignal | undefined) => {
              // Nothing to undo: the copies are inside the staged tree, which the stage undo removes.
              await carryOver(signal);
            },
          } satisfies Step,
        ]
      : []),
    {
      id: 'swap',
      description: `swap by rename: ${stateDir} → ${oldTree}, restored tree → ${stateDir}`,
      run: async () => {
        hadLive = (await t.statOrUndefined(stateDir)) !== undefined;
        // Robust to a half-done swap (connection lost between the two renames).
        const undo = async (): Promise<void> => {
          await exec(
            `if [ -e ${q(oldTree)} ]; then if [ -e ${q(stateDir)} ]; then mv ${q(stateDir)} ${q(failedTree)}; fi; mv ${q(oldTree)} ${q(stateDir)}; ` +
              `elif [ ${hadLive ? 1 : 0} = 0 ] && [ -e ${q(stateDir)} ]; then mv ${q(stateDir)} ${q(failedTree)}; fi; rm -rf ${q(failedTree)}`,
            'Swapping the old state dir back',
          );
        };
        try {
          await exec(`set -e; ${hadLive ? `mv ${q(stateDir)} ${q(oldTree)}; ` : ''}mv ${q(stagedTree)} ${q(stateDir)}`, 'Swapping the new state dir in');
        } catch (e) {
          throw withPartialUndo(e, undo);
        }
        return { undo, ...(p.keepOld && hadLive ? { note: `The replaced state dir is kept at ${oldTree}.` } : {}) };
      },
    },
    ...(p.afterSwap ?? []),
    {
      id: 'validate',
      description: 'validate the config (openclaw config validate --json)',
      run: async (signal) => {
        const validator = validatorFromLocation(location);
        const configBytes = await t.readFile(location.configPath);
        if (!validator) return { note: 'The config was not validated: no usable openclaw CLI on the node.' };
        const verdict = await validateWithOpenclaw(t, location.configPath, configBytes, validator, signal);
        if (verdict.outcome === 'invalid') throw invalidConfigError(p.node.id, location.configPath, verdict);
        if (verdict.outcome === 'unavailable') return { note: `The config could not be validated (${verdict.reason}).` };
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
          if (/unknown option|unrecognized|unknown command/i.test(r.stderr + r.stdout))
            return { note: 'This OpenClaw has no "doctor --fix --non-interactive"; skipped.' };
          return {
            note: `openclaw doctor --fix exited ${r.exitCode ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ').slice(0, 300)}`,
          };
        }
        return {};
      },
    },
    {
      id: 'startGateway',
      description: 'start the gateway and wait for /readyz',
      run: async () => {
        if (!wasRunning && p.start !== 'always') return { note: 'The gateway was not running before, so it was not started.' };
        // Also a gateway still starting (not listening yet) must go before the old one starts again.
        const stop = async (): Promise<void> => {
          await stopStartedGateway(gw);
        };
        try {
          await startAndWait(readyTimeoutMs);
        } catch (e) {
          throw withPartialUndo(e, stop);
        }
        return { undo: stop };
      },
    },
  ];

  /**
   * Live files left out by the archive's rules are copied into the staged tree (not sidecars,
   * pids, sockets). Runs with the gateway stopped, so its last log lines come along. Each name is
   * quoted into the script (a name may hold a newline).
   */
  async function carryOver(signal: AbortSignal | undefined): Promise<void> {
    const ctx = { stateDir, includeTranscripts: false };
    const live = await hashLiveFiles(t, [stateDir], signal ? { signal } : {});
    const carry = live
      .map((e) => e.path)
      .filter((path) => {
        const why = excludedReason(path, ctx);
        return why !== undefined && why !== 'sqlite-sidecar' && !NOT_CARRIED.test(posix.basename(path)) && !p.carryOverExcept?.has(path);
      });
    if (carry.length === 0) return;
    const head = `S=${q(stagedTree)}; L=${q(stateDir)}; c() { [ -e "$S/$1" ] && return 0; mkdir -p "$(dirname "$S/$1")" && cp -p "$L/$1" "$S/$1" || exit 1; }`;
    const script = [head, ...carry.map((c) => `c ${q(posix.relative(stateDir, c))}`)].join('\n');
    const r = await t.exec(script, { timeoutMs: 600_000, ...(signal ? { signal } : {}) });
    if (r.exitCode !== 0) throw new OcmError('failed', `Carrying live logs/transcripts into the new tree failed: ${r.stderr.trim().slice(0, 300)}`);
  }

  const cleanup = async (ok: boolean): Promise<void> => {
    // Success: the replaced tree goes unless kept. Failure: the swap undo moved it back (or, if that
    // failed, it stays where it is for the user).
    const removeOld = ok && !p.keepOld ? `rm -rf ${q(oldTree)}; ` : '';
    await exec(`${removeOld}rm -rf ${q(staging)} ${q(failedTree)}; rm -f ${q(remoteArchive)}`, 'Removing temporary files');
  };
  return { steps, cleanup, paths };
}
