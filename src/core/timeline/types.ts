/**
 * The memory timeline's data: every version of one agent file that ocm knows, from the snapshot
 * repository and from the safe-save history, merged by content (see merge.ts).
 */

import type { HistoryReason } from '../history/store';

/** Where ocm saw one version: a snapshot, or a history entry of the given reason. */
export type VersionSourceKind = 'snapshot' | HistoryReason;

export interface VersionSource {
  kind: VersionSourceKind;
  /** When it was seen (snapshot taken, history entry stored), ms since the epoch. */
  timeMs: number;
  /** Snapshot id (kind `snapshot`). */
  snapshotId?: string;
  /** History entry id (every other kind). */
  historyId?: string;
  /** The face that saved it (kind `saved`, when recorded). */
  via?: 'vscode' | 'cli';
}

/**
 * Who put this content on the node, as far as ocm can tell:
 * - `saved`: a save through ocm (VS Code or the CLI; `via` says which when recorded);
 * - `agent`: content that appeared in a snapshot and was never saved by ocm — someone else (the
 *   agent itself, dreaming, a memory flush) changed the file between two snapshots;
 * - `pre-edit`: content first found on the node right before an ocm save or restore, never saved
 *   by ocm (also written outside ocm, noticed at save time);
 * - `snapshot`: the oldest version ocm knows, first seen in a snapshot (nothing to compare with).
 */
export type VersionOrigin = 'saved' | 'agent' | 'pre-edit' | 'snapshot';

export interface LineStats {
  added: number;
  removed: number;
}

export interface TimelineVersion {
  /** 1 = the oldest version; stable as newer versions arrive (`ocm timeline --show 3`). */
  n: number;
  sha256: string;
  size: number;
  /** First time this content was seen in this run of versions. */
  timeMs: number;
  /** Last time it was still seen before the next version. */
  lastSeenMs: number;
  origin: VersionOrigin;
  via?: 'vscode' | 'cli';
  /** Every place it was seen, oldest first (content deduplicated: one version, many sources). */
  sources: VersionSource[];
  /** Line changes against the previous (older) version; undefined for the oldest. */
  diff?: LineStats;
  /** Set when the same bytes were an earlier version too (a restore, an undo): that version's n. */
  sameAs?: number;
}

export interface Timeline {
  nodeId: string;
  remotePath: string;
  /** Newest first. */
  versions: TimelineVersion[];
}

/** One sighting of the file's content, before merging. */
export interface Observation {
  sha256: string;
  size: number;
  source: VersionSource;
}
