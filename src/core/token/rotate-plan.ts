import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { OcmError } from '../errors';
import { sha256Hex } from '../history/store';
import type { OpenclawLocation } from '../openclaw/locate';
import type { NodeEntry } from '../registry';
import type { Transport } from '../transport/types';
import type { OperationPlan, PlannedContent } from '../operations/types';
import { maskToken } from './mask';
import {
  configTokens,
  envFileToken,
  envReference,
  findTokenLiterals,
  isLoopbackHost,
  isRotatableKey,
  parseGatewayUrl,
  replaceEnvFileToken,
  replaceLiterals,
  replaceUnitToken,
  TOKEN_ENV,
  unitFileTokens,
} from './places';

/**
 * The plan of a gateway token rotation: every file on every registered node that carries the
 * gateway's token, what each gets, which nodes depend on the gateway, and the steps. Plans are data
 * both faces show; the token values live only in a side table (never in the plan object), so a
 * plan can be printed, sent as --json or shown in a webview without leaking them.
 */

export interface RotationNode {
  node: Pick<NodeEntry, 'id' | 'host' | 'startCommand'>;
  transport: Transport;
  location: OpenclawLocation;
}

export type TokenPlaceKind = 'config' | 'env' | 'systemd';

export interface TokenPlace {
  nodeId: string;
  role: 'gateway' | 'dependant';
  kind: TokenPlaceKind;
  /** Absolute path on that node. */
  path: string;
  /** What is set there (`gateway.auth.token`, `gateway.remote.token`, `OPENCLAW_GATEWAY_TOKEN`). */
  keys: string[];
  before: PlannedContent;
  after: PlannedContent;
  /** Masked token that was there. */
  beforeToken: string;
  /** True when that token was not the gateway's current one (already broken before the rotation). */
  stale: boolean;
}

export interface Dependant {
  nodeId: string;
  /** `gateway.remote.url` of the dependant (no secret). */
  remoteUrl?: string;
  why: 'token' | 'url' | 'token+url';
  /** The dependant's token was already not the gateway's (it was not working before). */
  stale: boolean;
}

export interface TokenRotationPlan extends OperationPlan {
  operation: 'tokenRotate';
  gateway: { nodeId: string; port: number; supervisor: OpenclawLocation['supervisor']; running: boolean; oldToken: string; newToken: string; version?: string };
  places: TokenPlace[];
  dependants: Dependant[];
  /** Registered nodes that could not be read (their configs were not checked). */
  unchecked: Array<{ nodeId: string; reason: string }>;
  /** `warnings` as codes and values, for the faces' translations (same order). */
  notices: RotationNotice[];
}

export interface RotationNotice {
  code: 'unitEmbedsToken' | 'ownRemoteOther' | 'remoteNoToken' | 'remoteFromEnv' | 'remoteNotLocated' | 'dependantStale' | 'gatewayNotRunning' | 'unchecked';
  params: Record<string, string>;
}

/** Secrets and file texts of a plan, kept beside it (never serialised with it). */
export interface PlanSecrets {
  oldToken: string;
  newToken: string;
  texts: Map<TokenPlace, { before: string; after: string }>;
}

const secretsOf = new WeakMap<TokenRotationPlan, PlanSecrets>();

export function planSecrets(plan: TokenRotationPlan): PlanSecrets {
  const s = secretsOf.get(plan);
  if (!s) throw new OcmError('invalidInput', 'This token rotation plan has no secrets attached (it was copied or deserialised). Plan the rotation again.');
  return s;
}

export interface PlanTokenRotationParams {
  gateway: RotationNode;
  /** Other registered nodes (already located), checked for dependants. */
  others: readonly RotationNode[];
  /** Nodes that could not be reached or located. */
  unchecked?: ReadonlyArray<{ nodeId: string; reason: string }>;
  /** Whether the gateway answers on its port (decides the reload/verify steps). */
  gatewayRunning: boolean;
  /** For tests only: the new token (default 48 hex characters from crypto.randomBytes). */
  newToken?: string;
  signal?: AbortSignal;
}

export function generateToken(): string {
  return randomBytes(24).toString('hex');
}

function content(text: string, mode: number): PlannedContent {
  const data = Buffer.from(text, 'utf8');
  return { sha256: sha256Hex(data), size: data.length, mode };
}

