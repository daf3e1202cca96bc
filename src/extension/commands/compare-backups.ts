import * as vscode from 'vscode';
import { addLineCounts, diffBackupWithLive, liveReader, type BackupSummary } from '../../core/backup';
import { comparedFiles, compareBackupIndexes, orderByTime, pickFileDiffs, showComparison, summaryText, type Comparison } from '../backups/compare';
import type { BackupUiDeps } from '../backups/deps';
import type { BackupItem, BackupsGroupItem } from '../backups/tree';
import { formatBytes, localTime } from '../backups/tree';
import { backupCompareUri, liveFileUri, liveSchemeAvailable } from '../backups/uris';
import { withCancellableProgress } from '../progress';
import { showError } from './show-error';

export function registerCompareCommands(context: vscode.ExtensionContext, deps: BackupUiDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.compareBackups', async (item?: BackupItem | BackupsGroupItem, selected?: BackupItem[]) => {
      try {
        return await compareBackups(deps, item, selected);
      } catch (e) {
        void showError(e);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('openclaw.compareBackupWithLive', async (item?: BackupItem) => {
      try {
        return await compareWithLive(deps, item);
      } catch (e) {
        void showError(e);
        return undefined;
      }
    }),
  );
}

/** Two backups from the multi-selection; otherwise quick picks (node → backup A → backup B). */
export async function compareBackups(deps: BackupUiDeps, item?: BackupItem | BackupsGroupItem, selected?: BackupItem[]): Promise<Comparison | undefined> {
  const chosen = (selected && selected.length > 0 ? selected : item ? [item] : []).filter((s): s is BackupItem => s?.kind === 'backup').map((s) => s.summary);
  // From a node's Backups group: both picks come from that node.
  const onlyNode = item?.kind === 'backups' ? item.nodeId : undefined;
  let first: BackupSummary | undefined = chosen[0];
  let second: BackupSummary | undefined = chosen[1];
  if (chosen.length > 2) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Select exactly two backups to compare; comparing the first two.'));
  }
  if (!first) first = await pickBackup(deps, vscode.l10n.t('Compare backups (1/2): first backup'), undefined, onlyNode);
  if (!first) return undefined;
  if (!second)
    second = await pickBackup(deps, vscode.l10n.t('Compare backups (2/2): compare {0} with', `${first.nodeId} ${localTime(first.createdAt)}`), first, onlyNode);
  if (!second) return undefined;
  const [a, b] = await Promise.all([deps.catalog.index(first.nodeId, first.id), deps.catalog.index(second.nodeId, second.id)]);
  const [older, newer] = orderByTime(a, b);
  const comparison = await withCancellableProgress(vscode.l10n.t('Comparing backups'), (_report, signal) =>
    compareBackupIndexes(deps.catalog, older, newer, signal),
  );
  await showComparison(comparison);
  return comparison;
}

/** One backup against the node as it is now: hashes on the node in one exec, then the diff editor. */
export async function compareWithLive(deps: BackupUiDeps, item?: BackupItem): Promise<Comparison | undefined> {
  const summary = item?.kind === 'backup' ? item.summary : await pickBackup(deps, vscode.l10n.t('Compare a backup with the live node'));
  if (!summary) return undefined;
  const index = await deps.catalog.index(summary.nodeId, summary.id);
  const node = await deps.registry.get(summary.nodeId);
  const comparison = await withCancellableProgress(
    vscode.l10n.t('Comparing {0} with the live node', `${summary.nodeId} ${localTime(summary.createdAt)}`),
    async (report, signal) => {
      report(vscode.l10n.t('connecting'));
      const transport = await deps.connector.connect(node);
      try {
        report(vscode.l10n.t('hashing files on the node'));
        const diff = await diffBackupWithLive(index, transport, { signal });
        report(vscode.l10n.t('counting changed lines'));
        await addLineCounts(diff, (paths) => deps.catalog.readFiles(index, paths), liveReader(transport, { signal }));
        const title = vscode.l10n.t('Backup {0} ↔ live {1}', localTime(index.createdAt), index.nodeId);
        return {
          title,
          diff,
          files: comparedFiles(
            diff,
            (p) => backupCompareUri(index.nodeId, index.id, p),
            (p) => liveFileUri(index.nodeId, p),
          ),
        } satisfies Comparison;
      } finally {
        await deps.connector.release(transport);
      }
    },
  );
  if (liveSchemeAvailable()) {
    await showComparison(comparison);
  } else {
    // Without the live openclaw:// provider there is no right-hand side to open: summary + backup side only.
    void vscode.window.showInformationMessage(`${comparison.title}: ${summaryText(comparison.diff)}`);
    if (comparison.files.length > 0) await pickFileDiffs({ ...comparison, files: comparison.files.map((f) => ({ ...f, right: undefined })) });
  }
  return comparison;
}

/** Keyboard-friendly: pick the node (skipped when only one has backups), then a backup, newest first. */
export async function pickBackup(deps: BackupUiDeps, title: string, exclude?: BackupSummary, onlyNode?: string): Promise<BackupSummary | undefined> {
  const nodeIds = onlyNode !== undefined ? [onlyNode] : await deps.catalog.store.nodeIds();
  const withBackups: string[] = [];
  for (const id of nodeIds) if ((await deps.catalog.list(id)).length > 0) withBackups.push(id);
  if (withBackups.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('There are no backups yet. Back up a node first.'));
    return undefined;
  }
  let nodeId: string | undefined = exclude && withBackups.includes(exclude.nodeId) ? exclude.nodeId : withBackups[0];
  if (withBackups.length > 1) {
    // The likely node first (the first backup's, when picking the second), so Enter takes it.
    const ordered = [...withBackups].sort((a, b) => Number(b === nodeId) - Number(a === nodeId));
    const items = ordered.map((id) => ({ label: id }));
    const pickedNode = await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('Node') });
    nodeId = pickedNode?.label;
  }
  if (!nodeId) return undefined;
  const backups = (await deps.catalog.list(nodeId)).filter((b) => !(exclude && b.nodeId === exclude.nodeId && b.id === exclude.id));
  if (backups.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Node {0} has no other backup.', nodeId));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    backups.map((b) => ({
      label: localTime(b.createdAt),
      description: [b.engine, formatBytes(b.archiveSize), b.pinned ? vscode.l10n.t('pinned') : undefined].filter(Boolean).join(' · '),
      detail: b.id,
      backup: b,
    })),
    { title, placeHolder: vscode.l10n.t('Backup of {0}', nodeId), matchOnDetail: true },
  );
  return picked?.backup;
}
