import { OcmError, toOcmError, type OcmErrorKind } from '../errors';
import { resolveAgents } from '../openclaw/agents';
import { locateOpenclaw, type OpenclawLocation } from '../openclaw/locate';
import type { DiscoveryCache } from '../openclaw/discovery-cache';
import type { NodeEntry } from '../registry';
import type { Transport } from '../transport/types';
import { anomaliesOf } from './anomalies';
import { probeGateway } from './gateway-probe';
import { buildHostFactsScript, parseHostFacts } from './host-facts';
import { withPiggybackScript } from './piggyback';
import { DEFAULT_CONTEXT_THRESHOLD_PCT, readSessionUsage } from './sessions';
import { recordAndPredict } from '../sessions/samples';
import type { AgentsStatus, NodeStatus, OpenclawStatus, StatusError } from './types';

/**
 * One node's status in as few round trips as possible:
 *   1. ONE exec: OpenClaw discovery (locate.ts's script, config text included) + host facts
 *      (load, memory, df) appended to the same command;
 *   2. in parallel: `/readyz` + `/startupz` through `connectTcp`, and session usage
 *      (`sessions.json` over SFTP on old versions; `openclaw sessions` only when asked).
 * Never throws: every problem becomes part of the value (error + anomalies).
 */

export interface StatusDeps {
  /** The node's transport (pooled SSH, or local). The caller owns it and closes it. */
  transportFor(node: NodeEntry): Promise<Transport>;
}

export interface NodeStatusOptions {
  /** Whole-node budget in ms (default 15 s; 45 s with includeSessions). */
  timeoutMs?: number;
  /** Budget of each gateway HTTP request (default 3 s). */
  gatewayTimeoutMs?: number;
  /** Context usage above this percent is flagged (default 80). */
  thresholdPct?: number;
  /** Also run `openclaw sessions` on SQLite-era nodes whose gateway cannot be asked over RPC (1.5–8 s per node). */
  includeSessions?: boolean;
  /** False: do not read sessions at all. Default true (cheap on every version: sessions.json or gateway RPC). */
  readSessions?: boolean;
  /**
   * Record each check's session counts in the ocm home and predict overflow from them
   * (src/core/sessions/samples.ts). Absent: no prediction.
   */
  predict?: { home: string; warnHours: number };
  /** Ask a login shell for PATH/OPENCLAW_* during discovery (default true). */
  loginShell?: boolean;
  /** Reuse `openclaw --version` answers while the node's binary is unchanged (long-lived faces). */
  discoveryCache?: DiscoveryCache;
  /** Called once OpenClaw is located, before the gateway and sessions are asked (ocm doctor starts its own reads there). */
  onLocated?: (location: OpenclawLocation, transport: Transport) => void;
  signal?: AbortSignal;
}

export const DEFAULT_NODE_TIMEOUT_MS = 15_000;
export const DEFAULT_NODE_TIMEOUT_WITH_SESSIONS_MS = 45_000;

/** Error kinds that mean no command could run on the node. */
const CONNECTION_KINDS: ReadonlySet<OcmErrorKind> = new Set([
  'unreachable',
  'auth',
  'hostKeyUnknown',
  'hostKeyChanged',
  'timeout',
  'disconnected',
  'cancelled',
  'unsupported',
]);

export function defaultTimeoutFor(options: Pick<NodeStatusOptions, 'timeoutMs' | 'includeSessions'>): number {
  return options.timeoutMs ?? (options.includeSessions ? DEFAULT_NODE_TIMEOUT_WITH_SESSIONS_MS : DEFAULT_NODE_TIMEOUT_MS);
}

