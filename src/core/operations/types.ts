/**
 * An operation (restore, restart, migrate) is a PLAN first: what it will change on a node, shown by
 * both faces (CLI summary / --json, VS Code multi-file diff), and only a confirmed plan is applied.
 */

/** The content of one side of a planned file: enough to compare without reading bytes. */
export interface PlannedContent {
  sha256: string;
  size: number;
  /** Permission bits (e.g. 0o600). */
  mode: number;
}

/**
 * One file the operation writes or deletes on the node (absolute path there).
 * `before` = the live file when the plan was made (absent for `create`); `after` = what the
 * operation puts there (absent for `delete`). The faces get the bytes of each side with
 * `readPlannedBefore` (live node) and `readPlannedAfter` (the plan's content source).
 */
export interface PlannedFile {
  path: string;
  action: 'create' | 'update' | 'delete';
  before?: PlannedContent;
  after?: PlannedContent;
  /** Only the permission bits differ. */
  modeOnly?: boolean;
  /** The agent whose workspace holds the file, when known. */
  agentId?: string;
}

/** A rewrite of a config value the operation makes (migrate: paths, port, token). */
export interface ConfigRewrite {
  /** The config file on the node. */
  path: string;
  /** Dotted key, e.g. `gateway.port`. */
  key: string;
  /** Printable values (secrets shown as `<redacted>`). */
  before?: string;
  after?: string;
  description: string;
}

/** A service step of the plan (stop/start gateway, swap trees, doctor, validate...), for display. */
export interface PlannedStep {
  id: string;
  description: string;
}

/** Where a plan's "after" bytes come from. */
export type PlanContentSource = { kind: 'backup'; repositoryRoot: string; backupId: string; nodeId: string } | { kind: 'none' };

export interface OperationPlan {
  operation: 'restore' | 'restart' | 'migrate' | 'tokenRotate';
  nodeId: string;
  /** ISO-8601 UTC. */
  createdAt: string;
  /** One line for people: "restore 2 files of agent work from node1/2026-...". */
  summary: string;
  files: PlannedFile[];
  /** Files of the compared set that are already identical (not listed). */
  unchanged: number;
  configRewrites: ConfigRewrite[];
  steps: PlannedStep[];
  source: PlanContentSource;
  warnings: string[];
}

/** What happened to one applied step. */
export interface StepReport {
  id: string;
  description: string;
  status: 'done' | 'failed' | 'undone' | 'undoFailed' | 'notUndone';
  durationMs: number;
  /** Failure message (of the step, or of its undo). */
  error?: string;
  /** What the step produced that the user may want to know (e.g. where the old tree was kept). */
  note?: string;
}

/** Reference to the safety backup taken before any change. */
export interface SafetyBackupRef {
  nodeId: string;
  backupId: string;
  /** The backup repository that holds it. */
  repositoryRoot: string;
  engine: 'openclaw' | 'ocm';
}

/** Progress of an apply, for the faces' progress UI. */
export type ApplyProgress =
  | { phase: 'safetyBackup' }
  | { phase: 'step'; stepId: string; description: string; index: number; total: number }
  | { phase: 'rollback'; stepId: string; description: string }
  | { phase: 'done'; ok: boolean };

export interface ApplyResult {
  ok: boolean;
  plan: OperationPlan;
  safetyBackup?: SafetyBackupRef;
  steps: StepReport[];
  /** The first failure (apply stops there). */
  /** `mixup`: the mix-up guard refused a memory file (another agent's text); the message names what matched. */
  error?: { kind: string; message: string; step?: string; mixup?: boolean };
  /** True when a failure was rolled back completely (every completed step undone). */
  rolledBack: boolean;
  /** Undo failures: the node may NOT be as it was; each says what to do. */
  rollbackErrors: string[];
  /** Things the user should know (old tree kept at..., warnings from steps). */
  notes: string[];
  durationMs: number;
}
