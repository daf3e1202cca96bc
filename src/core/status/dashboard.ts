import { formatBytes } from '../format-bytes';
import { DISK_ALMOST_FULL_PCT } from './anomalies';
import { formatDuration, gatewayLabel, pctLabel, reachabilityLabel, versionLabel } from './format';
import { nodeHealth, type NodeHealth } from './health';
import type { Anomaly, NodeStatus } from './types';
import { formatTarget } from '../registry/target';

/**
 * The dashboard's view-model: one card per node, computed from the same NodeStatus values
 * `ocm status --json` prints (its `summary` is `fleetSummary` here too). Pure: no I/O, no clock
 * (the caller passes `now`), no `vscode` — the VS Code webview renders it, the bench renders it,
 * the unit tests check it. Quantities are preformatted with core's formatters (the same text as
 * the CLI table); the words around them are the face's (localised there).
 */

export interface FleetSummary {
  nodes: number;
  reachable: number;
  unreachable: number;
  withAnomalies: number;
}

/** `ocm status --json`'s `summary` (only checked nodes count). */
export function fleetSummary(statuses: readonly NodeStatus[]): FleetSummary {
  return {
    nodes: statuses.length,
    reachable: statuses.filter((s) => s.reachable).length,
    unreachable: statuses.filter((s) => !s.reachable).length,
    withAnomalies: statuses.filter((s) => s.anomalies.length > 0).length,
  };
}

export type GaugeLevel = 'ok' | 'warning' | 'error';

export interface DashboardGauge {
  kind: 'load' | 'memory' | 'disk';
  /** Fill of the bar, 0..100. */
  pct: number;
  level: GaugeLevel;
  /** The number on the bar: `0.52`, `42%`. */
  value: string;
  /** Quantities for the face's sentence: load [cpus], memory [used, total], disk [free, mount point]. */
  args: string[];
}

export interface DashboardAgent {
  id: string;
  /** Sessions of this agent whose rows were read. */
  sessions: number;
  /** Highest known context-window use of its sessions (percent); absent when unknown. */
  contextPct?: number;
  /** `91k / 200k` tokens of that session. */
  tokens?: string;
  level: GaugeLevel;
}

export interface DashboardCard {
  nodeId: string;
  /** `user@host:port` as the registry has it (`local` for this machine). */
  target: string;
  health: NodeHealth;
  reason?: string;
  /** False until the node's first check finished. */
  checked: boolean;
  /** As the CLI's REACHABLE column: `yes`, `unreachable`, `auth failed`... */
  reachability: string;
  /** As the CLI's VERSION column; absent before a check. */
  version?: string;
  /** As the CLI's GATEWAY column: `ready`, `not ready`, `down`, `starting`, `-`. */
  gateway: string;
  gatewayPort?: number;
  /** Gateway uptime (`1d 2h`), when it answers. */
  gatewayUptime?: string;
  /** Machine uptime (`12d 3h`). */
  hostUptime?: string;
  agents: DashboardAgent[];
  /** Why agents or their context use are missing (config error, sessions not read while the gateway answers). */
  agentsNote?: string;
  /** Session rows were read (so an agent without a bar has no sessions, rather than unknown ones). */
  sessionsRead: boolean;
  gauges: DashboardGauge[];
  lastBackup?: { id: string; createdAt: string; ageMs: number; age: string; stale: boolean };
  problems: Anomaly[];
  checkedAt?: string;
}

export interface DashboardData {
  /** ISO time the view-model was made. */
  generatedAt: string;
  /** Newest check among the nodes. */
  checkedAt?: string;
  thresholdPct: number;
  summary: FleetSummary & { ready: number; notChecked: number };
  cards: DashboardCard[];
}

/** A node of the registry, in registry order (statuses may be missing for nodes not checked yet). */
export interface DashboardNode {
  id: string;
  host: string;
  user?: string;
  port?: number;
}

export interface DashboardInput {
  nodes: readonly DashboardNode[];
  statuses: readonly NodeStatus[];
  now: number;
  thresholdPct: number;
  /** A backup older than this is shown as stale (default 7 days). */
  staleBackupMs?: number;
}

export const DEFAULT_STALE_BACKUP_MS = 7 * 24 * 3600 * 1000;

export function dashboardData(input: DashboardInput): DashboardData {
  const byId = new Map(input.statuses.map((s) => [s.nodeId, s]));
  const cards = input.nodes.map((n) => cardOf(n, byId.get(n.id), input));
  const checked = input.nodes.map((n) => byId.get(n.id)).filter((s): s is NodeStatus => s !== undefined);
  const checkedAt = checked
    .map((s) => s.checkedAt)
    .sort()
    .pop();
  return {
    generatedAt: new Date(input.now).toISOString(),
    ...(checkedAt ? { checkedAt } : {}),
    thresholdPct: input.thresholdPct,
    summary: { ...fleetSummary(checked), ready: cards.filter((c) => c.health === 'ready').length, notChecked: input.nodes.length - checked.length },
    cards,
  };
}

