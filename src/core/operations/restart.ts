import { OcmError } from '../errors';
import type { OpenclawLocation } from '../openclaw/locate';
import type { NodeEntry } from '../registry';
import type { Transport } from '../transport/types';
import { gatewayListening, gatewayLogTail, runOpenclaw, startGateway, stopGateway, waitForReady, type GatewayTarget } from './gateway';
import type { OperationPlan } from './types';

/**
 * Restart a node's gateway and wait until it is ready again.
 * - graceful (default): `openclaw gateway restart --json --safe` (drains work first; without
 *   `--safe` on versions that do not know it). Works for systemd/launchd services and for a
 *   foreground gateway (in-process restart). A gateway that is not running is started.
 * - force: stop by signal (SIGKILL) or the supervisor, then start.
 * Then `/readyz` through the transport: ready after N ms, or the failing checks and log lines.
 */

export const DEFAULT_RESTART_TIMEOUT_MS = 120_000;

export interface RestartParams {
  transport: Transport;
  location: OpenclawLocation;
  node: Pick<NodeEntry, 'id' | 'startCommand'>;
  force?: boolean;
  /** How long to wait for /readyz (default 120 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export interface RestartResult {
  nodeId: string;
  ok: boolean;
  mode: 'graceful' | 'force';
  /** How it was done: `openclaw gateway restart`, stop + start, or just start (was not running). */
  method: 'openclaw-restart' | 'stop-start' | 'start';
  supervisor: OpenclawLocation['supervisor'];
  wasRunning: boolean;
  /** Time from the restart command to /readyz ready. */
  readyAfterMs?: number;
  totalMs: number;
  failing: string[];
  lastError?: string;
  /** Last gateway log lines when it did not come back. */
  logTail?: string[];
  warnings: string[];
}

/** The plan of a restart (for faces that show every operation as a plan first). */
export function planRestart(location: OpenclawLocation, node: Pick<NodeEntry, 'id' | 'startCommand'>, options: { force?: boolean } = {}): OperationPlan {
  const how = options.force
    ? [
        { id: 'stop', description: `stop the gateway at once (${location.supervisor === 'unmanaged' ? 'SIGKILL' : location.supervisor})` },
        {
          id: 'start',
          description: `start it (${location.supervisor === 'unmanaged' ? (node.startCommand ? 'node start command' : 'openclaw gateway run, detached') : location.supervisor})`,
        },
      ]
    : [{ id: 'restart', description: 'openclaw gateway restart --safe (drains running work first)' }];
  return {
    operation: 'restart',
    nodeId: node.id,
    createdAt: new Date().toISOString(),
    summary: `${options.force ? 'force-restart' : 'restart'} the gateway of ${node.id} (port ${location.gatewayPort})`,
    files: [],
    unchanged: 0,
    configRewrites: [],
    steps: [...how, { id: 'waitReady', description: `wait for /readyz on port ${location.gatewayPort}` }],
    source: { kind: 'none' },
    warnings: [],
  };
}

export async function restartGateway(p: RestartParams): Promise<RestartResult> {
  const started = Date.now();
  const t: GatewayTarget = { transport: p.transport, location: p.location, node: p.node };
  const timeoutMs = p.timeoutMs ?? DEFAULT_RESTART_TIMEOUT_MS;
  const sig = p.signal ? { signal: p.signal } : {};
  const warnings: string[] = [];
  // (No openclaw binary is needed for a supervisor or a node start command; the other paths say so.)
  const wasRunning = await gatewayListening(t);
  let method: RestartResult['method'];
  let commandStarted = Date.now();
  if (!wasRunning) {
    method = 'start';
    p.onProgress?.('gateway is not running: starting it');
    commandStarted = Date.now();
    await startGateway(t, sig);
  } else if (p.force) {
    method = 'stop-start';
    p.onProgress?.('stopping the gateway (force)');
    await stopGateway(t, { force: true, ...sig });
    p.onProgress?.('starting the gateway');
    commandStarted = Date.now();
    await startGateway(t, sig);
  } else {
    method = 'openclaw-restart';
    p.onProgress?.('openclaw gateway restart --safe');
    commandStarted = Date.now();
    let r = await runOpenclaw(t, ['gateway', 'restart', '--json', '--safe'], { timeoutMs: 6 * 60_000, ...sig });
    if (r.exitCode !== 0 && /unknown option|unrecognized/i.test(r.stderr + r.stdout)) {
      warnings.push('This OpenClaw version has no "gateway restart --safe": restarted without draining running work.');
      r = await runOpenclaw(t, ['gateway', 'restart', '--json'], { timeoutMs: 6 * 60_000, ...sig });
    }
    if (r.exitCode !== 0) {
      throw new OcmError(
        'failed',
        `"openclaw gateway restart" failed on ${p.node.id} (exit ${r.exitCode ?? r.signal}): ${(r.stderr || r.stdout).trim().slice(0, 500)} Try "ocm restart ${p.node.id} --force".`,
        { nodeId: p.node.id },
      );
    }
  }
  p.onProgress?.('waiting for /readyz');
  const ready = await waitForReady(t, { timeoutMs, fresh: wasRunning, ...sig });
  const result: RestartResult = {
    nodeId: p.node.id,
    ok: ready.ready,
    mode: p.force ? 'force' : 'graceful',
    method,
    supervisor: p.location.supervisor,
    wasRunning,
    totalMs: Date.now() - started,
    failing: ready.failing,
    ...(ready.lastError ? { lastError: ready.lastError } : {}),
    warnings,
  };
  if (ready.ready) result.readyAfterMs = Date.now() - commandStarted;
  else result.logTail = await gatewayLogTail(t);
  return result;
}
