import { posix } from 'node:path';
import { OcmError, toOcmError, type OcmError as OcmErrorType } from '../errors';
import type { NodeEntry } from '../registry';
import { shellQuote } from '../transport/shell-quote';
import type { OpOptions, Transport } from '../transport/types';
import { parseJson5, readOpenclawConfig, type OpenclawConfig } from './config';
import { isRecord, parseOpenclawVersion } from './version';
import type { CachedLoginEnv, CachedVersion, DiscoveryCache } from './discovery-cache';
import { LOCATE_SH } from './locate-script';

/**
 * Finds OpenClaw on a node in ONE round trip: a small POSIX sh script reports the binary, its
 * version, the state dir, the config path (and the config's text), the gateway port from the
 * environment and how the gateway is supervised, as `key=value` lines; the config follows a marker.
 * Includes of the config (rare) cost one more read each.
 */

export type Supervisor = 'systemd' | 'launchd' | 'unmanaged';

export interface OpenclawLocation {
  nodeId: string;
  /** False when no `openclaw` binary was found (`reason` says where we looked). */
  installed: boolean;
  reason?: string;
  /** Remote $HOME (or OPENCLAW_HOME): what `~` means in the config. */
  home: string;
  bin?: string;
  binSource?: 'registry' | 'path' | 'login-shell' | 'common-path';
  /** `2026.9.6` */
  version?: string;
  commit?: string;
  /** First line of `openclaw --version` (also when it is not a version: an error). */
  versionLine?: string;
  /** True when the version came from a DiscoveryCache (the binary was not run this time). */
  versionCached?: boolean;
  /** True when the login shell's answer came from a DiscoveryCache (no login shell ran this time). */
  loginCached?: boolean;
  stateDir: string;
  stateDirSource: 'registry' | 'env' | 'login-env' | 'profile' | 'default' | 'legacy';
  stateDirExists: boolean;
  configPath: string;
  configSource: 'env' | 'login-env' | 'state' | 'legacy';
  configExists: boolean;
  /** The config, when it exists and parses. */
  config?: OpenclawConfig;
  /** Why the config could not be read or parsed (invalidConfig, permission, ...). */
  configError?: OcmErrorType;
  gatewayPort: number;
  gatewayPortSource: 'registry' | 'env' | 'config' | 'default';
  supervisor: Supervisor;
  /** The unit file / plist that made us say systemd / launchd. */
  supervisorUnit?: string;
  /** OPENCLAW_* variables of the node's environment (login shell over non-login) — never secrets we print. */
  openclawEnv: Record<string, string>;
  /** Environment to run the located `openclaw` with (PATH with its folder first, state/config overrides). */
  cliEnv: Record<string, string>;
  /** Login shell PATH, when one was read. */
  loginPath?: string;
  durationMs: number;
}

export const DEFAULT_GATEWAY_PORT = 18789;
/** Written by locate.sh before the config's bytes (test/core/openclaw/locate-script.test.ts keeps the two in step). */
export const CONFIG_MARKER = '__OCM_CONFIG_BEGIN__';
/** locate.sh sends a config up to this size. */
export const MAX_CONFIG_BYTES = 2 * 1024 * 1024;

/** Variables read from the login shell's environment (each becomes `login.<NAME>` and shell variable `l_<NAME>`). */
export const OPENCLAW_VARS = [
  'OPENCLAW_STATE_DIR',
  'OPENCLAW_CONFIG_PATH',
  'OPENCLAW_HOME',
  'OPENCLAW_PROFILE',
  'OPENCLAW_GATEWAY_PORT',
  'OPENCLAW_WORKSPACE_DIR',
  'OPENCLAW_SYSTEMD_UNIT',
  'OPENCLAW_LAUNCHD_LABEL',
] as const;
export const LOGIN_VARS = [...OPENCLAW_VARS, 'PATH'] as const;

