import * as vscode from 'vscode';
import { readHistoryEntry } from '../../core/history';

export const HISTORY_SCHEME = 'openclaw-history';

/** `openclaw-history:/<historyId>/<file name>` — the file name only gives the editor a language. */
export function historyUri(historyId: string, remotePath: string): vscode.Uri {
  const name = remotePath.split('/').pop() || 'file';
  return vscode.Uri.from({ scheme: HISTORY_SCHEME, path: `/${historyId}/${name}` });
}

export function historyIdOf(uri: vscode.Uri): string {
  const parts = uri.path.split('/').filter(Boolean);
  return parts.slice(0, -1).join('/');
}

/**
 * Read-only view of pre-edit backups (the local file history). They are never edited in place:
 * "Restore" writes one back through the safe save.
 */
export class HistoryFileSystemProvider implements vscode.FileSystemProvider {
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;

  constructor(private readonly home: string) {}

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const { entry } = await this.read(uri);
    return { type: vscode.FileType.File, ctime: entry.timeMs, mtime: entry.timeMs, size: entry.size, permissions: vscode.FilePermission.Readonly };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return (await this.read(uri)).content;
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  createDirectory(): void {
    throw vscode.FileSystemError.NoPermissions(vscode.l10n.t('File history is read-only.'));
  }

  writeFile(): void {
    throw vscode.FileSystemError.NoPermissions(vscode.l10n.t('File history is read-only: use "Restore this version" to put it back on the node.'));
  }

  delete(): void {
    throw vscode.FileSystemError.NoPermissions(vscode.l10n.t('File history is read-only.'));
  }

  rename(): void {
    throw vscode.FileSystemError.NoPermissions(vscode.l10n.t('File history is read-only.'));
  }

  private async read(uri: vscode.Uri) {
    try {
      return await readHistoryEntry(this.home, historyIdOf(uri));
    } catch {
      throw vscode.FileSystemError.FileNotFound(uri);
    }
  }
}
