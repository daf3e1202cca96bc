import { posix } from 'node:path';
import type { IndexEntry } from '../../core/backup';

/**
 * A backup's files as folders, built from its index alone (no archive read). Paths are the
 * absolute source paths on the node; folders missing from the index are implied by their files.
 */

export interface FolderEntry {
  name: string;
  /** Absolute source path on the node. */
  path: string;
  type: IndexEntry['type'];
  size: number;
  mode: number;
  sha256?: string;
  linkTarget?: string;
}

export class BackupFolderTree {
  private readonly byPath = new Map<string, FolderEntry>();
  private readonly childrenByDir = new Map<string, FolderEntry[]>();

  constructor(entries: readonly IndexEntry[]) {
    this.byPath.set('/', { name: '/', path: '/', type: 'directory', size: 0, mode: 0o755 });
    for (const e of entries) {
      const path = posix.normalize(e.path);
      if (!path.startsWith('/') || path === '/') continue;
      this.ensureParents(path);
      const entry: FolderEntry = {
        name: posix.basename(path),
        path,
        type: e.type,
        size: e.size,
        mode: e.mode,
        ...(e.sha256 ? { sha256: e.sha256 } : {}),
        ...(e.linkTarget ? { linkTarget: e.linkTarget } : {}),
      };
      const existing = this.byPath.get(path);
      if (existing) Object.assign(existing, entry);
      else this.add(entry);
    }
    for (const list of this.childrenByDir.values()) list.sort(byFoldersThenName);
  }

  get(path: string): FolderEntry | undefined {
    return this.byPath.get(normalizeDir(path));
  }

  /** Direct children of a folder (folders first, then by name); [] for files and unknown paths. */
  children(dirPath: string): FolderEntry[] {
    return this.childrenByDir.get(normalizeDir(dirPath)) ?? [];
  }

  /**
   * What a tree shows at the top: each branch of `/` followed down while it is a lone folder, so
   * `/home/u/.openclaw` appears as one row instead of three nested ones.
   */
  topLevel(): FolderEntry[] {
    return this.children('/').map((entry) => {
      let current = entry;
      for (;;) {
        if (current.type !== 'directory') return current;
        const kids = this.children(current.path);
        if (kids.length !== 1 || kids[0]!.type !== 'directory') return current;
        current = kids[0]!;
      }
    });
  }

  get fileCount(): number {
    let n = 0;
    for (const e of this.byPath.values()) if (e.type !== 'directory') n++;
    return n;
  }

  private ensureParents(path: string): void {
    const parent = posix.dirname(path);
    if (this.byPath.has(parent)) return;
    this.ensureParents(parent);
    this.add({ name: posix.basename(parent), path: parent, type: 'directory', size: 0, mode: 0o755 });
  }

  private add(entry: FolderEntry): void {
    this.byPath.set(entry.path, entry);
    const parent = posix.dirname(entry.path);
    let list = this.childrenByDir.get(parent);
    if (!list) this.childrenByDir.set(parent, (list = []));
    list.push(entry);
  }
}

function normalizeDir(path: string): string {
  const n = posix.normalize(path || '/');
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function byFoldersThenName(a: FolderEntry, b: FolderEntry): number {
  const da = a.type === 'directory' ? 0 : 1;
  const db = b.type === 'directory' ? 0 : 1;
  if (da !== db) return da - db;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
