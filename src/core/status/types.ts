import type { OcmErrorKind } from '../errors';
import type { Supervisor } from '../openclaw/locate';

/**
 * What `nodeStatus` reports about one node. This is also the `--json` shape of `ocm status`
 * (one element of `nodes[]`): fields are only added, never renamed. Absent fields mean "not
 * known" (the step that would have found them did not run or failed), never "zero".
 */
export interface NodeStatus {
  nodeId: string;
  /** Registry host (`local` for this machine). */
  host: string;
  /** ISO time the check started. */
  checkedAt: string;
  durationMs: number;
  /** True when a command ran on the node. */
  reachable: boolean;
  /** Why the node could not be reached (or why the check stopped early). */
  error?: StatusError;
  openclaw?: OpenclawStatus;
  gateway?: GatewayStatus;
  agents?: AgentsStatus;
  hostFacts?: HostFacts;
  sessions?: SessionsStatus;
  /** The newest backup of this node in the local backup repository (absent: none, or not looked up). */
  lastBackup?: LastBackup;
  /** Everything a human should look at, most severe first. Empty when all is well. */
  anomalies: Anomaly[];
}

/** Kinds a connection problem is reported as (subset of OcmErrorKind plus the rest as-is). */
export interface StatusError {
  kind: OcmErrorKind;
  message: string;
  details?: Record<string, unknown>;
}

export interface LastBackup {
  id: string;
  /** ISO time the backup was taken. */
  createdAt: string;
  /** Age when the status was put together. */
  ageMs: number;
}

export interface OpenclawStatus {
  installed: boolean;
  /** Why OpenClaw is considered not installed (where we looked). */
  reason?: string;
  version?: string;
  bin?: string;
  stateDir: string;
  stateDirExists: boolean;
  configPath: string;
  configExists: boolean;
  gatewayPort: number;
  gatewayPortSource: string;
  supervisor: Supervisor;
  supervisorUnit?: string;
}

export interface GatewayStatus {
  port: number;
  /** The gateway answered HTTP on its port (any status). */
  live: boolean;
  /** `/readyz` said ready (HTTP 200 and `ready: true`). */
  ready: boolean;
  /** Failing readiness checks from `/readyz` (e.g. `agent-database:main`). */
  failing: string[];
  /** `/startupz` status: `started`, `starting`, `draining`. */
  startup?: string;
  /** Gateway version from `/startupz`. */
  version?: string;
  uptimeMs?: number;
  /** Why the gateway could not be asked (connection refused, timeout...). */
  error?: string;
}

export interface AgentsStatus {
  count: number;
  ids: string[];
  /** Set when openclaw.json could not be read or parsed (then count is 0). */
  configError?: StatusError;
}

export interface HostFacts {
  /** `uname -s`: Linux, Darwin... */
  os?: string;
  cpus?: number;
  load1?: number;
  load5?: number;
  load15?: number;
  uptimeSec?: number;
  memTotalBytes?: number;
  memAvailableBytes?: number;
  /** (total - available) / total, 0..100. */
  memUsedPct?: number;
  /** The filesystem that holds the state dir. */
  disk?: DiskUsage;
}

export interface DiskUsage {
  mountPoint: string;
  filesystem: string;
  totalBytes: number;
  usedBytes: number;
  availableBytes: number;
  /** As `df` computes it: used / (used + available), 0..100. */
  usedPct: number;
}

export interface SessionsStatus {
  /**
   * Where the rows came from; `gateway-rpc` = the running gateway's `sessions.list` (2026.9+, the
   * default there); `skipped` = not read (opted out, or SQLite era without RPC and without `includeSessions`).
   */
  source: 'sessions.json' | 'gateway-rpc' | 'openclaw-cli' | 'skipped' | 'unavailable';
  /** Threshold (percent) used for `overThreshold`. */
  thresholdPct: number;
  rows: SessionUsage[];
  /** Why the rows are missing or incomplete. */
  note?: string;
}

export interface SessionUsage {
  agentId: string;
  key: string;
  sessionId?: string;
  model?: string;
  updatedAt?: number;
  totalTokens?: number;
  contextTokens?: number;
  /** totalTokens / contextTokens in percent, only when the count is fresh; otherwise absent (unknown). */
  usedPct?: number;
  /** False when OpenClaw marked totalTokens stale (or of an old counting version): usage unknown. */
  fresh: boolean;
  overThreshold: boolean;
  /** Last completed run or input (ms since the epoch), when the source says. */
  lastActivityAt?: number;
  /** True while a turn runs (gateway `hasActiveRun`); absent when the source cannot tell. */
  active?: boolean;
  /** Transcript size in bytes, when it was measured (sessions.json era: the JSONL file; RPC: on listing). */
  transcriptBytes?: number;
  /** Growth from successive checks (src/core/sessions/predict.ts); absent until two fresh samples exist. */
  growthTokensPerHour?: number;
  /** Hours until totalTokens reaches contextTokens at the current rate (only when growing). */
  hoursToWindow?: number;
  /** hoursToWindow is under the warning setting (`openclaw.sessions.warnHours`, default 6). */
  predictedOverflow?: boolean;
}

export type AnomalyKind =
  | 'unreachable'
  | 'notInstalled'
  | 'gatewayDown'
  | 'gatewayNotReady'
  | 'configBroken'
  | 'contextOverThreshold'
  | 'contextPredictedOverflow'
  | 'diskAlmostFull'
  | 'checkIncomplete';

export interface Anomaly {
  kind: AnomalyKind;
  severity: 'error' | 'warning';
  /** One line for humans: what is wrong (and what to do when we know). */
  message: string;
}