export async function nodeStatus(node: NodeEntry, deps: StatusDeps, options: NodeStatusOptions = {}): Promise<NodeStatus> {
  const started = Date.now();
  const timeoutMs = defaultTimeoutFor(options);
  const deadline = started + timeoutMs;
  const remaining = (): number => Math.max(1, deadline - Date.now());
  const budget = new AbortController();
  const timer = setTimeout(
    () =>
      budget.abort(
        new OcmError(
          'timeout',
          `Node ${node.id} did not answer within ${Math.round(timeoutMs / 1000)} s. Check that it is up; a frozen host or a silent firewall looks like this.`,
        ),
      ),
    timeoutMs,
  );
  const signal = options.signal ? AbortSignal.any([options.signal, budget.signal]) : budget.signal;
  const status: Omit<NodeStatus, 'anomalies'> = {
    nodeId: node.id,
    host: node.host,
    checkedAt: new Date(started).toISOString(),
    durationMs: 0,
    reachable: false,
  };
  const done = (): NodeStatus => {
    clearTimeout(timer);
    status.durationMs = Date.now() - started;
    return { ...status, anomalies: anomaliesOf(status) };
  };
  const fail = (err: OcmError): NodeStatus => {
    status.error = errorValue(err);
    return done();
  };

  let transport: Transport;
  let location: OpenclawLocation;
  let hostOutput: string | undefined;
  try {
    transport = await deps.transportFor(node);
    const withHostFacts = withPiggybackScript(transport, buildHostFactsScript(), (out) => (hostOutput = out));
    location = await locateOpenclaw(withHostFacts, node, {
      timeoutMs: remaining(),
      signal,
      ...(options.loginShell !== undefined ? { loginShell: options.loginShell } : {}),
      ...(options.discoveryCache ? { discoveryCache: options.discoveryCache } : {}),
    });
  } catch (e) {
    const err = reasonOf(e, signal);
    // A discovery script that ran but failed still proves the node answers.
    status.reachable = !CONNECTION_KINDS.has(err.kind);
    return fail(err);
  }
  status.reachable = true;
  status.openclaw = openclawStatus(location);
  options.onLocated?.(location, transport);
  if (hostOutput !== undefined) status.hostFacts = parseHostFacts(hostOutput, location.stateDir);
  const agents = agentsStatus(location);
  if (agents) status.agents = agents;

  const thresholdPct = options.thresholdPct ?? DEFAULT_CONTEXT_THRESHOLD_PCT;
  const gatewayTimeout = (): number => Math.min(options.gatewayTimeoutMs ?? 3000, remaining());
  const probeWanted = location.installed || location.configExists;
  try {
    const [gateway, sessions] = await Promise.all([
      probeWanted ? probeGateway(transport, location.gatewayPort, { timeoutMs: gatewayTimeout(), signal }) : undefined,
      location.installed
        ? readSessionUsage(transport, location, agents?.ids ?? [], {
            thresholdPct,
            includeSessions: options.includeSessions ?? false,
            ...(options.readSessions === false ? { readSessions: false } : {}),
            timeoutMs: remaining(),
            signal,
          })
        : undefined,
    ]);
    if (gateway) status.gateway = gateway;
    if (sessions) status.sessions = sessions;
    if (sessions?.rows.length && options.predict) {
      // A broken or locked ocm home must not fail the node's check: no prediction then.
      await recordAndPredict(options.predict.home, node.id, sessions.rows, { warnHours: options.predict.warnHours }).catch(() => undefined);
    }
  } catch (e) {
    return fail(reasonOf(e, signal));
  }
  return done();
}

function openclawStatus(l: OpenclawLocation): OpenclawStatus {
  return {
    installed: l.installed,
    ...(l.reason ? { reason: l.reason } : {}),
    ...(l.version ? { version: l.version } : {}),
    ...(l.bin ? { bin: l.bin } : {}),
    stateDir: l.stateDir,
    stateDirExists: l.stateDirExists,
    configPath: l.configPath,
    configExists: l.configExists,
    gatewayPort: l.gatewayPort,
    gatewayPortSource: l.gatewayPortSource,
    supervisor: l.supervisor,
    ...(l.supervisorUnit ? { supervisorUnit: l.supervisorUnit } : {}),
  };
}

/** Agents from the config D's discovery already read (no extra round trip). */
export function agentsStatus(l: OpenclawLocation): AgentsStatus | undefined {
  if (l.configError) return { count: 0, ids: [], configError: errorValue(l.configError) };
  if (!l.config) return undefined;
  try {
    const agents = resolveAgents(l.config.resolved, {
      home: l.home,
      stateDir: l.stateDir,
      stateDirFromEnv: l.stateDirSource === 'env' || l.stateDirSource === 'login-env',
      ...(l.version ? { version: l.version } : {}),
      ...(l.openclawEnv.OPENCLAW_PROFILE ? { profile: l.openclawEnv.OPENCLAW_PROFILE } : {}),
      ...(l.openclawEnv.OPENCLAW_WORKSPACE_DIR ? { workspaceDirEnv: l.openclawEnv.OPENCLAW_WORKSPACE_DIR } : {}),
    });
    return { count: agents.length, ids: agents.map((a) => a.id) };
  } catch (e) {
    return { count: 0, ids: [], configError: errorValue(toOcmError(e, 'invalidConfig')) };
  }
}

function errorValue(e: OcmError): StatusError {
  return { kind: e.kind, message: e.message, ...(Object.keys(e.details).length ? { details: e.details } : {}) };
}

/** When our own budget ran out, say so (the transport may report that as `cancelled`). */
function reasonOf(e: unknown, signal: AbortSignal): OcmError {
  if (signal.aborted && signal.reason instanceof OcmError) return signal.reason;
  return toOcmError(e);
}
