/** The memory timeline: every version of an agent file ocm knows (snapshots + history), merged by content. */
export { buildTimeline, findVersion, type TimelineParams, type TimelineReader } from './collect';
export { lineStats } from './line-stats';
export { mergeObservations } from './merge';
export { restoreTimelineVersion, type RestoreVersionParams } from './restore';
export type { LineStats, Observation, Timeline, TimelineVersion, VersionOrigin, VersionSource, VersionSourceKind } from './types';
