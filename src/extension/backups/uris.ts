import * as vscode from 'vscode';

export const BACKUP_SCHEME = 'openclaw-backup';
const LIVE_SCHEME = 'openclaw';

/** `openclaw-backup://<nodeId>/<backupId>/<absolute source path>` (a backup's root: no source path). */
export function backupUri(nodeId: string, backupId: string, sourcePath = '/'): vscode.Uri {
  const path = sourcePath === '/' ? `/${backupId}` : `/${backupId}${sourcePath}`;
  return vscode.Uri.from({ scheme: BACKUP_SCHEME, authority: nodeId, path });
}

/**
 * The same file as `openclaw-backup://<nodeId>/<absolute source path>?backup=<backupId>`: used on the
 * sides of a comparison, so both sides share one path (diff editors would otherwise call every
 * changed file "renamed" and label it with the backup id).
 */
export function backupCompareUri(nodeId: string, backupId: string, sourcePath: string): vscode.Uri {
  return vscode.Uri.from({ scheme: BACKUP_SCHEME, authority: nodeId, path: sourcePath, query: `backup=${encodeURIComponent(backupId)}` });
}

export function parseBackupUri(uri: vscode.Uri): { nodeId: string; backupId: string; sourcePath: string } | undefined {
  if (uri.scheme !== BACKUP_SCHEME || !uri.authority) return undefined;
  const fromQuery = new URLSearchParams(uri.query).get('backup');
  if (fromQuery) return { nodeId: uri.authority, backupId: fromQuery, sourcePath: uri.path.length > 1 ? uri.path.replace(/\/+$/, '') : '/' };
  const match = /^\/([^/]+)(\/.*)?$/.exec(uri.path);
  if (!match) return undefined;
  const sourcePath = match[2] && match[2] !== '/' ? match[2].replace(/\/+$/, '') : '/';
  return { nodeId: uri.authority, backupId: match[1]!, sourcePath };
}

/** The live file on the node (`openclaw://<nodeId>/<path>`, served by the live provider). */
export function liveFileUri(nodeId: string, sourcePath: string): vscode.Uri {
  return vscode.Uri.from({ scheme: LIVE_SCHEME, authority: nodeId, path: sourcePath });
}

export function liveSchemeAvailable(): boolean {
  return vscode.workspace.fs.isWritableFileSystem(LIVE_SCHEME) !== undefined;
}
