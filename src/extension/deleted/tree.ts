import * as vscode from 'vscode';
import { listDeleted, type DeletedEntry } from '../../core/deletes';
import { toOcmError } from '../../core/errors';
import { formatBytes } from '../../core/format-bytes';
import { historyUri } from '../fs/history-fs';

/**
 * The "Recently Deleted" group under each node: what was deleted (or replaced by a rename)
 * through ocm, newest first, read from the local records (no node contact). A file entry opens
 * its kept content read-only; "Restore" puts it back through the safe save.
 */

export interface DeletedGroupItem {
  kind: 'deletedGroup';
  nodeId: string;
}
export interface DeletedEntryItem {
  kind: 'deletedEntry';
  nodeId: string;
  entry: DeletedEntry;
}
export interface DeletedMessageItem {
  kind: 'deletedMessage';
  nodeId: string;
  label: string;
}
export type DeletedTreeNode = DeletedGroupItem | DeletedEntryItem | DeletedMessageItem;

const KINDS = new Set(['deletedGroup', 'deletedEntry', 'deletedMessage']);

export function isDeletedTreeNode(element: unknown): element is DeletedTreeNode {
  return typeof element === 'object' && element !== null && KINDS.has((element as { kind?: string }).kind ?? '');
}

export class DeletedTreeContributor implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<DeletedTreeNode | undefined>();
  readonly onDidChange = this.changed.event;
  private readonly groups = new Map<string, DeletedGroupItem>();

  constructor(private readonly home: string) {}

  childrenForNode(nodeId: string): DeletedTreeNode[] {
    let group = this.groups.get(nodeId);
    if (!group) this.groups.set(nodeId, (group = { kind: 'deletedGroup', nodeId }));
    return [group];
  }

  /** Redraw a node's group (something was deleted or restored). */
  refresh(nodeId?: string): void {
    this.changed.fire(nodeId !== undefined ? this.groups.get(nodeId) : undefined);
  }

  async getChildren(element: DeletedTreeNode): Promise<DeletedTreeNode[]> {
    if (element.kind !== 'deletedGroup') return [];
    try {
      const entries = await listDeleted(this.home, element.nodeId);
      if (!entries.length) return [{ kind: 'deletedMessage', nodeId: element.nodeId, label: vscode.l10n.t('Nothing deleted through OpenClaw Manager') }];
      return entries.map((entry) => ({ kind: 'deletedEntry', nodeId: element.nodeId, entry }));
    } catch (e) {
      return [{ kind: 'deletedMessage', nodeId: element.nodeId, label: toOcmError(e).message }];
    }
  }

  getTreeItem(element: DeletedTreeNode): vscode.TreeItem {
    if (element.kind === 'deletedGroup') {
      const item = new vscode.TreeItem(vscode.l10n.t('Recently Deleted'), vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `deleted:${element.nodeId}`;
      item.iconPath = new vscode.ThemeIcon('trash');
      item.contextValue = 'deletedGroup';
      return item;
    }
    if (element.kind === 'deletedMessage') {
      const item = new vscode.TreeItem(element.label, vscode.TreeItemCollapsibleState.None);
      item.id = `deleted:${element.nodeId}:message`;
      item.contextValue = 'message';
      return item;
    }
    const { entry } = element;
    const name = entry.path.split('/').pop() || entry.path;
    const item = new vscode.TreeItem(entry.kind === 'folder' ? `${name}/` : name, vscode.TreeItemCollapsibleState.None);
    item.id = `deleted:${element.nodeId}:${entry.id}`;
    item.iconPath = new vscode.ThemeIcon(entry.kind === 'folder' ? 'folder' : 'file');
    const when = new Date(entry.deletedAt).toLocaleString();
    item.description = `${when} · ${entry.kind === 'folder' ? vscode.l10n.t('{0} files', entry.files.length) + ' · ' : ''}${formatBytes(entry.totalBytes)}`;
    item.tooltip = `${entry.nodeId}:${entry.path}\n${entry.via === 'overwrite' ? vscode.l10n.t('Replaced by a rename') : vscode.l10n.t('Deleted')} ${when}`;
    item.contextValue = 'deletedEntry';
    const only = entry.kind === 'file' ? entry.files[0] : undefined;
    if (only) item.command = { command: 'vscode.open', title: vscode.l10n.t('Open'), arguments: [historyUri(only.historyId, entry.path), { preview: true }] };
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
