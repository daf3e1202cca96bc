import type { NodeStatus } from './types';

/**
 * Short words for a status, shared by the CLI table and the VS Code tree (so both faces say the
 * same thing): reachability, gateway state, uptimes, per-cent cells and one-line notes.
 */

export function reachabilityLabel(s: NodeStatus): string {
  if (s.reachable) return 'yes';
  switch (s.error?.kind) {
    case 'auth':
      return 'auth failed';
    case 'hostKeyUnknown':
      return 'host key unknown';
    case 'hostKeyChanged':
      return 'HOST KEY CHANGED';
    case 'timeout':
      return 'timeout';
    case 'unreachable':
    case 'disconnected':
      return 'unreachable';
    case undefined:
      return 'no';
    default:
      return s.error?.kind ?? 'no';
  }
}

export function gatewayLabel(s: NodeStatus): string {
  const gw = s.gateway;
  if (!gw) return '-';
  if (!gw.live) return 'down';
  if (gw.ready) return 'ready';
  if (gw.startup && gw.startup !== 'started') return gw.startup;
  return 'not ready';
}

export function versionLabel(s: NodeStatus): string {
  if (!s.openclaw) return '-';
  if (!s.openclaw.installed) return s.gateway?.version ? `${s.gateway.version} (no cli)` : 'not installed';
  return s.openclaw.version ?? '?';
}

/** 93784000 → `1d 2h`, 3_720_000 → `1h 2m`, 45_000 → `45s`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '-';
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

export function pctLabel(pct: number | undefined): string {
  return pct === undefined ? '-' : `${Math.round(pct)}%`;
}

/** Short notes for the NOTES column (full messages are listed below the table). */
export function shortNotes(s: NodeStatus): string {
  const notes: string[] = [];
  for (const a of s.anomalies) {
    switch (a.kind) {
      case 'unreachable':
        break; // the REACHABLE column says it
      case 'notInstalled':
        break; // the VERSION column says it
      case 'gatewayDown':
        notes.push('gateway down');
        break;
      case 'gatewayNotReady':
        notes.push(s.gateway?.failing.length ? `failing: ${s.gateway.failing.join(',')}` : 'not ready');
        break;
      case 'configBroken':
        notes.push('config broken');
        break;
      case 'diskAlmostFull':
        notes.push(`disk ${pctLabel(s.hostFacts?.disk?.usedPct)} full`);
        break;
      case 'contextOverThreshold':
        break; // summarised below
      case 'checkIncomplete':
        notes.push('incomplete');
        break;
    }
  }
  const over = s.sessions?.rows.filter((r) => r.overThreshold) ?? [];
  if (over.length) notes.push(`context ${pctLabel(over[0]!.usedPct)} ${over[0]!.key}${over.length > 1 ? ` (+${over.length - 1})` : ''}`);
  return notes.join('; ');
}
