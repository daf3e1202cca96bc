import { gatewayLabel } from './format';
import type { NodeStatus } from './types';

/**
 * One word for a node's health, decided once for every face (tree icon, dashboard card, status
 * bar): ready, not ready (the gateway answers but is not ready, or is still starting), gateway
 * down, unreachable, OpenClaw not installed, or not checked yet. `reason` says why in one line
 * when it is not `ready` (the first error-level anomaly, else the first one).
 */
export type NodeHealth = 'ready' | 'notReady' | 'gatewayDown' | 'unreachable' | 'notInstalled' | 'unknown';

export interface NodeHealthSummary {
  health: NodeHealth;
  reason?: string;
}

export function nodeHealth(status: NodeStatus | undefined): NodeHealthSummary {
  if (!status) return { health: 'unknown' };
  const reason = (kinds: string[]): string | undefined =>
    status.anomalies.find((a) => kinds.includes(a.kind))?.message ??
    status.anomalies.find((a) => a.severity === 'error')?.message ??
    status.anomalies[0]?.message;
  if (!status.reachable) return withReason('unreachable', status.error?.message ?? reason(['unreachable']));
  switch (gatewayLabel(status)) {
    case 'ready':
      return { health: 'ready' };
    case 'down':
      return withReason('gatewayDown', reason(['gatewayDown']));
    case '-':
      if (status.openclaw && !status.openclaw.installed) return withReason('notInstalled', reason(['notInstalled']));
      return withReason('unknown', reason(['checkIncomplete', 'configBroken']));
    default:
      return withReason('notReady', reason(['gatewayNotReady']));
  }
}

function withReason(health: NodeHealth, reason: string | undefined): NodeHealthSummary {
  return reason ? { health, reason } : { health };
}
