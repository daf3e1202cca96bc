import type { Observation, TimelineVersion, VersionOrigin, VersionSourceKind } from './types';

/**
 * Merges sightings of a file (snapshots and history entries) into versions, oldest to newest:
 * sightings in time order, consecutive sightings of the same bytes are one version (a snapshot
 * that saw what a save wrote adds a source, not a version). The same bytes coming back later (a
 * restore, an undo) are a new version marked `sameAs` the earlier one: the timeline shows that
 * the file went back, not a reordered past. Pure: no I/O (collect.ts gathers, line stats come later).
 */

/** Copies taken before a write sort before the write at the same instant. */
function rank(kind: VersionSourceKind): number {
  return kind === 'saved' ? 3 : kind === 'snapshot' ? 2 : kind === 'changed-during-save' ? 1 : 0;
}

export function mergeObservations(observations: readonly Observation[]): Omit<TimelineVersion, 'diff'>[] {
  const sorted = [...observations].sort((x, y) => x.source.timeMs - y.source.timeMs || rank(x.source.kind) - rank(y.source.kind));
  const versions: Omit<TimelineVersion, 'diff'>[] = [];
  const firstBySha = new Map<string, number>();
  for (const o of sorted) {
    const last = versions[versions.length - 1];
    if (last && last.sha256 === o.sha256) {
      last.sources.push(o.source);
      last.lastSeenMs = Math.max(last.lastSeenMs, o.source.timeMs);
      continue;
    }
    const n = versions.length + 1;
    const earlier = firstBySha.get(o.sha256);
    if (earlier === undefined) firstBySha.set(o.sha256, n);
    versions.push({
      n,
      sha256: o.sha256,
      size: o.size,
      timeMs: o.source.timeMs,
      lastSeenMs: o.source.timeMs,
      origin: 'snapshot',
      sources: [o.source],
      ...(earlier !== undefined ? { sameAs: earlier } : {}),
    });
  }
  for (const v of versions) {
    v.origin = originOf(v, v.n === 1);
    const saved = v.sources.find((s) => s.kind === 'saved' && s.via);
    if (saved?.via) v.via = saved.via;
  }
  return versions;
}

function originOf(v: Pick<TimelineVersion, 'sources'>, oldest: boolean): VersionOrigin {
  if (v.sources.some((s) => s.kind === 'saved')) return 'saved';
  const inSnapshot = v.sources.some((s) => s.kind === 'snapshot');
  if (oldest) return v.sources[0]!.kind === 'snapshot' ? 'snapshot' : 'pre-edit';
  return inSnapshot ? 'agent' : 'pre-edit';
}
