import { BackupStore, type BackupIndex, type BackupSummary } from '../../core/backup';
import { BackupFolderTree } from './folder-tree';

/**
 * The extension's view of the backup repository: listings read snapshot documents every time
 * (cheap, and the CLI may add backups meanwhile); entry lists and their folder trees are cached,
 * since a snapshot's entries never change (only `pinned` does, and pin/unpin invalidate).
 */
export class BackupCatalog {
  private readonly indexes = new Map<string, Promise<{ index: BackupIndex; tree: BackupFolderTree }>>();

  constructor(readonly store: BackupStore) {}

  list(nodeId: string): Promise<BackupSummary[]> {
    return this.store.list(nodeId);
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
