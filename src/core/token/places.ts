import { literal, parseJson5Spans, type SpanNode } from '../operations/config-rewrite-json5';
import { isRecord } from '../openclaw/version';

/**
 * Where a gateway token is written, as text in → facts / text out (pure, unit-tested):
 *  - openclaw.json (JSON5, maybe `$include`d files): `gateway.auth.token` (the gateway's own) and
 *    `gateway.remote.token` (a client's credential for a remote gateway);
 *  - the state dir's `.env`: `OPENCLAW_GATEWAY_TOKEN=...` (OpenClaw loads it into its environment);
 *  - the systemd user unit: `Environment=OPENCLAW_GATEWAY_TOKEN=...`, which `openclaw gateway
 *    install` writes and which goes stale after a config change (OpenClaw #19410).
 * Rewrites touch only the token value: comments, layout and the other lines stay as they are.
 */

export const TOKEN_ENV = 'OPENCLAW_GATEWAY_TOKEN';

export interface ConfigTokens {
  /** `gateway.auth.mode` when set. */
  authMode?: string;
  /** `gateway.auth.token` as written (may be a `${VAR}` reference). */
  authToken?: string;
  remoteUrl?: string;
  remoteToken?: string;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Token facts of a resolved config (includes merged). */
export function configTokens(resolved: Record<string, unknown> | undefined): ConfigTokens {
  const gateway = isRecord(resolved?.gateway) ? resolved.gateway : {};
  const auth = isRecord(gateway.auth) ? gateway.auth : {};
  const remote = isRecord(gateway.remote) ? gateway.remote : {};
  const out: ConfigTokens = {};
  const mode = str(auth.mode);
  if (mode) out.authMode = mode;
  const token = str(auth.token);
  if (token) out.authToken = token;
  const url = str(remote.url);
  if (url) out.remoteUrl = url;
  const remoteToken = str(remote.token);
  if (remoteToken) out.remoteToken = remoteToken;
  return out;
}

/** `${NAME}` → NAME when the whole value is one environment reference. */
export function envReference(value: string | undefined): string | undefined {
  const m = value === undefined ? null : /^\$\{([A-Z0-9_]+)\}$/.exec(value);
  return m ? m[1] : undefined;
}

export interface TokenLiteral {
  /** Dotted key path inside this file, e.g. `gateway.auth.token`. */
  key: string;
  start: number;
  end: number;
}

/** Every JSON5 string literal in `text` whose value is `token`, with its key path. */
export function findTokenLiterals(text: string, token: string, file = 'config'): TokenLiteral[] {
  const found: TokenLiteral[] = [];
  const walk = (node: SpanNode, path: string[]): void => {
    if (node.kind === 'string' && node.value === token) found.push({ key: path.join('.'), start: node.start, end: node.end });
    else if (node.kind === 'object') for (const m of node.members) walk(m.value, [...path, m.key]);
    else if (node.kind === 'array') node.items.forEach((n, i) => walk(n, [...path, String(i)]));
  };
  walk(parseJson5Spans(text, file), []);
  return found;
}

/** Literals a rotation replaces: the gateway's own token and client credentials (`...auth.token`, `...remote.token`). */
export function isRotatableKey(key: string): boolean {
  return /(^|\.)(auth|remote)\.token$/.test(key) || key === 'token';
}

/** Replaces the given literals (from findTokenLiterals) with `newToken`, keeping everything else. */
export function replaceLiterals(text: string, literals: readonly TokenLiteral[], newToken: string): string {
  let out = text;
  for (const l of [...literals].sort((a, b) => b.start - a.start)) out = out.slice(0, l.start) + literal(newToken) + out.slice(l.end);
  return out;
}

const ENV_LINE = /^(\s*(?:export\s+)?OPENCLAW_GATEWAY_TOKEN\s*=\s*)(["']?)(.*?)\2(\s*(?:#.*)?)$/;

/** The token of a `.env` file (last assignment wins, like dotenv). */
export function envFileToken(text: string): string | undefined {
  let value: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const m = ENV_LINE.exec(line);
    if (m) value = m[3];
  }
  return value === '' ? undefined : value;
}

/** `.env` text with every OPENCLAW_GATEWAY_TOKEN assignment set to `newToken`. */
export function replaceEnvFileToken(text: string, newToken: string): string {
  return text
    .split('\n')
    .map((line) => {
      const cr = line.endsWith('\r') ? '\r' : '';
      const body = cr ? line.slice(0, -1) : line;
      const m = ENV_LINE.exec(body);
      return m ? `${m[1]}${m[2]}${newToken}${m[2]}${m[4]}${cr}` : line;
    })
    .join('\n');
}

const UNIT_ASSIGNMENT = /(^|[\s"'=])(OPENCLAW_GATEWAY_TOKEN=)([^\s"']*)/g;

function isEnvironmentLine(line: string): boolean {
  return /^\s*Environment\s*=/.test(line);
}

/** Values of OPENCLAW_GATEWAY_TOKEN in a systemd unit's `Environment=` lines. */
export function unitFileTokens(text: string): string[] {
  const values: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!isEnvironmentLine(line)) continue;
    for (const m of line.matchAll(UNIT_ASSIGNMENT)) if (m[3]) values.push(m[3]);
  }
  return values;
}

/** Unit text with every `Environment=` OPENCLAW_GATEWAY_TOKEN set to `newToken`. */
export function replaceUnitToken(text: string, newToken: string): string {
  return text
    .split('\n')
    .map((line) => (isEnvironmentLine(line) ? line.replace(UNIT_ASSIGNMENT, (_m, pre: string, key: string) => `${pre}${key}${newToken}`) : line))
    .join('\n');
}

/** `ws://host:port/...` → host (lower case, brackets removed) and port (default 18789 / 443 for wss). */
export function parseGatewayUrl(url: string | undefined): { host: string; port: number } | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    if (!/^(wss?|https?):$/.test(u.protocol)) return undefined;
    const port = u.port ? Number(u.port) : u.protocol === 'wss:' || u.protocol === 'https:' ? 443 : 18789;
    return { host: u.hostname.replace(/^\[|\]$/g, '').toLowerCase(), port };
  } catch {
    return undefined;
  }
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host) || host === 'local';
}
