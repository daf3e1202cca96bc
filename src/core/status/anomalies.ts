import type { Anomaly, NodeStatus } from './types';
import { formatBytes } from '../format-bytes';

/** A state dir's filesystem fuller than this (percent) is flagged. */
export const DISK_ALMOST_FULL_PCT = 90;

/**
 * The anomalies of a (possibly partial) status, most severe first: what `ocm status` highlights
 * and what the tree decorates. Pure: computed from the status value alone.
 */
export function anomaliesOf(status: Omit<NodeStatus, 'anomalies'>): Anomaly[] {
  const found: Anomaly[] = [];
  if (!status.reachable) {
    found.push({ kind: 'unreachable', severity: 'error', message: status.error?.message ?? 'The node could not be reached.' });
    return found;
  }
  const oc = status.openclaw;
  if (oc && !oc.installed) {
    const running = status.gateway?.live
      ? `A gateway${status.gateway.version ? ` (${status.gateway.version})` : ''} answers on port ${status.gateway.port}, but the openclaw command was not found for this SSH user: `
      : '';
    found.push({ kind: 'notInstalled', severity: 'warning', message: `${running}${oc.reason ?? 'OpenClaw is not installed on this node.'}` });
  }
  if (status.agents?.configError) {
    found.push({ kind: 'configBroken', severity: 'error', message: `openclaw.json cannot be used: ${status.agents.configError.message}` });
  }
  const gw = status.gateway;
  if (gw && !gw.live) {
    found.push({ kind: 'gatewayDown', severity: 'error', message: `Gateway not running on port ${gw.port}${gw.error ? ` (${gw.error})` : ''}.` });
  } else if (gw && !gw.ready) {
    found.push({
      kind: 'gatewayNotReady',
      severity: 'error',
      message: `Gateway not ready${gw.startup && gw.startup !== 'started' ? ` (${gw.startup})` : ''}${gw.failing.length ? `: failing ${gw.failing.join(', ')}` : ''}.`,
    });
  }
  const disk = status.hostFacts?.disk;
  if (disk && disk.usedPct > DISK_ALMOST_FULL_PCT) {
    found.push({
      kind: 'diskAlmostFull',
      severity: 'warning',
      message: `Disk ${disk.mountPoint} (state dir) is ${disk.usedPct}% full, ${formatBytes(disk.availableBytes)} free.`,
    });
  }
  for (const s of status.sessions?.rows ?? []) {
    if (s.overThreshold) {
      found.push({
        kind: 'contextOverThreshold',
        severity: 'warning',
        message: `Session ${s.key} (agent ${s.agentId}) uses ${s.usedPct}% of its context window (over ${status.sessions!.thresholdPct}%).`,
      });
    }
    if (s.predictedOverflow && s.hoursToWindow !== undefined) {
      found.push({
        kind: 'contextPredictedOverflow',
        severity: 'warning',
        message: `Session ${s.key} (agent ${s.agentId}) reaches its context window in about ${s.hoursToWindow < 1 ? s.hoursToWindow : Math.round(s.hoursToWindow)} hours at the current rate (${s.growthTokensPerHour} tokens/h); compact it with: ocm sessions compact ${status.nodeId} ${s.key} --agent ${s.agentId}`,
      });
    }
  }
  if (status.error) {
    found.push({ kind: 'checkIncomplete', severity: 'warning', message: `Check incomplete: ${status.error.message}` });
  }
  return found.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
}
export { formatBytes } from '../format-bytes';