/**
 * The discovery script (locate.sh). Registry values are shell-quoted into its preamble; everything else is read on the node.
 *
 * It forks as little as it can, because forks are what it costs: `ocm status` runs it on every
 * node at once, and a fork takes milliseconds on a busy 2-core node. The login shell's output is
 * parsed in one `while read` pass (no `sed | head` per variable), paths are expanded and cut with
 * parameter expansion (no `dirname`, no `$(expand …)`), PATH is walked by a shell loop (no
 * `$(command -v)`), and nvm folders come from a glob (no `ls | sort`). On a node without OpenClaw
 * it starts 4 processes (`timeout`, the login shell, `id` from /etc/profile, `env`); the script it
 * replaced started about 35. With OpenClaw, `openclaw --version` (Node.js) is the expensive part:
 * see DiscoveryCache.
 */
export function buildLocateScript(
  node: Pick<NodeEntry, 'openclawPath' | 'stateDir'>,
  options: { loginShell?: boolean; knownVersion?: CachedVersion | 'none'; knownLogin?: CachedLoginEnv | 'none' } = {},
): string {
  const reg = (v: string | undefined): string => shellQuote(v ?? '');
  const known = typeof options.knownVersion === 'object' ? options.knownVersion : undefined;
  const knownLogin = typeof options.knownLogin === 'object' ? options.knownLogin : undefined;
  // The body is locate.sh (static; shellcheck lints it); this preamble is its only input.
  const preamble = [
    '',
    `reg_bin=${reg(node.openclawPath)}`,
    `reg_state=${reg(node.stateDir)}`,
    `use_login=${options.loginShell === false ? 0 : 1}`,
    `want_stamp=${options.knownVersion ? 1 : 0}`,
    `known_bin=${reg(known?.bin)}`,
    `known_stamp=${reg(known?.stamp)}`,
    `known_version_line=${reg(known?.versionLine)}`,
    `want_login_stamp=${options.knownLogin ? 1 : 0}`,
    `known_login_stamp=${reg(knownLogin?.stamp)}`,
    `known_l_bin=${reg(knownLogin?.bin)}`,
    ...LOGIN_VARS.map((v) => `known_l_${v}=${reg(knownLogin?.vars[v])}`),
  ];
  return `${preamble.join('\n')}\n${LOCATE_SH}`;
}

export interface LocateOptions extends OpOptions {
  /** Ask a login shell for PATH and OPENCLAW_* variables (default true; ~20–300 ms). */
  loginShell?: boolean;
  /** Reuse (and fill) `openclaw --version` and login-shell answers for this node while what they came from is unchanged. */
  discoveryCache?: DiscoveryCache;
}

/** Locates OpenClaw on a node. A node without OpenClaw gives `installed: false`, never an error. */
export async function locateOpenclaw(
  transport: Transport,
  node: Pick<NodeEntry, 'id' | 'openclawPath' | 'stateDir' | 'gatewayPort'>,
  options: LocateOptions = {},
): Promise<OpenclawLocation> {
  const started = Date.now();
  const cache = options.discoveryCache;
  const script = buildLocateScript(node, {
    loginShell: options.loginShell ?? true,
    ...(cache ? { knownVersion: cache.getVersion(node.id) ?? 'none', knownLogin: cache.getLogin(node.id) ?? 'none' } : {}),
  });
  // The transports run every command through /bin/sh -c already: no second `sh -c` (one exec less per node).
  const result = await transport.exec(script, { ...pick(options), timeoutMs: options.timeoutMs ?? 30_000 });
  if (result.exitCode !== 0) {
    throw new OcmError(
      'failed',
      `Could not inspect node ${node.id}: the discovery script exited with ${result.exitCode ?? result.signal}. ${result.stderr.trim().slice(0, 300)} Check that the node has a POSIX sh.`,
      { nodeId: node.id },
    );
  }
  const location = parseLocateOutput(result.stdout, node);
  if (cache) {
    if (location.version && location.bin && location.versionLine && location.binStamp && !location.versionCached) {
      cache.setVersion(node.id, { bin: location.bin, stamp: location.binStamp, versionLine: location.versionLine });
    } else if (!location.version) cache.forgetVersion(node.id);
    // Kept only from a login shell that ran and succeeded (a failed or timed-out one is asked again).
    if (location.login?.ok && location.login.stamp) {
      cache.setLogin(node.id, { stamp: location.login.stamp, ...(location.login.bin ? { bin: location.login.bin } : {}), vars: location.login.vars });
    } else if (!location.loginCached) cache.forgetLogin(node.id);
  }
  if (location.configExists && location.configText !== undefined) {
    try {
      location.config = await readOpenclawConfig(transport, location.configPath, { ...pick(options), mainText: location.configText });
    } catch (e) {
      location.configError = toOcmError(e);
    }
  } else if (location.configUnreadable) {
    location.configError = new OcmError(
      'permission',
      `${location.configPath} exists but this SSH user cannot read it. Connect as the user that runs OpenClaw.`,
      { path: location.configPath },
    );
  } else if (location.configTooLarge) {
    location.configError = new OcmError(
      'invalidConfig',
      `${location.configPath} is larger than ${MAX_CONFIG_BYTES} bytes; OpenClaw refuses configs that large.`,
      { path: location.configPath },
    );
  }
  applyGatewayPort(location, node);
  const { configText: _t, configUnreadable: _u, configTooLarge: _l, binStamp: _s, login: _g, ...clean } = location;
  return { ...clean, durationMs: Date.now() - started };
}

