import type { Finding, NodeFacts } from '../types';

/**
 * Sessions predicted to overflow (or already over the threshold), as the status check found them:
 * the sessions module's prediction shows up as a `contextPredictedOverflow` anomaly, the plain
 * threshold as `contextOverThreshold`; the rows say which session.
 */
export function checkSessions(facts: readonly NodeFacts[]): Finding[] {
  const out: Finding[] = [];
  for (const f of facts) {
    const kinds = new Set(f.status.anomalies.map((a) => a.kind as string));
    for (const row of f.status.sessions?.rows ?? []) {
      const r = row as typeof row & { predictedOverflow?: boolean; hoursToWindow?: number };
      const fix = `ocm sessions compact ${f.nodeId} ${r.key} --agent ${r.agentId}`;
      if (r.predictedOverflow && kinds.has('contextPredictedOverflow')) {
        const hours = r.hoursToWindow !== undefined ? Math.max(0, Math.round(r.hoursToWindow * 10) / 10) : undefined;
        out.push({
          code: 'sessionOverflow',
          severity: 'warning',
          nodeId: f.nodeId,
          agentId: r.agentId,
          message: `${f.nodeId}: session ${r.key} of agent ${r.agentId} reaches its context window${hours !== undefined ? ` in about ${hours} h` : ' soon'} at the current rate`,
          fix,
          params: { key: r.key, hours: hours ?? '' },
        });
      } else if (r.overThreshold) {
        out.push({
          code: 'sessionOverThreshold',
          severity: 'warning',
          nodeId: f.nodeId,
          agentId: r.agentId,
          message: `${f.nodeId}: session ${r.key} of agent ${r.agentId} uses ${r.usedPct}% of its context window`,
          fix,
          params: { key: r.key, pct: r.usedPct ?? '' },
        });
      }
    }
  }
  return out;
}
