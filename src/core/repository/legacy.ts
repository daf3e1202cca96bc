import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { LegacyStore } from '../backup/legacy-store';
import { writeFileAtomic } from '../fs-atomic';
import { SNAPSHOT_ID } from './format';
import { importArchive } from './import';
import type { Repository } from './repository';

/**
 * Today's store (`<root>/<nodeId>/<id>.tar.gz` + index) brought into the repository the first time
 * it is used: each archive becomes a snapshot with its id and pin kept. The archives stay where
 * they are (nothing an operator has is deleted); `legacy-imported.json` remembers what was done,
 * so later runs only import archives that appeared since (an older ocm still writing them).
 */

export interface LegacyImportReport {
  imported: string[];
  failed: Array<{ backup: string; error: string }>;
}

export async function importLegacyStore(repo: Repository, legacyRoot: string, options: { signal?: AbortSignal } = {}): Promise<LegacyImportReport> {
  const marker = join(repo.root, 'legacy-imported.json');
  let done = new Set<string>();
  try {
    done = new Set(JSON.parse(await fs.readFile(marker, 'utf8')) as string[]);
  } catch {
    done = new Set();
  }
  const store = new LegacyStore(legacyRoot);
  const report: LegacyImportReport = { imported: [], failed: [] };
  let summaries;
  try {
    summaries = await store.list();
  } catch {
    return report;
  }
  const todo = summaries.filter((s) => !done.has(`${s.nodeId}/${s.id}`));
  if (todo.length === 0) return report;
  const existing = new Set((await repo.listSnapshots()).map((s) => `${s.nodeId}/${s.id}`));
  for (const s of todo.reverse()) {
    const key = `${s.nodeId}/${s.id}`;
    if (options.signal?.aborted) break;
    try {
      if (!existing.has(key)) {
        await importArchive(repo, store.archivePath(s), {
          nodeId: s.nodeId,
          ...(SNAPSHOT_ID.test(s.id) ? { id: s.id } : {}),
          pinned: s.pinned,
          method: 'legacy',
          engine: s.engine,
          openclawVersion: s.openclawVersion,
          signal: options.signal,
        });
        report.imported.push(key);
      }
      done.add(key);
    } catch (e) {
      report.failed.push({ backup: key, error: (e as Error).message });
      // Not retried on every listing (a damaged archive stays on disk, and "ocm verify" names the problem).
      done.add(key);
    }
  }
  await writeFileAtomic(marker, JSON.stringify([...done].sort()) + '\n', 0o600);
  return report;
}