interface ParsedLocation extends OpenclawLocation {
  binStamp?: string;
  /** What the login shell said (for the cache): whether it ran this time and exited 0, the files' stamp, its answer. */
  login?: { ok: boolean; stamp?: string; bin?: string; vars: Record<string, string> };
  configText?: string;
  configUnreadable?: boolean;
  configTooLarge?: boolean;
}

/** Parses the script's output (exported for unit tests). */
export function parseLocateOutput(stdout: string, node: Pick<NodeEntry, 'id' | 'gatewayPort'>): ParsedLocation {
  const markerAt = stdout.indexOf(`\n${CONFIG_MARKER}\n`);
  const head = markerAt >= 0 ? stdout.slice(0, markerAt) : stdout;
  const configText = markerAt >= 0 ? stdout.slice(markerAt + CONFIG_MARKER.length + 2) : undefined;
  const kv = new Map<string, string>();
  for (const line of head.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && !kv.has(line.slice(0, eq))) kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const get = (k: string): string | undefined => {
    const v = kv.get(k);
    return v === undefined || v === '' ? undefined : v;
  };
  // What the login shell set (PATH and OPENCLAW_*), from it or from the DiscoveryCache.
  const loginVars: Record<string, string> = {};
  for (const [k, v] of kv) if (k.startsWith('login.') && v) loginVars[k.slice(6)] = v;
  const openclawEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(loginVars)) if (k.startsWith('OPENCLAW_')) openclawEnv[k] = v;
  for (const [k, v] of kv) {
    if (k.startsWith('env.OPENCLAW_') && v) openclawEnv[k.slice(4)] = v;
  }
  const home = get('openclaw_home') ?? get('home') ?? '/';
  const bin = get('bin');
  const versionLine = get('version_line');
  const parsedVersion = versionLine ? parseOpenclawVersion(versionLine) : undefined;
  const stateDir = get('state') ?? posix.join(home, '.openclaw');
  const configPath = get('config') ?? posix.join(stateDir, 'openclaw.json');
  const size = get('config_size');
  const configExists = size !== undefined || get('config_unreadable') === '1';
  let reason: string | undefined;
  if (!bin)
    reason = `openclaw was not found on node ${node.id} (not on PATH, not in a login shell, not in ~/.npm-global, ~/.local, nvm, pnpm, Homebrew or /usr/local). Install OpenClaw, or set the binary's path for this node (ocm add --openclaw <path>).`;
  else if (get('bin_missing') === '1')
    reason = `The openclaw path configured for node ${node.id} (${bin}) does not exist or is not executable. Fix the node's openclaw path.`;
  else if (!parsedVersion)
    reason = `${bin} --version did not print a version${versionLine ? ` ("${versionLine.slice(0, 200)}")` : ''}. Check that OpenClaw and its Node.js runtime work on the node.`;
  const loginPath = loginVars.PATH;
  const cliEnv: Record<string, string> = {};
  if (bin) cliEnv.PATH = [posix.dirname(bin), loginPath ?? get('path') ?? '/usr/local/bin:/usr/bin:/bin'].join(':');
  const stateSource = (get('state_source') ?? 'default') as OpenclawLocation['stateDirSource'];
  // The CLI must look at the same state dir and config we chose, whatever its own environment says.
  // (A profile is passed as OPENCLAW_PROFILE below: OpenClaw derives the same dir from it.)
  if (stateSource === 'registry' || stateSource === 'env' || stateSource === 'login-env') cliEnv.OPENCLAW_STATE_DIR = stateDir;
  const configSource = (get('config_source') ?? 'state') as OpenclawLocation['configSource'];
  if (configSource === 'env' || configSource === 'login-env') cliEnv.OPENCLAW_CONFIG_PATH = configPath;
  for (const k of ['OPENCLAW_HOME', 'OPENCLAW_PROFILE'] as const) if (openclawEnv[k]) cliEnv[k] = openclawEnv[k]!;
  return {
    nodeId: node.id,
    installed: reason === undefined,
    ...(reason ? { reason } : {}),
    home,
    ...(bin ? { bin, binSource: get('bin_source') as OpenclawLocation['binSource'] } : {}),
    ...(parsedVersion ? { version: parsedVersion.version, ...(parsedVersion.commit ? { commit: parsedVersion.commit } : {}) } : {}),
    ...(versionLine ? { versionLine } : {}),
    ...(get('version_cached') === '1' ? { versionCached: true } : {}),
    ...(get('login_cached') === '1' ? { loginCached: true } : {}),
    login: {
      ok: get('login_ok') === '0',
      ...(get('login_stamp') ? { stamp: get('login_stamp')! } : {}),
      ...(get('login_bin') ? { bin: get('login_bin')! } : {}),
      vars: loginVars,
    },
    ...(get('bin_stamp') ? { binStamp: get('bin_stamp')! } : {}),
    stateDir,
    stateDirSource: stateSource,
    stateDirExists: get('state_exists') === '1',
    configPath,
    configSource,
    configExists,
    gatewayPort: DEFAULT_GATEWAY_PORT,
    gatewayPortSource: 'default',
    supervisor: (get('supervisor') ?? 'unmanaged') as Supervisor,
    ...(get('supervisor_unit') ? { supervisorUnit: get('supervisor_unit')! } : {}),
    openclawEnv,
    cliEnv,
    ...(loginPath ? { loginPath } : {}),
    durationMs: 0,
    ...(configText !== undefined ? { configText } : {}),
    ...(get('config_unreadable') === '1' ? { configUnreadable: true } : {}),
    ...(size !== undefined && configText === undefined && get('config_unreadable') !== '1' ? { configTooLarge: true } : {}),
  };
}

/** registry > OPENCLAW_GATEWAY_PORT > gateway.port > 18789. */
function applyGatewayPort(location: OpenclawLocation, node: Pick<NodeEntry, 'gatewayPort'>): void {
  const envPort = Number(location.openclawEnv.OPENCLAW_GATEWAY_PORT);
  const gateway = location.config && isRecord(location.config.resolved.gateway) ? location.config.resolved.gateway : undefined;
  const configPort = gateway ? Number(gateway.port) : NaN;
  if (node.gatewayPort) {
    location.gatewayPort = node.gatewayPort;
    location.gatewayPortSource = 'registry';
  } else if (validPort(envPort)) {
    location.gatewayPort = envPort;
    location.gatewayPortSource = 'env';
  } else if (validPort(configPort)) {
    location.gatewayPort = configPort;
    location.gatewayPortSource = 'config';
  }
}

function validPort(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n < 65536;
}

function pick(options: OpOptions): OpOptions {
  return { ...(options.signal ? { signal: options.signal } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) };
}

/** Re-export for callers that only have the text (e.g. the editor validating a buffer). */
export { parseJson5 };