function cardOf(node: DashboardNode, status: NodeStatus | undefined, input: DashboardInput): DashboardCard {
  const target = formatTarget(node);
  const { health, reason } = nodeHealth(status);
  const card: DashboardCard = {
    nodeId: node.id,
    target,
    health,
    checked: Boolean(status),
    reachability: status ? reachabilityLabel(status) : '-',
    gateway: status ? gatewayLabel(status) : '-',
    agents: [],
    sessionsRead: false,
    gauges: [],
    problems: status?.anomalies ?? [],
  };
  if (reason) card.reason = reason;
  if (!status) return card;
  card.checkedAt = status.checkedAt;
  if (status.openclaw) card.version = versionLabel(status);
  const gw = status.gateway;
  if (gw) card.gatewayPort = gw.port;
  else if (status.openclaw) card.gatewayPort = status.openclaw.gatewayPort;
  if (gw?.live && gw.uptimeMs !== undefined) card.gatewayUptime = formatDuration(gw.uptimeMs);
  if (status.hostFacts?.uptimeSec !== undefined) card.hostUptime = formatDuration(status.hostFacts.uptimeSec * 1000);
  card.agents = agentsOf(status);
  const source = status.sessions?.source;
  card.sessionsRead = source === 'sessions.json' || source === 'gateway-rpc' || source === 'openclaw-cli';
  // With the gateway down the problems say it; "sessions not read" would only repeat it.
  const note = status.agents?.configError?.message ?? (health === 'ready' || health === 'notReady' ? status.sessions?.note : undefined);
  if (note) card.agentsNote = note;
  card.gauges = gaugesOf(status);
  if (status.lastBackup) {
    const ageMs = Math.max(0, input.now - Date.parse(status.lastBackup.createdAt));
    card.lastBackup = {
      id: status.lastBackup.id,
      createdAt: status.lastBackup.createdAt,
      ageMs,
      age: formatDuration(ageMs),
      stale: ageMs > (input.staleBackupMs ?? DEFAULT_STALE_BACKUP_MS),
    };
  }
  return card;
}

function agentsOf(status: NodeStatus): DashboardAgent[] {
  const rows = status.sessions?.rows ?? [];
  return (status.agents?.ids ?? []).map((id) => {
    const own = rows.filter((r) => r.agentId === id);
    // Rows are sorted by usage, highest first: the first known one is the fullest window.
    const top = own.find((r) => r.usedPct !== undefined);
    const agent: DashboardAgent = { id, sessions: own.length, level: top?.overThreshold ? 'warning' : 'ok' };
    if (top?.usedPct !== undefined) agent.contextPct = top.usedPct;
    if (top?.totalTokens !== undefined && top.contextTokens !== undefined) agent.tokens = `${tokens(top.totalTokens)} / ${tokens(top.contextTokens)}`;
    return agent;
  });
}

function gaugesOf(status: NodeStatus): DashboardGauge[] {
  const h = status.hostFacts;
  if (!h) return [];
  const gauges: DashboardGauge[] = [];
  if (h.load1 !== undefined) {
    const pct = h.cpus ? (h.load1 / h.cpus) * 100 : Math.min(100, h.load1 * 100);
    gauges.push({
      kind: 'load',
      pct: clamp(pct),
      level: pct > 100 ? 'warning' : 'ok',
      value: h.load1.toFixed(2),
      args: [h.cpus !== undefined ? String(h.cpus) : '?'],
    });
  }
  if (h.memUsedPct !== undefined) {
    const used = h.memTotalBytes !== undefined && h.memAvailableBytes !== undefined ? formatBytes(h.memTotalBytes - h.memAvailableBytes) : '?';
    gauges.push({
      kind: 'memory',
      pct: clamp(h.memUsedPct),
      level: h.memUsedPct > 90 ? 'warning' : 'ok',
      value: pctLabel(h.memUsedPct),
      args: [used, h.memTotalBytes !== undefined ? formatBytes(h.memTotalBytes) : '?'],
    });
  }
  if (h.disk) {
    gauges.push({
      kind: 'disk',
      pct: clamp(h.disk.usedPct),
      level: h.disk.usedPct > DISK_ALMOST_FULL_PCT ? 'warning' : 'ok',
      value: pctLabel(h.disk.usedPct),
      args: [formatBytes(h.disk.availableBytes), h.disk.mountPoint],
    });
  }
  return gauges;
}

/** 91_234 → `91k`, 1_200_000 → `1.2M`, 950 → `950`. */
export function tokens(n: number): string {
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(n >= 10_000_000 ? 0 : 1)}M`;
  if (n >= 1000) return `${Math.round(n / 1000)}k`;
  return String(n);
}

function clamp(pct: number): number {
  return Math.max(0, Math.min(100, Math.round(pct * 10) / 10));
}