async function readText(t: Transport, path: string, signal?: AbortSignal): Promise<{ text: string; mode: number } | undefined> {
  const st = await t.statOrUndefined(path, signal ? { signal } : {});
  if (!st || st.type !== 'file') return undefined;
  const data = await t.readFile(path, signal ? { signal } : {});
  return { text: data.toString('utf8'), mode: st.mode };
}

export async function planTokenRotation(p: PlanTokenRotationParams): Promise<TokenRotationPlan> {
  const gw = p.gateway;
  const loc = gw.location;
  const nodeId = gw.node.id;
  if (!loc.config) {
    throw new OcmError(
      loc.configError?.kind ?? 'notFound',
      `${nodeId}: openclaw.json cannot be read (${loc.configError?.message ?? `${loc.configPath} does not exist`}); fix it before rotating the token.`,
      { nodeId },
    );
  }
  const tokens = configTokens(loc.config.resolved);
  if (tokens.authMode && tokens.authMode !== 'token') {
    throw new OcmError('unsupported', `${nodeId}'s gateway uses gateway.auth.mode "${tokens.authMode}", not a token: there is no token to rotate.`, { nodeId });
  }
  const signal = p.signal;
  const envPath = posix.join(loc.stateDir, '.env');
  const env = await readText(gw.transport, envPath, signal);
  const unitPath = loc.supervisor === 'systemd' ? loc.supervisorUnit : undefined;
  const unit = unitPath ? await readText(gw.transport, unitPath, signal) : undefined;
  const envToken = env ? envFileToken(env.text) : undefined;
  const unitTokens = unit ? unitFileTokens(unit.text) : [];
  const ref = envReference(tokens.authToken);
  const oldToken = ref ? (ref === TOKEN_ENV ? envToken : undefined) : (tokens.authToken ?? envToken ?? unitTokens[0]);
  if (!oldToken) {
    throw new OcmError(
      'notFound',
      ref
        ? `${nodeId}: gateway.auth.token is \${${ref}}, which is not set in ${envPath}; ocm cannot see where it comes from. Put the token into openclaw.json or ${envPath}, then rotate.`
        : `${nodeId} has no gateway token (gateway.auth.token, ${TOKEN_ENV} in ${envPath} or the service unit). Set one first: openclaw doctor --generate-gateway-token.`,
      { nodeId },
    );
  }
  const newToken = p.newToken ?? generateToken();
  const texts = new Map<TokenPlace, { before: string; after: string }>();
  const places: TokenPlace[] = [];
  const warnings: string[] = [];
  const notices: RotationNotice[] = [];
  const warn = (code: RotationNotice['code'], params: Record<string, string>, english: string): void => {
    warnings.push(english);
    notices.push({ code, params });
  };
  const add = (place: Omit<TokenPlace, 'before' | 'after'>, before: { text: string; mode: number }, after: string): void => {
    if (after === before.text) return;
    const full: TokenPlace = { ...place, before: content(before.text, before.mode), after: content(after, before.mode) };
    places.push(full);
    texts.set(full, { before: before.text, after });
  };

  // The gateway node: service unit, .env, then its config files (the config last: it triggers the reload).
  if (unit && unitPath && unitTokens.length > 0) {
    add(
      {
        nodeId,
        role: 'gateway',
        kind: 'systemd',
        path: unitPath,
        keys: [`Environment=${TOKEN_ENV}`],
        beforeToken: maskToken(unitTokens[0]),
        stale: unitTokens.some((t) => t !== oldToken),
      },
      unit,
      replaceUnitToken(unit.text, newToken),
    );
    warn(
      'unitEmbedsToken',
      { unit: unitPath },
      `The service unit ${unitPath} embeds the token (OpenClaw #19410); it is updated too. "openclaw gateway install --force" would write a unit without it.`,
    );
  }
  if (env && envToken !== undefined) {
    add(
      { nodeId, role: 'gateway', kind: 'env', path: envPath, keys: [TOKEN_ENV], beforeToken: maskToken(envToken), stale: envToken !== oldToken },
      env,
      replaceEnvFileToken(env.text, newToken),
    );
  }
  if (!ref) {
    for (const file of loc.config.files) {
      const literals = findTokenLiterals(file.text, oldToken, file.path).filter((l) => isRotatableKey(l.key));
      if (literals.length === 0) continue;
      add(
        { nodeId, role: 'gateway', kind: 'config', path: file.path, keys: literals.map((l) => l.key), beforeToken: maskToken(oldToken), stale: false },
        { text: file.text, mode: await modeOf(gw.transport, file.path) },
        replaceLiterals(file.text, literals, newToken),
      );
    }
  }
  if (tokens.remoteToken && tokens.remoteToken !== oldToken && pointsAt(tokens.remoteUrl, gw, gw)) {
    warn('ownRemoteOther', { node: nodeId }, `${nodeId}'s own gateway.remote.token points at this gateway but holds another token; it is left as it is.`);
  }

  const dependants: Dependant[] = [];
  for (const other of p.others) {
    if (other.node.id === nodeId || !other.location.config) continue;
    const t = configTokens(other.location.config.resolved);
    const byToken = t.remoteToken === oldToken;
    const byUrl = pointsAt(t.remoteUrl, other, gw);
    if (!byToken && !byUrl) continue;
    const current = t.remoteToken;
    const stale = current !== oldToken;
    dependants.push({
      nodeId: other.node.id,
      ...(t.remoteUrl ? { remoteUrl: t.remoteUrl } : {}),
      why: byToken && byUrl ? 'token+url' : byToken ? 'token' : 'url',
      stale,
    });
    if (!current) {
      warn(
        'remoteNoToken',
        { dependant: other.node.id, node: nodeId },
        `${other.node.id}'s gateway.remote.url points at ${nodeId}, but it has no gateway.remote.token: it is not changed.`,
      );
      continue;
    }
    if (envReference(current)) {
      warn(
        'remoteFromEnv',
        { dependant: other.node.id, ref: current },
        `${other.node.id}'s gateway.remote.token is ${current} (from its environment): set it there by hand after the rotation.`,
      );
      continue;
    }
    let found = false;
    for (const file of other.location.config.files) {
      const literals = findTokenLiterals(file.text, current, file.path).filter((l) => /(^|\.)remote\.token$/.test(l.key) || l.key === 'token');
      if (literals.length === 0) continue;
      found = true;
      add(
        { nodeId: other.node.id, role: 'dependant', kind: 'config', path: file.path, keys: literals.map((l) => l.key), beforeToken: maskToken(current), stale },
        { text: file.text, mode: await modeOf(other.transport, file.path) },
        replaceLiterals(file.text, literals, newToken),
      );
    }
    if (!found)
      warn(
        'remoteNotLocated',
        { dependant: other.node.id },
        `${other.node.id}'s gateway.remote.token could not be located in its config files; set it by hand.`,
      );
    const depEnvPath = posix.join(other.location.stateDir, '.env');
    const depEnv = await readText(other.transport, depEnvPath, signal);
    const depEnvToken = depEnv ? envFileToken(depEnv.text) : undefined;
    if (depEnv && depEnvToken === oldToken) {
      add(
        { nodeId: other.node.id, role: 'dependant', kind: 'env', path: depEnvPath, keys: [TOKEN_ENV], beforeToken: maskToken(depEnvToken), stale: false },
        depEnv,
        replaceEnvFileToken(depEnv.text, newToken),
      );
    }
  }
  for (const d of dependants)
    if (d.stale)
      warn(
        'dependantStale',
        { dependant: d.nodeId, node: nodeId },
        `${d.nodeId} pointed at ${nodeId} with a token the gateway no longer has (it was offline); the rotation gives it the new one.`,
      );
  if (!p.gatewayRunning)
    warn(
      'gatewayNotRunning',
      { node: nodeId },
      `The gateway of ${nodeId} is not running: the files are updated and it takes the new token when it starts; the dependants cannot be checked now (run ocm doctor once it runs).`,
    );
  for (const u of p.unchecked ?? [])
    warn(
      'unchecked',
      { dependant: u.nodeId, reason: u.reason, node: nodeId },
      `${u.nodeId} could not be checked (${u.reason}); if it uses ${nodeId}'s gateway, update its gateway.remote.token by hand.`,
    );

  const steps = [
    ...places
      .filter((pl) => pl.role === 'gateway')
      .map((pl) => ({ id: `write:${pl.nodeId}:${pl.path}`, description: `${pl.nodeId}: write the new token into ${pl.path} (${pl.keys.join(', ')})` })),
    ...(p.gatewayRunning
      ? [{ id: `reload:${nodeId}`, description: `${nodeId}: wait until the gateway accepts the new token (hot reload; restart if it does not)` }]
      : []),
    ...places
      .filter((pl) => pl.role === 'dependant')
      .map((pl) => ({ id: `write:${pl.nodeId}:${pl.path}`, description: `${pl.nodeId}: write the new token into ${pl.path} (${pl.keys.join(', ')})` })),
    ...(p.gatewayRunning
      ? dependants
          .filter((d) => places.some((pl) => pl.nodeId === d.nodeId))
          .map((d) => ({ id: `verify:${d.nodeId}`, description: `${d.nodeId}: check that its configured token is accepted by ${nodeId}'s gateway` }))
      : []),
  ];
  const plan: TokenRotationPlan = {
    operation: 'tokenRotate',
    nodeId,
    createdAt: new Date().toISOString(),
    summary: `rotate the gateway token of ${nodeId} (${maskToken(oldToken)} → ${maskToken(newToken)}): ${places.length} file(s) on ${new Set(places.map((pl) => pl.nodeId)).size} node(s), ${dependants.length} dependant(s)`,
    files: places.map((pl) => ({ path: pl.path, action: 'update' as const, before: pl.before, after: pl.after })),
    unchanged: 0,
    configRewrites: places.flatMap((pl) =>
      pl.keys.map((key) => ({
        path: pl.path,
        key,
        before: pl.beforeToken,
        after: maskToken(newToken),
        description: `${pl.nodeId}: ${pl.role === 'gateway' ? 'the gateway token' : `its credential for ${nodeId}'s gateway`}`,
      })),
    ),
    steps,
    source: { kind: 'none' },
    warnings,
    gateway: {
      nodeId,
      port: loc.gatewayPort,
      supervisor: loc.supervisor,
      running: p.gatewayRunning,
      oldToken: maskToken(oldToken),
      newToken: maskToken(newToken),
      ...(loc.version ? { version: loc.version } : {}),
    },
    places,
    dependants,
    unchecked: [...(p.unchecked ?? [])],
    notices,
  };
  secretsOf.set(plan, { oldToken, newToken, texts });
  return plan;
}

