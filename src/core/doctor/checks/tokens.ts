import { isLoopbackHost } from '../../token/places';
import type { Finding, NodeFacts } from '../types';

/**
 * Tokens between nodes: a node whose gateway.remote.url points at a registered gateway but whose
 * gateway.remote.token is not that gateway's token is stranded (error) — the outage issue 17
 * describes. Also: a token still in a systemd unit (OpenClaw #19410), stale there or in `.env`.
 * Only digests are compared; no token value is ever part of a finding.
 */
export function checkTokens(facts: readonly NodeFacts[]): Finding[] {
  const out: Finding[] = [];
  for (const client of facts) {
    const t = client.tokens;
    if (!t?.remote || !t.remoteDigest) continue;
    const gateway = gatewayAt(facts, client, t.remote);
    if (!gateway?.tokens?.authDigest) continue;
    if (gateway.tokens.authDigest !== t.remoteDigest) {
      out.push({
        code: 'tokenStale',
        severity: 'error',
        nodeId: client.nodeId,
        message: `${client.nodeId}'s gateway.remote.token is not the token of ${gateway.nodeId}'s gateway it points at (${t.remoteUrl}): it cannot authenticate`,
        fix: `ocm token rotate ${gateway.nodeId}`,
        params: { gateway: gateway.nodeId, url: t.remoteUrl ?? '' },
      });
    }
  }
  for (const f of facts) {
    const t = f.tokens;
    if (!t) continue;
    if (t.unitPath && t.unitDigests.length > 0) {
      const stale = t.authDigest !== undefined && t.unitDigests.some((d) => d !== t.authDigest);
      out.push({
        code: stale ? 'unitTokenStale' : 'unitToken',
        severity: 'warning',
        nodeId: f.nodeId,
        message: stale
          ? `${f.nodeId}: the systemd unit ${t.unitPath} still carries an OLD gateway token (OPENCLAW_GATEWAY_TOKEN), not the one in openclaw.json`
          : `${f.nodeId}: the systemd unit ${t.unitPath} embeds the gateway token (OPENCLAW_GATEWAY_TOKEN); it goes stale on the next rotation (OpenClaw #19410)`,
        fix: stale ? `ocm token rotate ${f.nodeId}` : `openclaw gateway install --force (on ${f.nodeId})`,
        params: { unit: t.unitPath },
      });
    }
    if (t.envPath && t.envDigest && t.authDigest && t.envDigest !== t.authDigest) {
      out.push({
        code: 'envTokenStale',
        severity: 'warning',
        nodeId: f.nodeId,
        message: `${f.nodeId}: OPENCLAW_GATEWAY_TOKEN in ${t.envPath} is not the gateway.auth.token of openclaw.json`,
        fix: `ocm token rotate ${f.nodeId}`,
        params: { env: t.envPath },
      });
    }
  }
  return out;
}

/** The registered node whose gateway `remote` names (same port; its host, or loopback on the same host). */
function gatewayAt(facts: readonly NodeFacts[], client: NodeFacts, remote: { host: string; port: number }): NodeFacts | undefined {
  return facts.find((g) => {
    if (g.nodeId === client.nodeId || g.gatewayPort !== remote.port) return false;
    const host = g.host.toLowerCase();
    if (remote.host === host) return true;
    return isLoopbackHost(remote.host) && (client.host.toLowerCase() === host || (isLoopbackHost(host) && isLoopbackHost(client.host.toLowerCase())));
  });
}
