import * as vscode from 'vscode';
import { verifyArchive } from '../../core/backup';
import type { BackupUiDeps } from '../backups/deps';
import type { BackupEntryItem, BackupItem } from '../backups/tree';
import { formatBytes, localTime } from '../backups/tree';
import { backupUri } from '../backups/uris';
import { withCancellableProgress } from '../progress';
import { pickBackup } from './compare-backups';
import { showError } from './show-error';

/** Verify, pin/unpin, open a file from a backup, reveal the archive. */
export function registerBackupActionCommands(context: vscode.ExtensionContext, deps: BackupUiDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.verifyBackup', async (item?: BackupItem) => {
      try {
        const backup = item?.kind === 'backup' ? item.summary : await pickBackup(deps, vscode.l10n.t('Verify backup'));
        if (!backup) return undefined;
        const index = await deps.catalog.index(backup.nodeId, backup.id);
        const result = await withCancellableProgress(vscode.l10n.t('Verifying backup {0}', `${backup.nodeId} ${localTime(backup.createdAt)}`), (_report, signal) =>
          verifyArchive(deps.catalog.archivePath(index), index, { signal }),
        );
        void vscode.window.showInformationMessage(
          vscode.l10n.t('Backup {0} is intact: {1} files ({2}), checksum and every entry match the index.', `${backup.nodeId} ${localTime(backup.createdAt)}`, result.fileCount, formatBytes(result.totalBytes)),
        );
        return result;
      } catch (e) {
        void showError(e);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('openclaw.pinBackup', (item?: BackupItem) => setPinned(deps, item, true)),
    vscode.commands.registerCommand('openclaw.unpinBackup', (item?: BackupItem) => setPinned(deps, item, false)),
    vscode.commands.registerCommand('openclaw.openBackupFile', async (item?: BackupEntryItem | vscode.Uri) => {
      try {
        const uri = item instanceof vscode.Uri ? item : item?.kind === 'backupEntry' ? backupUri(item.nodeId, item.backupId, item.entry.path) : undefined;
        if (!uri) return;
        await vscode.commands.executeCommand('vscode.open', uri, { preview: true });
      } catch (e) {
        void showError(e);
      }
    }),
    vscode.commands.registerCommand('openclaw.revealBackupInOS', async (item?: BackupItem) => {
      try {
        if (item?.kind !== 'backup') return;
        await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(deps.catalog.archivePath(item.summary)));
      } catch (e) {
        void showError(e);
      }
    }),
  );
}

async function setPinned(deps: BackupUiDeps, item: BackupItem | undefined, pinned: boolean): Promise<void> {
  try {
    const backup = item?.kind === 'backup' ? item.summary : await pickBackup(deps, pinned ? vscode.l10n.t('Pin backup') : vscode.l10n.t('Unpin backup'));
    if (!backup) return;
    await deps.catalog.store.setPinned(`${backup.nodeId}/${backup.id}`, pinned);
    deps.catalog.invalidate(backup.nodeId, backup.id);
    deps.backupsTree.refresh(backup.nodeId);
  } catch (e) {
    void showError(e);
  }
}