async function modeOf(t: Transport, path: string): Promise<number> {
  return (await t.statOrUndefined(path))?.mode ?? 0o600;
}

/**
 * Does `url` (a client's gateway.remote.url on node `from`) point at `gateway`? Same port and the
 * gateway's registry host, or a loopback host when both nodes are the same machine (a tunnel or a
 * co-located client).
 */
export function pointsAt(url: string | undefined, from: RotationNode, gateway: RotationNode): boolean {
  const u = parseGatewayUrl(url);
  if (!u || u.port !== gateway.location.gatewayPort) return false;
  const gwHost = gateway.node.host.toLowerCase();
  if (u.host === gwHost) return true;
  return isLoopbackHost(u.host) && (from.node.host.toLowerCase() === gwHost || (isLoopbackHost(gwHost) && isLoopbackHost(from.node.host.toLowerCase())));
}

/** A masked diff of one planned file: only the lines that change, tokens masked. */
export function maskedDiff(plan: TokenRotationPlan, place: TokenPlace): string[] {
  const s = planSecrets(plan);
  const t = s.texts.get(place);
  if (!t) return [];
  const before = t.before.split('\n');
  const after = t.after.split('\n');
  const mask = (line: string): string =>
    line
      .split(s.oldToken)
      .join(maskToken(s.oldToken))
      .split(s.newToken)
      .join(maskToken(s.newToken))
      .replace(/(OPENCLAW_GATEWAY_TOKEN=|token["']?\s*:\s*["'])([^"'\s]{8,})/g, (_m, k: string, v: string) =>
        v.includes('…') ? `${k}${v}` : `${k}${maskToken(v)}`,
      );
  const out: string[] = [];
  for (let i = 0; i < Math.max(before.length, after.length); i++) {
    if (before[i] === after[i]) continue;
    if (before[i] !== undefined) out.push(`- ${mask(before[i]!).trim()}`);
    if (after[i] !== undefined) out.push(`+ ${mask(after[i]!).trim()}`);
  }
  return out;
}
