import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { entryObjects, type Snapshot } from './format';
import { PackWriter, packPath, PARTIAL_PACK, readRange, type PackBlob } from './packs';
import type { Repository } from './repository';
import { applyRetention, type RetentionPolicy } from './retention';

/**
 * `ocm prune`: forget the snapshots a retention policy does not keep, then collect garbage —
 * packs with no live object are deleted, packs that are mostly garbage are repacked (their live
 * objects copied as stored into new packs). Runs under the exclusive lock, so no backup is
 * running: nothing a running backup references can go. Order: snapshot documents, new packs,
 * one new index that supersedes all others, then old index files and packs.
 */

export interface PruneReport {
  dryRun: boolean;
  removed: Snapshot[];
  kept: Array<{ snapshot: Snapshot; reasons: string[] }>;
  packsDeleted: number;
  packsRepacked: number;
  /** Bytes of pack files freed (for dry runs: that would be freed). */
  bytesFreed: number;
  bytesBefore: number;
}

/** Packs whose live bytes are below this fraction are rewritten. */
const REPACK_BELOW = 0.5;

export async function pruneRepository(
  repo: Repository,
  options: { policy: RetentionPolicy; nodeId?: string; dryRun?: boolean; signal?: AbortSignal },
): Promise<PruneReport> {
  const dryRun = Boolean(options.dryRun);
  const lock = dryRun ? undefined : await repo.lock({ exclusive: true, purpose: 'prune', waitMs: 30_000, signal: options.signal });
  try {
    const all = await repo.listSnapshots();
    const scope = options.nodeId ? all.filter((s) => s.nodeId === options.nodeId) : all;
    const decision = applyRetention(scope, options.policy);
    const removedIds = new Set(decision.remove.map((s) => `${s.nodeId}/${s.id}`));
    const survivors = all.filter((s) => !removedIds.has(`${s.nodeId}/${s.id}`));
    await repo.objects.load();
    const live = new Set<string>();
    for (const s of survivors) {
      for (const id of s.tree) live.add(id);
      for (const e of await repo.readEntries(s)) for (const id of entryObjects(e)) live.add(id);
    }
    const packs = new Map<string, { live: PackBlob[]; liveBytes: number; totalBytes: number }>();
    for (const [id, loc] of repo.objects.entries()) {
      const p = packs.get(loc.pack) ?? { live: [], liveBytes: 0, totalBytes: 0 };
      p.totalBytes += loc.length;
      if (live.has(id)) {
        p.live.push([id, loc.offset, loc.length, loc.rawLength, loc.codec]);
        p.liveBytes += loc.length;
      }
      packs.set(loc.pack, p);
    }
    const sizes = new Map<string, number>();
    for (const pack of packs.keys()) sizes.set(pack, (await fs.stat(packPath(repo.root, pack)).catch(() => undefined))?.size ?? 0);
    const bytesBefore = [...sizes.values()].reduce((a, b) => a + b, 0);
    const dead = [...packs].filter(([, p]) => p.live.length === 0).map(([k]) => k);
    const repack = [...packs].filter(([, p]) => p.live.length > 0 && p.liveBytes < p.totalBytes * REPACK_BELOW).map(([k]) => k);
    const freed = dead.reduce((n, k) => n + (sizes.get(k) ?? 0), 0) + repack.reduce((n, k) => n + (sizes.get(k) ?? 0) - packs.get(k)!.liveBytes, 0);
    const report: PruneReport = {
      dryRun,
      removed: decision.remove,
      kept: decision.keep,
      packsDeleted: dead.length,
      packsRepacked: repack.length,
      bytesFreed: Math.max(0, freed),
      bytesBefore,
    };
    if (dryRun) return report;

    for (const s of decision.remove) await repo.removeSnapshot(s);
    const writer = new PackWriter(repo.root);
    for (const pack of repack) {
      for (const [id, offset, length, rawLength, codec] of packs.get(pack)!.live) {
        await writer.addEncoded(id, await readRange(packPath(repo.root, pack), offset, length), rawLength, codec);
      }
    }
    const written = await writer.finish();
    const gone = new Set([...dead, ...repack]);
    const keptPacks = [...packs].filter(([k, p]) => !gone.has(k) && p.live.length > 0).map(([pack, p]) => ({ pack, blobs: p.live }));
    const oldIndexes = repo.objects.indexNames;
    await repo.objects.publishIndex([...keptPacks, ...written], oldIndexes);
    for (const n of oldIndexes) await fs.rm(join(repo.objects.indexDir, `${n}.json`), { force: true });
    for (const pack of gone) await fs.rm(packPath(repo.root, pack), { force: true });
    await removeLeftovers(repo.root);
    await repo.objects.load();
    return report;
  } finally {
    await lock?.release();
  }
}

/** Partial packs and temp files of interrupted writers (none can be running under the exclusive lock). */
async function removeLeftovers(root: string): Promise<void> {
  for (const dir of [join(root, 'packs'), join(root, 'index')]) {
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const n of names) if (PARTIAL_PACK.test(n) || /^\..*\.tmp$/.test(n)) await fs.rm(join(dir, n), { force: true });
  }
}
