import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { OcmError } from '../errors';
import { ocmHome } from '../home';
import { exportSnapshot, type ExportResult } from '../repository/export';
import type { Snapshot, SnapshotEntry } from '../repository/format';
import { importLegacyStore, type LegacyImportReport } from '../repository/legacy';
import { pruneRepository, type PruneReport } from '../repository/prune';
import { defaultRepositoryRoot, Repository } from '../repository/repository';
import type { RetentionPolicy } from '../repository/retention';
import { archiveRootName } from './manifest';
import { BACKUP_INDEX_FORMAT, type BackupIndex, type IndexEntry } from './types';

/**
 * The backup store every face uses: the snapshot repository (`<root>/repository`, see
 * docs/repository.md) seen as a list of backups. Each snapshot appears as a backup with its
 * entries (path, type, size, mode, sha256), so listing, compare, browse and the restore plan work
 * from snapshot documents alone; content is read from the repository only for the files asked
 * for, and an OpenClaw archive is built from a snapshot only where one is needed (restore and
 * migrate upload one, `ocm export` writes one). Backups of the old `.tar.gz` store in `<root>`
 * are imported the first time (ids and pins kept).
 *
 * A backup view's `archiveSha256`/`manifestSha256` hold the snapshot's digest (sha256 of its
 * entry-list object ids) and `archiveSize` its total file size: there is no archive behind it.
 */

export type BackupSummary = Omit<BackupIndex, 'entries'> & { entryCount?: number; capture?: Snapshot['capture']; parent?: string | null; warnings?: string[] };

export interface PruneResult extends Omit<PruneReport, 'removed' | 'kept'> {
  removed: BackupSummary[];
  kept: BackupSummary[];
}

export function defaultBackupRoot(home: string = ocmHome()): string {
  return join(home, 'backups');
}

export class BackupStore {
  private opened: Promise<Repository> | undefined;
  lastLegacyImport: LegacyImportReport | undefined;

  constructor(readonly root: string) {}

  static forHome(home: string = ocmHome()): BackupStore {
    return new BackupStore(defaultBackupRoot(home));
  }

  get repositoryRoot(): string {
    return defaultRepositoryRoot(this.root);
  }

  /** The repository, opened (and created) once; the old store's backups are imported on first use. */
  repository(): Promise<Repository> {
    this.opened ??= (async () => {
      const repo = await Repository.open(this.repositoryRoot);
      this.lastLegacyImport = await importLegacyStore(repo, this.root);
      return repo;
    })();
    this.opened.catch(() => (this.opened = undefined));
    return this.opened;
  }

  async list(nodeId?: string): Promise<BackupSummary[]> {
    const repo = await this.repository();
    return (await repo.listSnapshots(nodeId)).map(summaryOf);
  }

  async nodeIds(): Promise<string[]> {
    return [...new Set((await this.list()).map((s) => s.nodeId))].sort();
  }

  async snapshot(ref: Pick<BackupSummary, 'nodeId' | 'id'>): Promise<Snapshot> {
    return (await this.repository()).readSnapshot(ref.nodeId, ref.id);
  }

  async readIndex(summary: Pick<BackupSummary, 'nodeId' | 'id'>): Promise<BackupIndex> {
    const repo = await this.repository();
    const snap = await repo.readSnapshot(summary.nodeId, summary.id);
    return viewOf(snap, await repo.readEntries(snap));
  }

  /** `<nodeId>/<id>`, an id, a unique prefix, or `<nodeId>/latest`. */
  async resolve(ref: string): Promise<BackupIndex> {
    const repo = await this.repository();
    const snap = await repo.resolve(ref);
    return viewOf(snap, await repo.readEntries(snap));
  }

  /** Files of one backup by absolute path (missing ones are absent from the map). */
  async readFiles(backup: Pick<BackupSummary, 'nodeId' | 'id'>, paths: readonly string[]): Promise<Map<string, Buffer>> {
    const repo = await this.repository();
    return repo.readFiles(await repo.readSnapshot(backup.nodeId, backup.id), paths);
  }

