import { OcmError } from '../errors';
import type { OpenclawLocation } from '../openclaw/locate';
import { compareOpenclawVersions, isRecord } from '../openclaw/version';
import type { Transport } from '../transport/types';
import { connectGatewayRpc, type GatewayRpc } from './gateway-rpc';

/**
 * Which nodes ocm can ask through the gateway RPC, and with which token. The RPC session methods
 * ocm uses (`sessions.list/get/compact/reset/patch`, protocol 4) exist from OpenClaw 2026.9.0;
 * older gateways are read the old way (sessions.json or `openclaw sessions`) and have no
 * session actions from outside.
 *
 * Token: what OpenClaw's own local clients use — `gateway.auth.token` (a `${VAR}` reference is
 * resolved from the node's OpenClaw environment), then `OPENCLAW_GATEWAY_TOKEN`, then
 * `gateway.remote.token`. It is only ever passed to the connect frame, never logged or returned.
 */

export const RPC_SESSIONS_SINCE = '2026.9.0';

export function hasSessionRpc(version: string | undefined): boolean {
  return version !== undefined && compareOpenclawVersions(version, RPC_SESSIONS_SINCE) >= 0;
}

export function gatewayTokenOf(location: OpenclawLocation): string | undefined {
  const config = location.config?.resolved;
  const gateway = isRecord(config?.gateway) ? config.gateway : {};
  const auth = isRecord(gateway.auth) ? gateway.auth : {};
  const remote = isRecord(gateway.remote) ? gateway.remote : {};
  const expand = (v: unknown): string | undefined => {
    if (typeof v !== 'string' || v === '') return undefined;
    const m = /^\$\{([A-Z0-9_]+)\}$/.exec(v);
    if (!m) return v;
    return location.openclawEnv[m[1]!] || undefined;
  };
  return expand(auth.token) ?? (location.openclawEnv.OPENCLAW_GATEWAY_TOKEN || undefined) ?? expand(remote.token);
}

/** Opens an RPC connection to the node's gateway, or says plainly why it cannot. */
export async function openNodeGateway(
  transport: Transport,
  location: OpenclawLocation,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<GatewayRpc> {
  if (!hasSessionRpc(location.version)) {
    throw new OcmError(
      'unsupported',
      `OpenClaw ${location.version ?? '(unknown version)'} on node ${location.nodeId} has no gateway RPC for sessions (it needs ${RPC_SESSIONS_SINCE} or later).`,
      { version: location.version },
    );
  }
  const token = gatewayTokenOf(location);
  if (!token) {
    throw new OcmError(
      'auth',
      `No gateway token found for node ${location.nodeId} (gateway.auth.token in ${location.configPath}, or OPENCLAW_GATEWAY_TOKEN). Set one with: openclaw doctor --generate-gateway-token`,
    );
  }
  return connectGatewayRpc(transport, { port: location.gatewayPort, token, ...options });
}
