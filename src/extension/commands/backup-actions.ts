import { homedir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { exportSnapshot, verifySnapshot } from '../../core/repository';
import type { BackupUiDeps } from '../backups/deps';
import type { BackupEntryItem, BackupItem } from '../backups/tree';
import { formatBytes, localTime } from '../backups/tree';
import { backupUri } from '../backups/uris';
import { withCancellableProgress } from '../progress';
import { pickBackup } from './compare-backups';
import { showError } from './show-error';

/** Verify, pin/unpin, open a file from a backup, reveal the repository, export as an OpenClaw archive. */
export function registerBackupActionCommands(context: vscode.ExtensionContext, deps: BackupUiDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.verifyBackup', async (item?: BackupItem) => {
      try {
        const backup = item?.kind === 'backup' ? item.summary : await pickBackup(deps, vscode.l10n.t('Verify backup'));
        if (!backup) return undefined;
        const repo = await deps.catalog.store.repository();
        const result = await withCancellableProgress(
          vscode.l10n.t('Verifying backup {0}', `${backup.nodeId} ${localTime(backup.createdAt)}`),
          async (_report, signal) => verifySnapshot(repo, await repo.readSnapshot(backup.nodeId, backup.id), { signal }),
        );
        if (result.ok) {
          void vscode.window.showInformationMessage(
            vscode.l10n.t(
              'Backup {0} is intact: {1} files ({2}), every byte checked against its hash.',
              `${backup.nodeId} ${localTime(backup.createdAt)}`,
              result.fileCount,
              formatBytes(result.totalBytes),
            ),
          );
        } else {
          void vscode.window.showErrorMessage(
            vscode.l10n.t(
              'Backup {0} is damaged: {1} file(s) cannot be restored ({2}). Run "ocm check --read-data" for the whole repository.',
              `${backup.nodeId} ${localTime(backup.createdAt)}`,
              result.damaged.length,
              result.damaged
                .slice(0, 3)
                .map((d) => d.path)
                .join(', '),
            ),
          );
        }
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
        await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(deps.catalog.store.repositoryRoot));
      } catch (e) {
        void showError(e);
      }
    }),
    // `target` skips the save dialog (tests, other extensions); from a menu the second argument is
    // the tree's selection, which is not a Uri and is ignored.
    vscode.commands.registerCommand('openclaw.exportBackup', async (item?: BackupItem, target?: unknown) => {
      try {
        const backup = item?.kind === 'backup' ? item.summary : await pickBackup(deps, vscode.l10n.t('Export as OpenClaw Archive'));
        if (!backup) return undefined;
        const chosen =
          target instanceof vscode.Uri
            ? target
            : await vscode.window.showSaveDialog({
                title: vscode.l10n.t('Export as OpenClaw Archive'),
                defaultUri: vscode.Uri.file(join(homedir(), `${backup.nodeId}-${backup.id}.tar.gz`)),
                filters: { [vscode.l10n.t('OpenClaw archive')]: ['tar.gz', 'tgz'] },
              });
        if (!chosen) return undefined;
        const repo = await deps.catalog.store.repository();
        const result = await withCancellableProgress(
          vscode.l10n.t('Exporting backup {0}', `${backup.nodeId} ${localTime(backup.createdAt)}`),
          async (_report, signal) => exportSnapshot(repo, await repo.readSnapshot(backup.nodeId, backup.id), chosen.fsPath, { signal }),
        );
        void vscode.window.showInformationMessage(
          vscode.l10n.t(
            'Exported {0} ({1}). "openclaw backup verify" and "openclaw backup restore" accept it.',
            chosen.fsPath,
            formatBytes(result.archiveSize),
          ),
        );
        return result.archivePath;
      } catch (e) {
        void showError(e);
        return undefined;
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
