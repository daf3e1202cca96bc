import type { Finding, NodeFacts } from '../types';

/** Nodes that cannot be reached, and gateways that are down or not ready (from the status check). */
export function checkGateways(facts: readonly NodeFacts[]): Finding[] {
  const out: Finding[] = [];
  for (const f of facts) {
    const s = f.status;
    if (!s.reachable) {
      out.push({
        code: 'unreachable',
        severity: 'error',
        nodeId: f.nodeId,
        message: `${f.nodeId} cannot be reached: ${s.error?.message ?? 'no answer'}`,
        fix: `ocm status ${f.nodeId}`,
        params: { reason: s.error?.message ?? '' },
      });
      continue;
    }
    const gw = s.gateway;
    if (!gw) continue;
    if (!gw.live) {
      out.push({
        code: 'gatewayDown',
        severity: 'error',
        nodeId: f.nodeId,
        message: `${f.nodeId}: the gateway does not run on port ${gw.port}`,
        fix: `ocm restart ${f.nodeId}`,
        params: { port: gw.port },
      });
    } else if (!gw.ready) {
      const failing = gw.failing.join(', ');
      out.push({
        code: 'gatewayNotReady',
        severity: 'error',
        nodeId: f.nodeId,
        message: `${f.nodeId}: the gateway is not ready${failing ? ` (failing: ${failing})` : ''}`,
        fix: `ocm restart ${f.nodeId}`,
        params: { port: gw.port, failing },
      });
    }
  }
  return out;
}
