import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { entryObjects, type Snapshot } from './format';
import { listLocks } from './lock';
import { packPath, PARTIAL_PACK, readBlob, readPackTrailer } from './packs';
import type { Repository } from './repository';
import { unreadableSnapshotFiles } from './snapshots';

/**
 * `ocm check [--read-data]`: the structure (config, packs against the index, pack trailers),
 * every snapshot's references (entry list and file objects exist), and with `readData` every
 * object's content against its hash. Names each damaged snapshot and file.
 */

export interface CheckProblem {
  kind: 'pack-missing' | 'pack-damaged' | 'object-missing' | 'object-damaged' | 'snapshot-unreadable' | 'tree-damaged' | 'stale-lock';
  message: string;
  pack?: string;
  object?: string;
  snapshot?: string;
  path?: string;
}

export interface CheckResult {
  ok: boolean;
  snapshots: number;
  packs: number;
  objects: number;
  readData: boolean;
  problems: CheckProblem[];
  /** Damaged snapshots (node/id) with the files in each that cannot be restored. */
  damaged: Array<{ snapshot: string; files: string[] }>;
  /** Leftovers of interrupted backups (partial packs), removed by prune. */
  partialPacks: number;
}

export async function checkRepository(
  repo: Repository,
  options: { readData?: boolean; snapshots?: Snapshot[]; signal?: AbortSignal } = {},
): Promise<CheckResult> {
  await repo.objects.load();
  const problems: CheckProblem[] = [];
  const packs = new Map<string, Set<string>>();
  for (const [id, loc] of repo.objects.entries()) {
    const set = packs.get(loc.pack) ?? new Set<string>();
    set.add(id);
    packs.set(loc.pack, set);
  }
  const badObjects = new Set<string>();
  for (const [pack, ids] of packs) {
    try {
      const trailer = await readPackTrailer(packPath(repo.root, pack));
      const declared = new Map(trailer.map((b) => [b[0], b]));
      for (const id of ids) {
        const loc = repo.objects.location(id)!;
        const t = declared.get(id);
        if (!t || t[1] !== loc.offset || t[2] !== loc.length) {
          badObjects.add(id);
          problems.push({
            kind: 'object-damaged',
            object: id,
            pack,
            message: `Object ${id.slice(0, 12)} is not where the index says in pack ${pack.slice(0, 12)}.`,
          });
        }
      }
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      for (const id of ids) badObjects.add(id);
      problems.push({
        kind: missing ? 'pack-missing' : 'pack-damaged',
        pack,
        message: `Pack ${pack.slice(0, 12)} ${missing ? 'is missing' : `is damaged (${(e as Error).message})`}: ${ids.size} objects affected.`,
      });
    }
  }
  if (options.readData) {
    for (const [id, loc] of repo.objects.entries()) {
      if (options.signal?.aborted) break;
      if (badObjects.has(id)) continue;
      try {
        await readBlob(repo.root, id, loc);
      } catch {
        badObjects.add(id);
        problems.push({
          kind: 'object-damaged',
          object: id,
          pack: loc.pack,
          message: `Object ${id.slice(0, 12)} in pack ${loc.pack.slice(0, 12)} does not match its hash.`,
        });
      }
    }
  }
  for (const file of await unreadableSnapshotFiles(repo.root))
    problems.push({ kind: 'snapshot-unreadable', snapshot: file, message: `Snapshot document ${file} cannot be read.` });
  const snapshots = options.snapshots ?? (await repo.listSnapshots());
  const damaged: CheckResult['damaged'] = [];
  for (const snap of snapshots) {
    const ref = `${snap.nodeId}/${snap.id}`;
    const treeBad = snap.tree.filter((id) => !repo.objects.has(id) || badObjects.has(id));
    if (treeBad.length) {
      problems.push({ kind: 'tree-damaged', snapshot: ref, message: `Snapshot ${ref}: its file list is damaged or missing.` });
      damaged.push({ snapshot: ref, files: ['(file list)'] });
      continue;
    }
    let entries;
    try {
      entries = await repo.readEntries(snap);
    } catch {
      problems.push({ kind: 'tree-damaged', snapshot: ref, message: `Snapshot ${ref}: its file list is damaged.` });
      damaged.push({ snapshot: ref, files: ['(file list)'] });
      continue;
    }
    const files: string[] = [];
    for (const e of entries) {
      const ids = entryObjects(e);
      const missing = ids.filter((id) => !repo.objects.has(id));
      if (missing.length || ids.some((id) => badObjects.has(id))) {
        files.push(e.path);
        problems.push({
          kind: missing.length ? 'object-missing' : 'object-damaged',
          snapshot: ref,
          path: e.path,
          object: (missing[0] ?? ids.find((id) => badObjects.has(id)))!,
          message: `Snapshot ${ref}: ${e.path} is ${missing.length ? 'missing' : 'damaged'}.`,
        });
      }
    }
    if (files.length) damaged.push({ snapshot: ref, files });
  }
  for (const l of await listLocks(repo.root)) {
    if (l.stale)
      problems.push({
        kind: 'stale-lock',
        message: `Stale lock ${l.file} (pid ${l.pid} on ${l.host}, ${l.purpose}); it is removed by the next backup or prune.`,
      });
  }
  let partialPacks = 0;
  try {
    partialPacks = (await fs.readdir(join(repo.root, 'packs'))).filter((n) => PARTIAL_PACK.test(n)).length;
  } catch {
    partialPacks = 0;
  }
  const serious = problems.filter((p) => p.kind !== 'stale-lock');
  return {
    ok: serious.length === 0,
    snapshots: snapshots.length,
    packs: packs.size,
    objects: [...repo.objects.entries()].length,
    readData: Boolean(options.readData),
    problems,
    damaged,
    partialPacks,
  };
}
