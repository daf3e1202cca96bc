import * as vscode from 'vscode';
import { addLineCounts, diffBackups, type BackupDiff, type BackupIndex } from '../../core/backup';
import type { BackupCatalog } from './catalog';
import { localTime } from './tree';
import { backupCompareUri } from './uris';

/**
 * Comparing two backups: the added / removed / changed summary comes from the indexes (line counts
 * from one pass over each archive), the side-by-side view is VS Code's multi-file diff editor on
 * openclaw-backup:// URIs, with per-file `vscode.diff` picks when the multi-diff editor fails.
 */

/** One row of a comparison: the URIs the diff editors need (undefined = the side lacks the file). */
export interface ComparedFile {
  path: string;
  status: 'added' | 'removed' | 'changed';
  left: vscode.Uri | undefined;
  right: vscode.Uri | undefined;
  detail: string;
}

export interface Comparison {
  title: string;
  diff: BackupDiff;
  files: ComparedFile[];
}

/** Older on the left, newer on the right. */
export function orderByTime(a: BackupIndex, b: BackupIndex): [BackupIndex, BackupIndex] {
  return a.createdAt <= b.createdAt ? [a, b] : [b, a];
}

export async function compareBackupIndexes(catalog: BackupCatalog, older: BackupIndex, newer: BackupIndex, _signal?: AbortSignal): Promise<Comparison> {
  const diff = diffBackups(older, newer);
  const readFrom = (index: BackupIndex) => (paths: string[]) => catalog.readFiles(index, paths);
  await addLineCounts(diff, readFrom(older), readFrom(newer));
  const leftOf = (path: string) => backupCompareUri(older.nodeId, older.id, path);
  const rightOf = (path: string) => backupCompareUri(newer.nodeId, newer.id, path);
  const title = vscode.l10n.t('Backups {0} ↔ {1}', label(older), label(newer));
  return { title, diff, files: comparedFiles(diff, leftOf, rightOf) };
}

export function comparedFiles(diff: BackupDiff, leftOf: (path: string) => vscode.Uri, rightOf: (path: string) => vscode.Uri): ComparedFile[] {
  const files: ComparedFile[] = [];
  for (const c of diff.changed) {
    const detail = c.modeOnly
      ? vscode.l10n.t('mode {0} → {1}', octal(c.modeA), octal(c.modeB))
      : c.linesAdded !== undefined
        ? `+${c.linesAdded} −${c.linesRemoved ?? 0}`
        : c.noLineCount === 'binary'
          ? vscode.l10n.t('binary')
          : vscode.l10n.t('{0} → {1} bytes', c.sizeA, c.sizeB);
    files.push({ path: c.path, status: 'changed', left: leftOf(c.path), right: rightOf(c.path), detail });
  }
  for (const a of diff.added) files.push({ path: a.path, status: 'added', left: undefined, right: rightOf(a.path), detail: vscode.l10n.t('added') });
  for (const r of diff.removed) files.push({ path: r.path, status: 'removed', left: leftOf(r.path), right: undefined, detail: vscode.l10n.t('removed') });
  // Changed files first (what a reviewer looks for), then added, then removed; by path within each.
  const rank = { changed: 0, added: 1, removed: 2 } as const;
  return files.sort((x, y) => rank[x.status] - rank[y.status] || (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/** "2 added, 1 removed, 3 changed (+12 −4 lines)". */
export function summaryText(diff: BackupDiff): string {
  let added = 0;
  let removed = 0;
  for (const c of diff.changed) {
    added += c.linesAdded ?? 0;
    removed += c.linesRemoved ?? 0;
  }
  return vscode.l10n.t('{0} added, {1} removed, {2} changed (+{3} −{4} lines)', diff.added.length, diff.removed.length, diff.changed.length, added, removed);
}

/**
 * Shows a comparison: the multi-file diff editor when VS Code has it, otherwise a quick pick that
 * opens one file's diff at a time. Returns which editor was used.
 */
export async function showComparison(comparison: Comparison): Promise<'changes' | 'diff' | 'none'> {
  if (comparison.files.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0}: no differences ({1} files the same).', comparison.title, comparison.diff.unchanged));
    return 'none';
  }
  void vscode.window.showInformationMessage(`${comparison.title}: ${summaryText(comparison.diff)}`);
  try {
    const resources = comparison.files.map((f) => [(f.right ?? f.left)!, f.left, f.right] as const);
    await vscode.commands.executeCommand('vscode.changes', comparison.title, resources);
    return 'changes';
  } catch {
    await pickFileDiffs(comparison);
    return 'diff';
  }
}

/** Fallback: pick a file, see its diff; the pick stays open for the next one. */
export async function pickFileDiffs(comparison: Comparison): Promise<void> {
  type Pick = vscode.QuickPickItem & { file: ComparedFile };
  const items: Pick[] = comparison.files.map((file) => ({
    label: file.path.split('/').pop() ?? file.path,
    description: `${statusLabel(file.status)} · ${file.detail}`,
    detail: file.path,
    file,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title: comparison.title,
    placeHolder: summaryText(comparison.diff),
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (picked) await openFileDiff(comparison.title, picked.file);
}

export async function openFileDiff(title: string, file: ComparedFile): Promise<void> {
  const name = file.path.split('/').pop() ?? file.path;
  if (file.left && file.right) await vscode.commands.executeCommand('vscode.diff', file.left, file.right, `${name} (${title})`, { preview: true });
  else await vscode.commands.executeCommand('vscode.open', file.left ?? file.right, { preview: true });
}

function statusLabel(status: ComparedFile['status']): string {
  return status === 'added' ? vscode.l10n.t('added') : status === 'removed' ? vscode.l10n.t('removed') : vscode.l10n.t('changed');
}

function label(index: BackupIndex): string {
  return `${index.nodeId} ${localTime(index.createdAt)}`;
}

function octal(mode: number | undefined): string {
  return mode === undefined ? '?' : '0' + (mode & 0o7777).toString(8);
}
