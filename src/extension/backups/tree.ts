import * as vscode from 'vscode';
import type { BackupSummary } from '../../core/backup';
import { toOcmError } from '../../core/errors';
import type { BackupCatalog } from './catalog';
import type { FolderEntry } from './folder-tree';
import { backupUri } from './uris';
import { formatBytes } from '../../core/format-bytes';

/**
 * The "Backups" group under each node of the Nodes tree: backups newest first, each expanding into
 * its files as folders (from the index; no archive is read until a file is opened).
 * Ids are stable (`backup:<nodeId>:<backupId>:<path>`), so refreshes keep what was expanded.
 */

export interface BackupsGroupItem {
  kind: 'backups';
  nodeId: string;
}
export interface BackupItem {
  kind: 'backup';
  nodeId: string;
  summary: BackupSummary;
}
export interface BackupEntryItem {
  kind: 'backupEntry';
  nodeId: string;
  backupId: string;
  entry: FolderEntry;
  /** Top-level rows show their full path (`/home/u/.openclaw`); nested ones just their name. */
  label: string;
}
export interface BackupMessageItem {
  kind: 'backupMessage';
  nodeId: string;
  id: string;
  label: string;
  detail?: string;
  error?: boolean;
}
export type BackupTreeNode = BackupsGroupItem | BackupItem | BackupEntryItem | BackupMessageItem;

const KINDS = new Set(['backups', 'backup', 'backupEntry', 'backupMessage']);

export function isBackupTreeNode(element: unknown): element is BackupTreeNode {
  return typeof element === 'object' && element !== null && KINDS.has((element as { kind?: string }).kind ?? '');
}

