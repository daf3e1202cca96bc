import * as vscode from 'vscode';
import { toOcmError } from '../../core/errors';
import type { BackupCatalog } from './catalog';
import { BACKUP_SCHEME, parseBackupUri } from './uris';

const CACHE_BYTES = 16 * 1024 * 1024;

/**
 * `openclaw-backup://` — a backup's files, read-only. Listing and stat come from the index; bytes
 * are streamed out of the archive on demand (a small cache serves the repeated reads of diff editors).
 */
export class BackupFileSystemProvider implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;
  private readonly cache = new Map<string, Uint8Array>();
  private cachedBytes = 0;

  constructor(private readonly catalog: BackupCatalog) {}

  static register(context: vscode.ExtensionContext, catalog: BackupCatalog): BackupFileSystemProvider {
    const provider = new BackupFileSystemProvider(catalog);
    const reason = new vscode.MarkdownString(vscode.l10n.t('This is a file inside a backup; restore it to change the node'));
    context.subscriptions.push(provider, vscode.workspace.registerFileSystemProvider(BACKUP_SCHEME, provider, { isCaseSensitive: true, isReadonly: reason }));
    return provider;
  }

  watch(): vscode.Disposable {
    // Archives never change after they are written: nothing to watch.
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const { entry, index } = await this.lookup(uri);
    const mtime = Date.parse(index.createdAt) || 0;
    return {
      type:
        entry.type === 'directory'
          ? vscode.FileType.Directory
          : entry.type === 'symlink'
            ? vscode.FileType.File | vscode.FileType.SymbolicLink
            : vscode.FileType.File,
      ctime: mtime,
      mtime,
      size: entry.size,
      permissions: vscode.FilePermission.Readonly,
    };
  }

  async readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    const { entry, tree } = await this.lookup(uri);
    if (entry.type !== 'directory') throw vscode.FileSystemError.FileNotADirectory(uri);
    return tree.children(entry.path).map((c) => [c.name, c.type === 'directory' ? vscode.FileType.Directory : vscode.FileType.File]);
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const { entry, nodeId, index } = await this.lookup(uri);
    if (entry.type === 'directory') throw vscode.FileSystemError.FileIsADirectory(uri);
    if (entry.type === 'symlink') return new TextEncoder().encode(entry.linkTarget ?? '');
    const key = `${nodeId}/${index.id}${entry.path}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    try {
      const data = new Uint8Array(await this.catalog.readFile(index, entry.path));
      this.remember(key, data);
      return data;
    } catch (e) {
      const err = toOcmError(e);
      if (err.kind === 'notFound') throw vscode.FileSystemError.FileNotFound(uri);
      throw vscode.FileSystemError.Unavailable(err.message);
    }
  }

  writeFile(uri: vscode.Uri): void {
    throw this.readOnly(uri);
  }
  createDirectory(uri: vscode.Uri): void {
    throw this.readOnly(uri);
  }
  delete(uri: vscode.Uri): void {
    throw this.readOnly(uri);
  }
  rename(uri: vscode.Uri): void {
    throw this.readOnly(uri);
  }

  dispose(): void {
    this.emitter.dispose();
    this.cache.clear();
  }

  private readOnly(uri: vscode.Uri): vscode.FileSystemError {
    return vscode.FileSystemError.NoPermissions(
      vscode.l10n.t('{0} is a file inside a backup and cannot be changed; restore the backup to change the node.', uri.path),
    );
  }

  private async lookup(uri: vscode.Uri) {
    const parsed = parseBackupUri(uri);
    if (!parsed) throw vscode.FileSystemError.FileNotFound(uri);
    let index;
    let tree;
    try {
      index = await this.catalog.index(parsed.nodeId, parsed.backupId);
      tree = await this.catalog.folderTree(parsed.nodeId, parsed.backupId);
    } catch (e) {
      const err = toOcmError(e);
      if (err.kind === 'notFound' || err.kind === 'invalidInput') throw vscode.FileSystemError.FileNotFound(uri);
      throw vscode.FileSystemError.Unavailable(err.message);
    }
    const entry = tree.get(parsed.sourcePath);
    if (!entry) throw vscode.FileSystemError.FileNotFound(uri);
    return { entry, tree, index, nodeId: parsed.nodeId };
  }

  private remember(key: string, data: Uint8Array): void {
    if (data.byteLength > CACHE_BYTES / 4) return;
    this.cache.set(key, data);
    this.cachedBytes += data.byteLength;
    for (const [k, v] of this.cache) {
      if (this.cachedBytes <= CACHE_BYTES) break;
      this.cache.delete(k);
      this.cachedBytes -= v.byteLength;
    }
  }
}
