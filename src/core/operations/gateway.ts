import { posix } from 'node:path';
import { OcmError, toOcmError } from '../errors';
import type { OpenclawLocation } from '../openclaw/locate';
import { userPath } from '../openclaw/agents';
import type { NodeEntry } from '../registry';
import { gatewayGet, parseReadyz } from '../status/gateway-probe';
import { envPrefix, shellJoin, shellQuote } from '../transport/shell-quote';
import type { ExecResult, Transport } from '../transport/types';

/**
 * Gateway service control on a node: how it is supervised (systemd user unit, launchd agent, or
 * unmanaged: a foreground process started by the user or by us), stop, start, and "wait until
 * /readyz says ready" through the transport's port forward. Used by restart, restore and migrate.
 */

export interface GatewayTarget {
  transport: Transport;
  location: OpenclawLocation;
  node: Pick<NodeEntry, 'id' | 'startCommand'>;
}

/** `systemctl --user` over SSH needs the user's runtime dir (lingering sessions have one). */
const XDG = 'export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/run/user/$(id -u)}"; ';

/** A unit installed by an administrator or a package (OpenClaw itself only installs user units). */
function isSystemUnit(location: OpenclawLocation): boolean {
  return /^\/(etc|usr\/lib|lib)\/systemd\/system\//.test(location.supervisorUnit ?? '');
}

/** `systemctl --user` (with the runtime dir) for a user unit, plain `systemctl` for a system unit. */
function systemctl(location: OpenclawLocation): string {
  return isSystemUnit(location) ? 'systemctl' : 'systemctl --user';
}

/** What to check when `systemctl` fails: lingering (user unit over SSH) or privileges (system unit). */
function systemdHint(location: OpenclawLocation, name: string): string {
  return isSystemUnit(location)
    ? ` ${location.supervisorUnit} is a system unit: it needs root (connect as root, or as a user allowed to manage it). Check "systemctl status ${name}" on the node.`
    : ` Check "systemctl --user status ${name}" on the node. Over SSH a user unit needs lingering: "sudo loginctl enable-linger $USER" on the node.`;
}

/** Shell command line running the node's `openclaw` with OpenClaw's environment. */
export function openclawCommand(location: OpenclawLocation, args: readonly string[]): string {
  if (!location.bin) {
    throw new OcmError('notFound', location.reason ?? `openclaw was not found on node ${location.nodeId}. Set its path with "ocm add --openclaw <path>".`, {
      nodeId: location.nodeId,
    });
  }
  return `${envPrefix(location.cliEnv)}${shellJoin([location.bin, ...args])}`;
}

