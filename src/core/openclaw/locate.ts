import { posix } from 'node:path';
import { OcmError, toOcmError, type OcmError as OcmErrorType } from '../errors';
import type { NodeEntry } from '../registry';
import { shellQuote } from '../transport/shell-quote';
import type { OpOptions, Transport } from '../transport/types';
import { parseJson5, readOpenclawConfig, type OpenclawConfig } from './config';
import { isRecord, parseOpenclawVersion } from './version';

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
const CONFIG_MARKER = '__OCM_CONFIG_BEGIN__';
const MAX_CONFIG_BYTES = 2 * 1024 * 1024;

/** The discovery script. Registry values are shell-quoted into it; everything else is read on the node. */
export function buildLocateScript(node: Pick<NodeEntry, 'openclawPath' | 'stateDir'>, options: { loginShell?: boolean } = {}): string {
  const reg = (v: string | undefined): string => shellQuote(v ?? '');
  return `
reg_bin=${reg(node.openclawPath)}
reg_state=${reg(node.stateDir)}
use_login=${options.loginShell === false ? 0 : 1}
kv() { printf '%s=%s\\n' "$1" "$2"; }
to=""; command -v timeout >/dev/null 2>&1 && to="timeout 8"
kv home "$HOME"
kv path "$PATH"
kv uname "$(uname -s 2>/dev/null)"
for v in OPENCLAW_STATE_DIR OPENCLAW_CONFIG_PATH OPENCLAW_HOME OPENCLAW_PROFILE OPENCLAW_GATEWAY_PORT OPENCLAW_WORKSPACE_DIR; do
  eval "val=\\\${$v:-}"; [ -n "$val" ] && kv "env.$v" "$val"
done
login_out=""
if [ "$use_login" = 1 ] && [ -n "\${SHELL:-}" ] && [ -x "$SHELL" ]; then
  login_out=$($to "$SHELL" -lc 'command -v openclaw; echo __OCM_ENV__; env' </dev/null 2>/dev/null)
  kv login_ok "$?"
fi
login_env() { printf '%s\\n' "$login_out" | sed -n '/^__OCM_ENV__$/,$p' | sed -n "s/^$1=//p" | head -n 1; }
if [ -n "$login_out" ]; then
  for v in OPENCLAW_STATE_DIR OPENCLAW_CONFIG_PATH OPENCLAW_HOME OPENCLAW_PROFILE OPENCLAW_GATEWAY_PORT OPENCLAW_WORKSPACE_DIR PATH; do
    val=$(login_env "$v"); [ -n "$val" ] && kv "login.$v" "$val"
  done
fi
expand() { case "$1" in "~") printf '%s' "$HOME" ;; "~/"*) printf '%s/%s' "$HOME" "\${1#\\~/}" ;; *) printf '%s' "$1" ;; esac; }
bin=""; src=""
if [ -n "$reg_bin" ]; then bin=$(expand "$reg_bin"); src=registry
elif b=$(command -v openclaw 2>/dev/null) && [ -n "$b" ]; then bin=$b; src=path
else
  b=$(printf '%s\\n' "$login_out" | sed -n '1,/^__OCM_ENV__$/p' | grep '^/' | tail -n 1)
  if [ -n "$b" ]; then bin=$b; src=login-shell
  else
    for c in "$HOME/.npm-global/bin/openclaw" "$HOME/.local/bin/openclaw" $(ls -d "$HOME"/.nvm/versions/node/*/bin/openclaw 2>/dev/null | sort -r) "$HOME/.local/share/pnpm/openclaw" "$HOME/Library/pnpm/openclaw" "$HOME/.bun/bin/openclaw" /opt/homebrew/bin/openclaw /usr/local/bin/openclaw /usr/bin/openclaw; do
      if [ -x "$c" ]; then bin=$c; src=common-path; break; fi
    done
  fi
fi
if [ -n "$bin" ]; then
  kv bin "$bin"; kv bin_source "$src"
  if [ -x "$bin" ]; then
    lp=$(login_env PATH)
    kv version_line "$(PATH="$(dirname "$bin"):\${lp:-$PATH}" $to "$bin" --version </dev/null 2>&1 | head -n 1)"
  else kv bin_missing 1; fi
fi
oh=\${OPENCLAW_HOME:-$(login_env OPENCLAW_HOME)}; oh=\${oh:-$HOME}
profile=\${OPENCLAW_PROFILE:-$(login_env OPENCLAW_PROFILE)}
state=""; ssrc=""
if [ -n "$reg_state" ]; then state=$(expand "$reg_state"); ssrc=registry
elif [ -n "\${OPENCLAW_STATE_DIR:-}" ]; then state=$(expand "$OPENCLAW_STATE_DIR"); ssrc=env
elif s=$(login_env OPENCLAW_STATE_DIR) && [ -n "$s" ]; then state=$(expand "$s"); ssrc=login-env
elif [ -n "$profile" ] && [ "$profile" != default ]; then state="$oh/.openclaw-$profile"; ssrc=profile
else
  state="$oh/.openclaw"; ssrc=default
  if [ ! -d "$state" ]; then
    for d in "$oh/.clawdbot" "$oh/.moltbot"; do [ -d "$d" ] && { state=$d; ssrc=legacy; break; }; done
  fi
fi
kv openclaw_home "$oh"
kv state "$state"; kv state_source "$ssrc"; [ -d "$state" ] && kv state_exists 1
cfg=""; csrc=""
if [ -n "\${OPENCLAW_CONFIG_PATH:-}" ]; then cfg=$(expand "$OPENCLAW_CONFIG_PATH"); csrc=env
elif c=$(login_env OPENCLAW_CONFIG_PATH) && [ -n "$c" ]; then cfg=$(expand "$c"); csrc=login-env
else
  cfg="$state/openclaw.json"; csrc=state
  if [ ! -e "$cfg" ]; then
    for c in "$state/clawdbot.json" "$state/moltbot.json"; do [ -e "$c" ] && { cfg=$c; csrc=legacy; break; }; done
  fi
fi
kv config "$cfg"; kv config_source "$csrc"
sup=unmanaged; unit=""
# OpenClaw's service names: openclaw-gateway[-<profile>].service, LaunchAgent ai.openclaw.gateway / ai.openclaw.<profile>.
case "$profile" in ""|default|Default|DEFAULT) sname=openclaw-gateway; lname=ai.openclaw.gateway ;; *) sname="openclaw-gateway-$profile"; lname="ai.openclaw.$profile" ;; esac
for u in "$HOME/.config/systemd/user/$sname.service" "/etc/systemd/system/$sname.service"; do
  [ -f "$u" ] && { sup=systemd; unit=$u; break; }
done
if [ "$sup" = unmanaged ] && [ -f "$HOME/Library/LaunchAgents/$lname.plist" ]; then sup=launchd; unit="$HOME/Library/LaunchAgents/$lname.plist"; fi
kv supervisor "$sup"; [ -n "$unit" ] && kv supervisor_unit "$unit"
if [ -f "$cfg" ]; then
  if [ -r "$cfg" ]; then
    size=$(wc -c < "$cfg" | tr -d ' ')
    kv config_size "$size"
    if [ "$size" -le ${MAX_CONFIG_BYTES} ]; then echo ${CONFIG_MARKER}; cat "$cfg"; fi
  else kv config_unreadable 1; fi
fi
exit 0
`;
}

