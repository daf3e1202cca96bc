/**
 * What `ocm doctor` reports: findings for the whole fleet, each with a severity and the command
 * that fixes it. Checks are pure functions of the gathered facts (checks/*.ts), so each is
 * unit-tested with plain values; gather.ts is the only part that talks to nodes.
 */
import type { AgentInfo } from '../openclaw/agents';
import type { NodeStatus } from '../status/types';

export type Severity = 'error' | 'warning' | 'info';

export type FindingCode =
  | 'unreachable'
  | 'gatewayDown'
  | 'gatewayNotReady'
  | 'tokenStale'
  | 'tokenUnknownGateway'
  | 'unitToken'
  | 'unitTokenStale'
  | 'envTokenStale'
  | 'workspaceMissing'
  | 'workspaceShared'
  | 'memoryTooLarge'
  | 'sessionOverflow'
  | 'sessionOverThreshold'
  | 'noBackup'
  | 'backupOld'
  | 'versionsDiffer';

export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** The node the finding is about (absent for fleet-wide findings). */
  nodeId?: string;
  agentId?: string;
  /** English, one line: what is wrong. (Faces show the localized text from `code` + `params`.) */
  message: string;
  /** The command that fixes it, when there is one. */
  fix?: string;
  /** Values the message is made of (never secrets), for the faces' translations. */
  params: Record<string, string | number>;
}

/** A MEMORY.md (or other bootstrap file) as the facts script saw it. */
export interface MemoryFileFact {
  agentId: string;
  path: string;
  /** Characters (UTF-8 code points) when the file is over the byte limit; else bytes (an upper bound). */
  chars: number;
  limit: number;
}

/** What was read from one node for the checks (tokens only as comparison results, never values). */
export interface NodeFacts {
  nodeId: string;
  host: string;
  status: NodeStatus;
  gatewayPort?: number;
  /** The node's agents with their workspaces (from the config). */
  agents: Array<Pick<AgentInfo, 'id' | 'workspace'>>;
  /** Agent id → workspace folder exists. */
  workspaceExists: Record<string, boolean>;
  memory: MemoryFileFact[];
  tokens?: TokenFacts;
  /** ISO time of the newest backup of the node in the snapshot repository. */
  lastBackupAt?: string;
}

/**
 * Token facts. The values themselves are kept out of reports: `authToken` and `remoteToken` are
 * digests (sha256, first 16 hex) that checks compare, never print.
 */
export interface TokenFacts {
  authDigest?: string;
  remoteDigest?: string;
  remoteUrl?: string;
  /** Parsed gateway.remote.url. */
  remote?: { host: string; port: number };
  unitPath?: string;
  /** Digests of OPENCLAW_GATEWAY_TOKEN values in the systemd unit. */
  unitDigests: string[];
  envPath?: string;
  envDigest?: string;
}

export interface DoctorOptions {
  /** A node without a backup newer than this is reported (default 7 days). */
  backupMaxAgeMs?: number;
  now?: number;
}

export interface DoctorReport {
  checkedAt: string;
  nodes: string[];
  findings: Finding[];
  summary: { errors: number; warnings: number; infos: number };
  /** False when any finding is an error (the CLI then exits 1). */
  ok: boolean;
  durationMs: number;
}
