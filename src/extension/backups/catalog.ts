import { BackupStore, type BackupIndex, type BackupSummary } from '../../core/backup';
import { BackupFolderTree } from './folder-tree';

/**
 * The extension's view of the backup repository: listings read snapshot documents every time
 * (cheap, and the CLI may add backups meanwhile); entry lists and their folder trees are cached,
 * since a snapshot's entries never change (only `pinned` does, and pin/unpin invalidate).
 *
 * The repository's object index is read once per process, so when a listing shows snapshots this
 * window has not seen (or no longer shows some: another process backed up or pruned), the index
 * is read again; otherwise the files of a backup made by the CLI (or cron) while VS Code was open
 * would read as "not in the backup repository", and pruned ones point at repacked packs.
 */
export class BackupCatalog {
  private readonly indexes = new Map<string, Promise<{ index: BackupIndex; tree: BackupFolderTree }>>();
  /** Per node, the snapshot ids of its last listing. */
  private readonly listed = new Map<string, string>();
  private reloading: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(readonly store: BackupStore) {}

  async list(nodeId: string): Promise<BackupSummary[]> {
    const backups = await this.store.list(nodeId);
    const ids = backups.map((b) => b.id).join('\n');
    if (this.listed.get(nodeId) !== ids) {
      try {
        await this.reloadObjects();
        this.listed.set(nodeId, ids);
      } catch {
        // Left for the next listing; reading a backup's files reports what is wrong.
      }
    }
    return backups;
  }

  /**
   * Re-reads the object index. A caller arriving while a read is under way waits for one more read
   * after it (which the others arriving meanwhile share): the running one may have listed the
   * index folder before the index of the snapshot this caller saw was published.
   */
  private reloadObjects(): Promise<void> {
    if (!this.reloading) {
      this.reloading = (async () => (await this.store.repository()).objects.load())().finally(() => (this.reloading = undefined));
      return this.reloading;
    }
    this.queued ??= this.reloading
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.reloadObjects();
      });
    return this.queued;
  }

  async index(nodeId: string, backupId: string): Promise<BackupIndex> {
    return (await this.load(nodeId, backupId)).index;
  }

  async folderTree(nodeId: string, backupId: string): Promise<BackupFolderTree> {
    return (await this.load(nodeId, backupId)).tree;
  }

  /** Files of a backup, read from the repository (each object checked against its hash). */
  readFiles(backup: Pick<BackupSummary, 'nodeId' | 'id'>, paths: readonly string[]): Promise<Map<string, Buffer>> {
    return this.store.readFiles(backup, paths);
  }

  readFile(backup: Pick<BackupSummary, 'nodeId' | 'id'>, path: string): Promise<Buffer> {
    return this.store.readFile(backup, path);
  }

  invalidate(nodeId?: string, backupId?: string): void {
    if (nodeId === undefined) this.indexes.clear();
    else if (backupId !== undefined) this.indexes.delete(key(nodeId, backupId));
    else for (const k of [...this.indexes.keys()]) if (k.startsWith(`${nodeId}/`)) this.indexes.delete(k);
  }

  private load(nodeId: string, backupId: string): Promise<{ index: BackupIndex; tree: BackupFolderTree }> {
    const k = key(nodeId, backupId);
    let pending = this.indexes.get(k);
    if (!pending) {
      pending = this.store.readIndex({ nodeId, id: backupId }).then((index) => ({ index, tree: new BackupFolderTree(index.entries) }));
      this.indexes.set(k, pending);
      // A missing or damaged index is not cached: the next look tries again.
      pending.catch(() => this.indexes.delete(k));
    }
    return pending;
  }
}

function key(nodeId: string, backupId: string): string {
  return `${nodeId}/${backupId}`;
}
