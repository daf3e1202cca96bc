import type { MixupFinding } from '../guard/check';

/** Shapes of a bulk apply: what to change, the computed plan, and the recorded batch. */

export type BulkChange =
  /** Replace the whole file with this content. */
  | { mode: 'template'; content: Buffer }
  /** Replace the section under a Markdown heading (`## Tools` or `Tools`). */
  | { mode: 'replaceSection'; heading: string; content: Buffer }
  /** Append these lines at the end. */
  | { mode: 'append'; content: Buffer };

/**
 * Why a target is left out of the batch:
 * headingMissing / headingAmbiguous: the section to replace is not there / there more than once;
 * fileMissing: nothing to replace a section in or append to; notText: not UTF-8 text;
 * unreachable: the node or its agents could not be read (message says why);
 * noWorkspace: the agent has no workspace folder yet.
 */
export type BlockReason = 'headingMissing' | 'headingAmbiguous' | 'fileMissing' | 'notText' | 'unreachable' | 'noWorkspace';

export interface PlannedFile {
  nodeId: string;
  agentId: string;
  /** Absolute path on the node. */
  path: string;
  action: 'update' | 'create' | 'unchanged' | 'blocked';
  reason?: BlockReason;
  /** Human detail for a blocked target (English; faces render `reason` in their language). */
  message?: string;
  /** The node's bytes when planned (undefined: the file does not exist). */
  before?: Buffer;
  beforeSha256?: string;
  /** The resulting bytes (for update / create / unchanged). */
  after?: Buffer;
  afterSha256?: string;
  /** Set by guardPlan when the mix-up guard flags this write: what matched, of which agent, where. */
  mixup?: MixupFinding[];
}

export interface BulkPlan {
  /** Relative path inside each workspace (`SOUL.md`, `memory/notes.md`). */
  fileName: string;
  change: BulkChange;
  files: PlannedFile[];
  /** Set once the mix-up guard looked at the plan (guardPlan): guarded writes checked, flagged. */
  guard?: { checked: number; flagged: number };
}

export interface BatchFile {
  nodeId: string;
  agentId: string;
  path: string;
  created: boolean;
  /** Pre-edit copy in the history (undefined for a created file). */
  backupId?: string;
  beforeSha256?: string;
  /** What the batch wrote. */
  savedSha256: string;
  /** Set once Undo put this file back (or removed the created file). */
  undoneAt?: string;
}

export type BatchStatus = 'applying' | 'applied' | 'rolledBack' | 'rollbackIncomplete' | 'undone' | 'partlyUndone';

/** One bulk apply as recorded in <ocm home>/bulk (owner-only), for "Undo Last Bulk Apply". */
export interface BatchRecord {
  id: string;
  createdAt: string;
  fileName: string;
  mode: BulkChange['mode'];
  heading?: string;
  status: BatchStatus;
  files: BatchFile[];
  /** Targets planned but not written (blocked or unchanged), for the record. */
  skipped: { nodeId: string; agentId: string; path: string; reason: string }[];
  /** Files the mix-up guard flagged and the operator applied anyway (the batch's override). */
  mixupOverride?: { nodeId: string; agentId: string; path: string }[];
  error?: { nodeId: string; path: string; kind: string; message: string };
}