export interface LocateOptions extends OpOptions {
  /** Ask a login shell for PATH and OPENCLAW_* variables (default true; ~50–300 ms). */
  loginShell?: boolean;
}

/** Locates OpenClaw on a node. A node without OpenClaw gives `installed: false`, never an error. */
export async function locateOpenclaw(transport: Transport, node: Pick<NodeEntry, 'id' | 'openclawPath' | 'stateDir' | 'gatewayPort'>, options: LocateOptions = {}): Promise<OpenclawLocation> {
  const started = Date.now();
  const script = buildLocateScript(node, { loginShell: options.loginShell ?? true });
  const result = await transport.exec(`sh -c ${shellQuote(script)}`, { ...pick(options), timeoutMs: options.timeoutMs ?? 30_000 });
  if (result.exitCode !== 0) {
    throw new OcmError('failed', `Could not inspect node ${node.id}: the discovery script exited with ${result.exitCode ?? result.signal}. ${result.stderr.trim().slice(0, 300)} Check that the node has a POSIX sh.`, { nodeId: node.id });
  }
  const location = parseLocateOutput(result.stdout, node);
  if (location.configExists && location.configText !== undefined) {
    try {
      location.config = await readOpenclawConfig(transport, location.configPath, { ...pick(options), mainText: location.configText });
    } catch (e) {
      location.configError = toOcmError(e);
    }
  } else if (location.configUnreadable) {
    location.configError = new OcmError('permission', `${location.configPath} exists but this SSH user cannot read it. Connect as the user that runs OpenClaw.`, { path: location.configPath });
  } else if (location.configTooLarge) {
    location.configError = new OcmError('invalidConfig', `${location.configPath} is larger than ${MAX_CONFIG_BYTES} bytes; OpenClaw refuses configs that large.`, { path: location.configPath });
  }
  applyGatewayPort(location, node);
  const { configText: _t, configUnreadable: _u, configTooLarge: _l, ...clean } = location;
  return { ...clean, durationMs: Date.now() - started };
}

interface ParsedLocation extends OpenclawLocation {
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
  const openclawEnv: Record<string, string> = {};
  for (const [k, v] of kv) {
    if (k.startsWith('login.OPENCLAW_') && v) openclawEnv[k.slice(6)] = v;
  }
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
  if (!bin) reason = `openclaw was not found on node ${node.id} (not on PATH, not in a login shell, not in ~/.npm-global, ~/.local, nvm, pnpm, Homebrew or /usr/local). Install OpenClaw, or set the binary's path for this node (ocm add --openclaw <path>).`;
  else if (get('bin_missing') === '1') reason = `The openclaw path configured for node ${node.id} (${bin}) does not exist or is not executable. Fix the node's openclaw path.`;
  else if (!parsedVersion) reason = `${bin} --version did not print a version${versionLine ? ` ("${versionLine.slice(0, 200)}")` : ''}. Check that OpenClaw and its Node.js runtime work on the node.`;
  const loginPath = get('login.PATH');
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
