import type { BackupStore } from '../backup/store';
import { OcmError } from '../errors';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { historyRoot, isHistoryId, listHistory, readHistoryEntry, sha256Hex } from '../history/store';
import type { SnapshotEntry } from '../repository/format';
import { lineStats } from './line-stats';
import { mergeObservations } from './merge';
import type { Observation, Timeline, TimelineVersion, VersionSource } from './types';

/**
 * Builds one file's timeline from what ocm keeps locally — no node is contacted: every snapshot of
 * the node in the repository (its entry list names each file's sha256, so equal content is known
 * without reading it) and every history entry of the path. Content is read once per distinct
 * sha256 (for line stats), from the history when it has the bytes, else from the repository.
 */

export interface TimelineParams {
  home: string;
  /** The snapshot repository; without it only the history is used. */
  store?: BackupStore;
  nodeId: string;
  remotePath: string;
  signal?: AbortSignal;
}

/** Reads the bytes of any version of a timeline (each checked against its sha256). */
export interface TimelineReader {
  read(version: Pick<TimelineVersion, 'sha256' | 'sources' | 'n'>): Promise<Buffer>;
}

export async function buildTimeline(p: TimelineParams): Promise<Timeline & TimelineReader> {
  const observations: Observation[] = [];
  const snapshotEntries = new Map<string, SnapshotEntry>();
  if (p.store) {
    const repo = await p.store.repository();
    for (const snap of await repo.listSnapshots(p.nodeId)) {
      if (p.signal?.aborted) throw new OcmError('cancelled', `Building the timeline of ${p.remotePath} was cancelled.`);
      const entry = (await repo.readEntries(snap)).find((e) => e.path === p.remotePath);
      if (!entry || (entry.type !== 'file' && entry.type !== 'hardlink')) continue;
      const sha256 = entry.sha256 ?? sha256Hex(await repo.readContent(entry));
      snapshotEntries.set(snap.id, entry);
      observations.push({ sha256, size: entry.size, source: { kind: 'snapshot', timeMs: Date.parse(snap.createdAt), snapshotId: snap.id } });
    }
  }
  for (const h of await listHistory(p.home, p.nodeId, p.remotePath)) {
    observations.push({ sha256: h.sha256, size: h.size, source: { kind: h.reason, timeMs: h.timeMs, historyId: h.id, ...(h.via ? { via: h.via } : {}) } });
  }

  const cache = new Map<string, Promise<Buffer>>();
  const read = (version: Pick<TimelineVersion, 'sha256' | 'sources' | 'n'>): Promise<Buffer> => {
    let pending = cache.get(version.sha256);
    if (!pending) {
      pending = readFrom(p, snapshotEntries, version);
      cache.set(version.sha256, pending);
      pending.catch(() => cache.delete(version.sha256));
    }
    return pending;
  };

  const merged = mergeObservations(observations);
  // Contents for the line stats, read in parallel (a few at a time), once per distinct sha256.
  const texts = new Array<string | undefined>(merged.length);
  let next = 0;
  const worker = async () => {
    while (next < merged.length) {
      const i = next++;
      texts[i] = (await read(merged[i]!).catch(() => undefined))?.toString('utf8');
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, merged.length) }, worker));
  const versions: TimelineVersion[] = [];
  let previous: string | undefined;
  for (const [i, v] of merged.entries()) {
    const text = texts[i];
    const version: TimelineVersion = { ...v };
    if (previous !== undefined && text !== undefined) version.diff = lineStats(previous, text);
    versions.push(version);
    if (text !== undefined) previous = text;
  }
  return { nodeId: p.nodeId, remotePath: p.remotePath, versions: versions.reverse(), read };
}

async function readFrom(p: TimelineParams, entries: Map<string, SnapshotEntry>, version: Pick<TimelineVersion, 'sha256' | 'sources' | 'n'>): Promise<Buffer> {
  // History first (a plain local file), then snapshots.
  const ordered: VersionSource[] = [...version.sources.filter((s) => s.historyId), ...version.sources.filter((s) => s.snapshotId)];
  let lastError: unknown;
  for (const s of ordered) {
    try {
      if (s.historyId) {
        // The entry's bytes directly (its metadata was read by listHistory already), checked by hash.
        const data = isHistoryId(s.historyId)
          ? await readFile(join(historyRoot(p.home), ...s.historyId.split('/')) + '.data').catch(() => undefined)
          : undefined;
        if (data && sha256Hex(data) === version.sha256) return data;
        return (await readHistoryEntry(p.home, s.historyId)).content;
      }
      const entry = s.snapshotId ? entries.get(s.snapshotId) : undefined;
      if (entry && p.store) {
        const content = await (await p.store.repository()).readContent(entry);
        if (sha256Hex(content) === version.sha256) return content;
      }
    } catch (e) {
      lastError = e;
    }
  }
  throw new OcmError(
    'notFound',
    `Version ${version.n} of ${p.remotePath} (sha256 ${version.sha256.slice(0, 12)}) cannot be read from the history or the backup repository any more (pruned?). Pick another version.`,
    { nodeId: p.nodeId, remotePath: p.remotePath, n: version.n },
    { cause: lastError },
  );
}

/** A version by its number (`3`, `#3`), `latest`, or a sha256 prefix of at least 6 hex digits. */
export function findVersion(timeline: Timeline, ref: string): TimelineVersion {
  const r = ref.trim().replace(/^#/, '');
  let found: TimelineVersion | undefined;
  if (r === 'latest') found = timeline.versions[0];
  else if (/^\d+$/.test(r)) found = timeline.versions.find((v) => v.n === Number(r));
  else if (/^[0-9a-f]{6,64}$/i.test(r)) {
    const matches = timeline.versions.filter((v) => v.sha256.startsWith(r.toLowerCase()));
    // The same bytes can be several versions (restored later): the newest one.
    found = matches[0];
  }
  if (!found) {
    throw new OcmError(
      'notFound',
      `${timeline.remotePath} on ${timeline.nodeId} has no version "${ref}" (versions 1–${timeline.versions.length}). List them with "ocm timeline ${timeline.nodeId} ${timeline.remotePath}".`,
      { ref, usage: true },
    );
  }
  return found;
}