/** Runs `openclaw <args>` on the node (never throws on a non-zero exit). */
export function runOpenclaw(
  t: GatewayTarget,
  args: readonly string[],
  options: { timeoutMs?: number; signal?: AbortSignal; env?: Record<string, string> } = {},
): Promise<ExecResult> {
  const env = options.env ? envPrefix(options.env) : '';
  return t.transport.exec(`${env}${openclawCommand(t.location, args)} </dev/null`, {
    timeoutMs: options.timeoutMs ?? 120_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** The unit (systemd) or label (launchd) name from the supervisor file. */
export function supervisorName(location: OpenclawLocation): string | undefined {
  if (!location.supervisorUnit) return undefined;
  const base = posix.basename(location.supervisorUnit);
  return location.supervisor === 'launchd' ? base.replace(/\.plist$/, '') : base;
}

/** Where an unmanaged gateway started by us logs: `<state>/logs/ocm-gateway.log`. */
export function gatewayLogPath(location: OpenclawLocation): string {
  return posix.join(location.stateDir, 'logs', 'ocm-gateway.log');
}

/** The default command that starts an unmanaged gateway, detached, logging to a file. */
export function defaultStartCommand(location: OpenclawLocation): string {
  const log = gatewayLogPath(location);
  const run = openclawCommand(location, ['gateway', 'run', '--port', String(location.gatewayPort), '--bind', 'loopback']);
  // setsid (when present) so the gateway leaves the SSH session's process group; nohup for SIGHUP.
  return `mkdir -p ${shellQuote(posix.dirname(log))} && (cd ${shellQuote(location.home)} 2>/dev/null || cd /; if command -v setsid >/dev/null 2>&1; then s=setsid; else s=; fi; nohup $s sh -c ${shellQuote(run)} >>${shellQuote(log)} 2>&1 </dev/null &) </dev/null >/dev/null 2>&1`;
}

export interface ListenerInfo {
  pids: number[];
  /** How the pids were found. */
  via: 'ss' | 'openclaw' | 'none';
}

/** Pids listening on the gateway port: `ss -ltnp` first (milliseconds), else `openclaw gateway status --json`. */
export async function gatewayListenerPids(t: GatewayTarget, options: { signal?: AbortSignal } = {}): Promise<ListenerInfo> {
  const port = t.location.gatewayPort;
  const ss = await t.transport
    .exec(`ss -Hltnp ${shellQuote(`( sport = :${port} )`)} 2>/dev/null`, { timeoutMs: 15_000, ...(options.signal ? { signal: options.signal } : {}) })
    .catch(() => undefined);
  const fromSs = [...new Set([...(ss?.stdout ?? '').matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))];
  if (fromSs.length > 0) return { pids: fromSs, via: 'ss' };
  if (t.location.bin) {
    const r = await runOpenclaw(t, ['gateway', 'status', '--json'], { timeoutMs: 60_000, ...(options.signal ? { signal: options.signal } : {}) }).catch(
      () => undefined,
    );
    const pids = parseStatusListenerPids(r?.stdout ?? '');
    if (pids.length > 0) return { pids, via: 'openclaw' };
  }
  return { pids: [], via: 'none' };
}

/** `openclaw gateway status --json` → `port.listeners[].pid`. */
export function parseStatusListenerPids(stdout: string): number[] {
  const start = stdout.indexOf('{');
  if (start < 0) return [];
  try {
    const json = JSON.parse(stdout.slice(start)) as { port?: { listeners?: Array<{ pid?: unknown }> } };
    return (json.port?.listeners ?? []).map((l) => l.pid).filter((p): p is number => typeof p === 'number' && p > 1);
  } catch {
    return [];
  }
}

/** True when something accepts connections on the gateway port. */
export async function gatewayListening(t: GatewayTarget): Promise<boolean> {
  try {
    const s = await t.transport.connectTcp(t.location.gatewayPort, { timeoutMs: 5_000 });
    s.destroy();
    return true;
  } catch (e) {
    const err = toOcmError(e);
    if (isPortClosed(err)) return false;
    if (err.kind === 'disconnected' || err.kind === 'unreachable' || err.kind === 'auth' || err.kind === 'cancelled') throw err;
    return false;
  }
}

/**
 * The one answer to "may a live SQLite file be copied as it is?" for every face: false only when
 * the gateway port is known to be closed; when the check itself fails, the gateway counts as
 * running (the safe answer: databases are then snapshotted or the backup refused).
 */
export async function gatewayIsRunning(t: GatewayTarget): Promise<boolean> {
  return gatewayListening(t).catch(() => true);
}

export interface StopResult {
  wasRunning: boolean;
  pids: number[];
  method: 'systemd' | 'launchd' | 'signal' | 'none';
  killed?: boolean;
}

/**
 * Stops the gateway: `systemctl --user stop` / `launchctl bootout`, or SIGTERM to the listener
 * pids (a foreground gateway stops cleanly in ~2.5 s), SIGKILL after `graceMs`. Resolves once the
 * port is free.
 */
export async function stopGateway(t: GatewayTarget, options: { graceMs?: number; signal?: AbortSignal; force?: boolean } = {}): Promise<StopResult> {
  const wasRunning = await gatewayListening(t);
  const sig = options.signal ? { signal: options.signal } : {};
  const name = supervisorName(t.location);
  if (t.location.supervisor === 'systemd' && name) {
    const sc = systemctl(t.location);
    const r = await t.transport.exec(
      `${XDG}${sc} ${options.force ? 'kill -s KILL' : 'stop'} ${shellQuote(name)}${options.force ? ` ; ${sc} stop ${shellQuote(name)}` : ''}`,
      { timeoutMs: 120_000, ...sig },
    );
    if (r.exitCode !== 0)
      throw new OcmError('failed', `${sc} stop ${name} failed on ${t.node.id}: ${r.stderr.trim().slice(0, 400)}${systemdHint(t.location, name)}`, {
        nodeId: t.node.id,
      });
    await waitPortFree(t, options.graceMs ?? 30_000);
    return { wasRunning, pids: [], method: 'systemd' };
  }
  if (t.location.supervisor === 'launchd' && name && t.location.supervisorUnit) {
    const r = await t.transport.exec(`launchctl bootout "gui/$(id -u)/"${shellQuote(name)}`, { timeoutMs: 60_000, ...sig });
    if (r.exitCode !== 0 && wasRunning)
      throw new OcmError('failed', `launchctl bootout ${name} failed on ${t.node.id}: ${r.stderr.trim().slice(0, 400)}`, { nodeId: t.node.id });
    await waitPortFree(t, options.graceMs ?? 30_000);
    return { wasRunning, pids: [], method: 'launchd' };
  }
  if (!wasRunning) return { wasRunning, pids: [], method: 'none' };
  const { pids } = await gatewayListenerPids(t, options);
  if (pids.length === 0) {
    throw new OcmError(
      'failed',
      `A gateway listens on port ${t.location.gatewayPort} of ${t.node.id}, but its process could not be found (ss and "openclaw gateway status" gave no pid). It may belong to another user; stop it on the node.`,
      { nodeId: t.node.id },
    );
  }
  const list = pids.join(' ');
  await t.transport.exec(`kill -${options.force ? 'KILL' : 'TERM'} ${list}`, { timeoutMs: 15_000, ...sig });
  const graceMs = options.force ? 5_000 : (options.graceMs ?? 20_000);
  let killed = Boolean(options.force);
  if (!(await waitPidsGone(t, pids, graceMs))) {
    await t.transport.exec(`kill -KILL ${list} 2>/dev/null`, { timeoutMs: 15_000, ...sig });
    killed = true;
    if (!(await waitPidsGone(t, pids, 5_000)))
      throw new OcmError('timeout', `The gateway (pid ${list}) on ${t.node.id} did not exit after SIGKILL.`, { nodeId: t.node.id });
  }
  await waitPortFree(t, 10_000);
  return { wasRunning, pids, method: 'signal', killed };
}

async function waitPidsGone(t: GatewayTarget, pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const check = `for p in ${pids.join(' ')}; do kill -0 $p 2>/dev/null && { echo alive; exit 0; }; done; echo gone`;
  for (;;) {
    const r = await t.transport.exec(check, { timeoutMs: 15_000 });
    if (r.stdout.includes('gone')) return true;
    if (Date.now() > deadline) return false;
    await delay(250);
  }
}

async function waitPortFree(t: GatewayTarget, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (await gatewayListening(t)) {
    if (Date.now() > deadline)
      throw new OcmError(
        'timeout',
        `Port ${t.location.gatewayPort} on ${t.node.id} is still in use ${Math.round(timeoutMs / 1000)} s after stopping the gateway.`,
        { nodeId: t.node.id },
      );
    await delay(250);
  }
}

export interface StartResult {
  method: 'systemd' | 'launchd' | 'startCommand' | 'default';
  command: string;
  logPath?: string;
}

/** Starts the gateway through its supervisor, the node's registry `startCommand`, or the default detached `openclaw gateway run`. */
export async function startGateway(t: GatewayTarget, options: { signal?: AbortSignal } = {}): Promise<StartResult> {
  const sig = options.signal ? { signal: options.signal } : {};
  const name = supervisorName(t.location);
  let method: StartResult['method'];
  let command: string;
  if (t.location.supervisor === 'systemd' && name) {
    method = 'systemd';
    command = `${XDG}${systemctl(t.location)} start ${shellQuote(name)}`;
  } else if (t.location.supervisor === 'launchd' && name && t.location.supervisorUnit) {
    method = 'launchd';
    command = `launchctl bootstrap "gui/$(id -u)" ${shellQuote(t.location.supervisorUnit)} 2>/dev/null; launchctl kickstart "gui/$(id -u)/"${shellQuote(name)}`;
  } else if (t.node.startCommand) {
    method = 'startCommand';
    // The user's command runs with OpenClaw's environment and must return (detach the gateway itself).
    command = `${envPrefix(t.location.cliEnv)}cd ${shellQuote(t.location.home)} 2>/dev/null; ${t.node.startCommand}`;
  } else {
    method = 'default';
    command = defaultStartCommand(t.location);
  }
  const r = await t.transport.exec(command, { timeoutMs: 120_000, ...sig });
  if (r.exitCode !== 0) {
    throw new OcmError(
      'failed',
      `Starting the gateway on ${t.node.id} failed (${method}, exit ${r.exitCode ?? r.signal}): ${(r.stderr || r.stdout).trim().slice(0, 400)}${method === 'startCommand' ? " Check the node's start command (ocm add --start-command)." : ''}${method === 'systemd' && name ? systemdHint(t.location, name) : ''}`,
      { nodeId: t.node.id, method },
    );
  }
  return { method, command, ...(method === 'default' ? { logPath: gatewayLogPath(t.location) } : {}) };
}

export interface ReadyResult {
  ready: boolean;
  /** From the start of waiting. */
  waitedMs: number;
  failing: string[];
  uptimeMs?: number;
  /** Last probe error (nothing listening, ...). */
  lastError?: string;
}

/**
 * Polls `/readyz` through the transport until it answers ready or `timeoutMs` passes. With
 * `fresh`, an answer from the gateway that was running before (uptime older than the wait) does
 * not count until the gateway was seen down or restarted.
 */
export async function waitForReady(
  t: GatewayTarget,
  options: { timeoutMs: number; fresh?: boolean; signal?: AbortSignal; pollMs?: number },
): Promise<ReadyResult> {
  const started = Date.now();
  let failing: string[] = [];
  let lastError: string | undefined;
  let sawDown = !options.fresh;
  for (;;) {
    if (options.signal?.aborted) throw new OcmError('cancelled', `Waiting for the gateway on ${t.node.id} was cancelled.`);
    const remaining = options.timeoutMs - (Date.now() - started);
    try {
      const response = await gatewayGet(t.transport, t.location.gatewayPort, '/readyz', Math.max(500, Math.min(5_000, remaining)), options.signal);
      const r = parseReadyz(response);
      const isNew = sawDown || (r.uptimeMs !== undefined && r.uptimeMs <= Date.now() - started + 1_000);
      if (r.ready && isNew) return { ready: true, waitedMs: Date.now() - started, failing: [], ...(r.uptimeMs !== undefined ? { uptimeMs: r.uptimeMs } : {}) };
      if (!r.ready) sawDown = true;
      failing = r.failing;
      lastError = undefined;
    } catch (e) {
      const err = toOcmError(e);
      const closed = isPortClosed(err);
      if (!closed && (err.kind === 'disconnected' || err.kind === 'unreachable' || err.kind === 'auth' || err.kind === 'cancelled')) throw err;
      sawDown = true;
      lastError = closed ? `nothing listens on 127.0.0.1:${t.location.gatewayPort}` : err.message;
    }
    if (Date.now() - started >= options.timeoutMs) return { ready: false, waitedMs: Date.now() - started, failing, ...(lastError ? { lastError } : {}) };
    await delay(options.pollMs ?? 500);
  }
}

/** The file OpenClaw logs to when the config names one (`logging.file`, read as every config path: `~` is the node's home). */
export function configuredLogFile(location: OpenclawLocation): string | undefined {
  const file = (location.config?.resolved as { logging?: { file?: unknown } } | undefined)?.logging?.file;
  if (typeof file !== 'string' || file.trim() === '') return undefined;
  return userPath(file, location.home);
}

/**
 * Last lines of the gateway's logs: our own start log, then OpenClaw's — the file `logging.file`
 * names, else its newest daily log under /tmp/openclaw (shared by every gateway of the machine).
 */
export async function gatewayLogTail(t: GatewayTarget, lines = 20): Promise<string[]> {
  const ours = gatewayLogPath(t.location);
  const configured = configuredLogFile(t.location);
  const script = [
    `f=${shellQuote(ours)}; [ -f "$f" ] && { echo "==> $f"; tail -n ${lines} "$f"; }`,
    configured
      ? `d=${shellQuote(configured)}; [ -f "$d" ] || d=`
      : `d=$(ls -t /tmp/openclaw/openclaw-*.log "\${TMPDIR:-/tmp}/openclaw-$(id -u)"/openclaw-*.log 2>/dev/null | head -n 1)`,
    `[ -n "$d" ] && { echo "==> $d"; tail -n ${lines} "$d"; }`,
    'exit 0',
  ].join('\n');
  try {
    const r = await t.transport.exec(script, { timeoutMs: 15_000 });
    return r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l));
  } catch {
    return [];
  }
}

/** A refused port forward (nothing listens) is a state of the gateway, not a failure of the connection. */
function isPortClosed(err: OcmError): boolean {
  return /refused|nothing accepts connections|open failed|connect failed/i.test(err.message);
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Stops a gateway an operation started (migrate, a restore's undo), also when it never got to listen (still starting, or
 * failed to bind): the default start command runs `gateway run --port N` in its own process group
 * (setsid), found by its command line among the node user's processes. A listener on the port that
 * is not the user's own (another program) is left alone.
 */
export async function stopStartedGateway(t: GatewayTarget): Promise<void> {
  const port = t.location.gatewayPort;
  const pattern = shellQuote(`gateway run --port ${port}( |$)`);
  const script = [
    'command -v pgrep >/dev/null 2>&1 || { echo nopgrep; exit 0; }',
    `pids=$(pgrep -u "$(id -u)" -f -- ${pattern})`,
    '[ -z "$pids" ] && { echo none; exit 0; }',
    'for p in $pids; do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null; done',
    'i=0; while [ $i -lt 80 ]; do alive=; for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done; [ -z "$alive" ] && { echo stopped; exit 0; }; sleep 0.25; i=$((i+1)); done',
    'for p in $pids; do kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null; done; echo killed',
  ].join('\n');
  await t.transport.exec(script, { timeoutMs: 60_000 });
  if (!(await gatewayListening(t))) return;
  // Started some other way (node start command): stop what listens, when it is the user's own.
  const { pids } = await gatewayListenerPids(t);
  if (pids.length > 0) await stopGateway(t);
}