export class BackupsTreeContributor implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<BackupTreeNode | undefined>();
  /**
   * Fires when backups were added, removed or pinned: with a node's "Backups" group (the same
   * object childrenForNode returned, so the tree refreshes just that group), or undefined for all.
   */
  readonly onDidChange = this.changed.event;
  private readonly counts = new Map<string, number>();
  private readonly groups = new Map<string, BackupsGroupItem>();

  constructor(private readonly catalog: BackupCatalog) {}

  /** What a node contributes to its children: the "Backups" group. */
  childrenForNode(nodeId: string): BackupTreeNode[] {
    let group = this.groups.get(nodeId);
    if (!group) this.groups.set(nodeId, (group = { kind: 'backups', nodeId }));
    return [group];
  }

  refresh(nodeId?: string): void {
    this.catalog.invalidate(nodeId);
    const group = nodeId !== undefined ? this.groups.get(nodeId) : undefined;
    this.changed.fire(group);
  }

  async getChildren(element: BackupTreeNode): Promise<BackupTreeNode[]> {
    try {
      if (element.kind === 'backups') {
        const list = await this.catalog.list(element.nodeId);
        const known = this.counts.get(element.nodeId);
        this.counts.set(element.nodeId, list.length);
        // The group's row shows the count: redraw it when the listing found a different number.
        if (known !== list.length) setTimeout(() => this.changed.fire(element), 0);
        if (list.length === 0)
          return [{ kind: 'backupMessage', nodeId: element.nodeId, id: `backups:${element.nodeId}:empty`, label: vscode.l10n.t('No backups yet') }];
        return list.map((summary) => ({ kind: 'backup', nodeId: element.nodeId, summary }));
      }
      if (element.kind === 'backup') {
        const tree = await this.catalog.folderTree(element.nodeId, element.summary.id);
        return tree.topLevel().map((entry) => ({ kind: 'backupEntry', nodeId: element.nodeId, backupId: element.summary.id, entry, label: entry.path }));
      }
      if (element.kind === 'backupEntry' && element.entry.type === 'directory') {
        const tree = await this.catalog.folderTree(element.nodeId, element.backupId);
        return tree
          .children(element.entry.path)
          .map((entry) => ({ kind: 'backupEntry', nodeId: element.nodeId, backupId: element.backupId, entry, label: entry.name }));
      }
      return [];
    } catch (e) {
      const err = toOcmError(e);
      return [
        {
          kind: 'backupMessage',
          nodeId: element.nodeId,
          id: `${idOf(element)}:error`,
          label: vscode.l10n.t('Backups cannot be read'),
          detail: err.message,
          error: true,
        },
      ];
    }
  }

  getTreeItem(element: BackupTreeNode): vscode.TreeItem {
    switch (element.kind) {
      case 'backups': {
        const item = new vscode.TreeItem(vscode.l10n.t('Backups'), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = idOf(element);
        item.iconPath = new vscode.ThemeIcon('archive');
        item.contextValue = 'backups';
        const count = this.counts.get(element.nodeId);
        if (count !== undefined) item.description = String(count);
        return item;
      }
      case 'backup': {
        const s = element.summary;
        const item = new vscode.TreeItem(localTime(s.createdAt), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = idOf(element);
        item.description = [s.engine === 'openclaw' ? 'openclaw' : 'ocm', formatBytes(s.archiveSize), s.pinned ? vscode.l10n.t('pinned') : undefined]
          .filter(Boolean)
          .join(' · ');
        item.iconPath = new vscode.ThemeIcon(s.pinned ? 'pinned' : 'archive');
        item.contextValue = s.pinned ? 'backup.pinned' : 'backup';
        item.tooltip = backupTooltip(s);
        item.resourceUri = backupUri(element.nodeId, s.id);
        return item;
      }
      case 'backupEntry': {
        const { entry } = element;
        const folder = entry.type === 'directory';
        const item = new vscode.TreeItem(element.label, folder ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = idOf(element);
        item.resourceUri = backupUri(element.nodeId, element.backupId, entry.path);
        item.iconPath = folder ? vscode.ThemeIcon.Folder : vscode.ThemeIcon.File;
        item.contextValue = folder ? 'backupFolder' : 'backupFile';
        if (!folder) {
          item.description = entry.type === 'symlink' ? `→ ${entry.linkTarget ?? ''}` : formatBytes(entry.size);
          item.command = { command: 'openclaw.openBackupFile', title: vscode.l10n.t('Open File from Backup'), arguments: [element] };
        }
        item.tooltip = `${entry.path}\n${modeString(entry.mode)}${folder ? '' : ` · ${formatBytes(entry.size)}`}${entry.sha256 ? `\nsha256 ${entry.sha256}` : ''}`;
        return item;
      }
      case 'backupMessage': {
        const item = new vscode.TreeItem(element.label, vscode.TreeItemCollapsibleState.None);
        item.id = element.id;
        item.iconPath = new vscode.ThemeIcon(element.error ? 'error' : 'info');
        item.tooltip = element.detail;
        item.description = element.detail?.split('\n')[0];
        item.contextValue = element.error ? 'message' : 'backups.empty';
        return item;
      }
    }
  }

  /** Fills a backup's tooltip with the entry count from its full index (read only on hover). */
  async resolveTreeItem(item: vscode.TreeItem, element: BackupTreeNode): Promise<vscode.TreeItem> {
    if (element.kind !== 'backup' || element.summary.entryCount !== undefined) return item;
    try {
      const index = await this.catalog.index(element.nodeId, element.summary.id);
      item.tooltip = backupTooltip({ ...element.summary, entryCount: index.entries.length });
    } catch {
      // The tooltip keeps "?" for the count; opening the backup shows the reason.
    }
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function idOf(element: BackupTreeNode): string {
  switch (element.kind) {
    case 'backups':
      return `backups:${element.nodeId}`;
    case 'backup':
      return `backup:${element.nodeId}:${element.summary.id}`;
    case 'backupEntry':
      return `backup:${element.nodeId}:${element.backupId}:${element.entry.path}`;
    case 'backupMessage':
      return element.id;
  }
}

function backupTooltip(s: BackupSummary): vscode.MarkdownString {
  const lines = [
    `**${localTime(s.createdAt)}** — \`${s.nodeId}/${s.id}\``,
    `${vscode.l10n.t('OpenClaw version')}: ${s.openclawVersion ?? vscode.l10n.t('unknown')}`,
    `${vscode.l10n.t('Engine')}: ${s.engine === 'openclaw' ? vscode.l10n.t('OpenClaw backup') : vscode.l10n.t('OpenClaw Manager (own engine)')}`,
    `${vscode.l10n.t('Entries')}: ${s.entryCount ?? '?'} · ${formatBytes(s.archiveSize)}`,
    s.capture?.method === 'own'
      ? s.parent
        ? vscode.l10n.t('Incremental snapshot: unchanged files are shared with the previous one')
        : vscode.l10n.t('First snapshot of this node')
      : s.capture?.method === 'legacy'
        ? vscode.l10n.t('Imported from the old backup store')
        : vscode.l10n.t('Imported from an OpenClaw archive'),
  ];
  if (s.options.configOnly) lines.push(vscode.l10n.t('Config only'));
  if (s.options.includeTranscripts) lines.push(vscode.l10n.t('Includes session transcripts'));
  if (s.pinned) lines.push(vscode.l10n.t('Pinned: kept by retention'));
  const md = new vscode.MarkdownString(lines.join('\n\n'));
  md.supportThemeIcons = false;
  return md;
}

export function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function modeString(mode: number): string {
  return '0' + (mode & 0o7777).toString(8).padStart(3, '0');
}
export { formatBytes } from '../../core/format-bytes';