  async readFile(backup: Pick<BackupSummary, 'nodeId' | 'id'>, path: string): Promise<Buffer> {
    const data = (await this.readFiles(backup, [path])).get(path);
    if (!data)
      throw new OcmError('notFound', `${path} is not a file in backup ${backup.nodeId}/${backup.id}. Open the backup's file list to see what it contains.`, {
        path,
      });
    return data;
  }

  /**
   * The backup as an OpenClaw archive on disk (restore and migrate upload it): exported into
   * `<repository>/exports/` and reused while it exists; `release` deletes it.
   */
  async materialize(
    backup: Pick<BackupSummary, 'nodeId' | 'id'>,
    options: { signal?: AbortSignal } = {},
  ): Promise<ExportResult & { release(): Promise<void> }> {
    const repo = await this.repository();
    const snap = await repo.readSnapshot(backup.nodeId, backup.id);
    const dir = join(repo.root, 'exports', snap.nodeId);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const out = join(dir, `${snap.id}.${process.pid}.${Date.now().toString(36)}.tar.gz`);
    const result = await exportSnapshot(repo, snap, out, options);
    return { ...result, release: () => fs.rm(out, { force: true }) };
  }

  async setPinned(ref: string, pinned: boolean): Promise<BackupIndex> {
    const repo = await this.repository();
    const snap = await repo.setPinned(ref, pinned);
    return viewOf(snap, await repo.readEntries(snap));
  }

  async prune(options: { policy: RetentionPolicy; nodeId?: string; dryRun?: boolean; signal?: AbortSignal }): Promise<PruneResult> {
    const report = await pruneRepository(await this.repository(), options);
    return { ...report, removed: report.removed.map(summaryOf), kept: report.kept.map((k) => summaryOf(k.snapshot)) };
  }
}

function digestOf(snap: Snapshot): string {
  return createHash('sha256').update(snap.tree.join(',')).digest('hex');
}

export function summaryOf(snap: Snapshot): BackupSummary {
  const digest = digestOf(snap);
  return {
    formatVersion: BACKUP_INDEX_FORMAT,
    id: snap.id,
    nodeId: snap.nodeId,
    createdAt: snap.createdAt,
    engine: snap.capture.engine ?? 'ocm',
    openclawVersion: snap.openclawVersion,
    archiveFile: `${snap.id}.tar.gz`,
    archiveSha256: digest,
    archiveSize: snap.totalSize,
    archiveRoot: archiveRootName(new Date(snap.createdAt)),
    manifestSha256: digest,
    options: snap.options,
    sourcePaths: {
      ...(snap.sourcePaths.stateDir ? { stateDir: snap.sourcePaths.stateDir } : {}),
      ...(snap.sourcePaths.configPath ? { configPath: snap.sourcePaths.configPath } : {}),
      workspaceDirs: snap.sourcePaths.workspaceDirs,
      agentDirs: snap.sourcePaths.agentDirs,
    },
    pinned: snap.pinned,
    externalSymbolicLinks: snap.externalSymbolicLinks,
    entryCount: snap.entryCount,
    capture: snap.capture,
    parent: snap.parent,
    warnings: snap.warnings,
  };
}

export function indexEntryOf(e: SnapshotEntry): IndexEntry {
  if (e.type === 'directory') return { path: e.path, type: 'directory', size: 0, mode: e.mode };
  if (e.type === 'symlink') return { path: e.path, type: 'symlink', size: 0, mode: e.mode, linkTarget: e.linkTarget ?? '' };
  return { path: e.path, type: 'file', size: e.size, mode: e.mode, ...(e.sha256 ? { sha256: e.sha256 } : {}) };
}

/** A snapshot and its entries as the backup index the faces show. */
export function viewOf(snap: Snapshot, entries: readonly SnapshotEntry[]): BackupIndex {
  const { entryCount: _c, capture: _m, parent: _p, warnings: _w, ...summary } = summaryOf(snap);
  return { ...summary, entries: entries.map(indexEntryOf) };
}

/** The store a face should use: `OCM_BACKUP_DIR` (a configured folder) or `<ocm home>/backups`. */
export function backupStoreFor(env: NodeJS.ProcessEnv = process.env): BackupStore {
  const configured = env.OCM_BACKUP_DIR?.trim();
  return new BackupStore(configured ? resolve(configured) : defaultBackupRoot(ocmHome(env)));
}
