import * as vscode from 'vscode';
import type { NodeEntry, NodeRegistry } from '../../core/registry';
import { toOcmError } from '../../core/errors';

export type TreeNode = NodeItem | MessageItem;

export interface NodeItem {
  kind: 'node';
  node: NodeEntry;
}

export interface MessageItem {
  kind: 'message';
  id: string;
  label: string;
  detail?: string;
}

/** Nodes → (later) agents → files. Ids are stable (no volatile text) so refreshes keep expansion. */
export class NodesTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private showRetired = false;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly registry: NodeRegistry) {
    void vscode.commands.executeCommand('setContext', 'openclaw.showRetired', false);
  }

  /** Debounced: a burst of file events becomes one refresh. */
  refresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.changed.fire(undefined);
    }, 100);
  }

  setShowRetired(show: boolean): void {
    this.showRetired = show;
    void vscode.commands.executeCommand('setContext', 'openclaw.showRetired', show);
    this.refresh();
  }

  async getChildren(element?: TreeNode): Promise<TreeNode[]> {
    if (element) return [];
    try {
      const nodes = await this.registry.list();
      await vscode.commands.executeCommand('setContext', 'openclaw.hasNodes', nodes.length > 0);
      await vscode.commands.executeCommand('setContext', 'openclaw.registryLoaded', true);
      return nodes.filter((n) => this.showRetired || n.status === 'active').map((node) => ({ kind: 'node', node }) as NodeItem);
    } catch (e) {
      // A broken registry is shown in the tree (with the reason), not as an empty list.
      await vscode.commands.executeCommand('setContext', 'openclaw.registryLoaded', true);
      await vscode.commands.executeCommand('setContext', 'openclaw.hasNodes', true);
      const err = toOcmError(e);
      return [{ kind: 'message', id: 'registry-error', label: vscode.l10n.t('Node registry cannot be read'), detail: err.message }];
    }
  }

  getTreeItem(element: TreeNode): vscode.TreeItem {
    if (element.kind === 'message') {
      const item = new vscode.TreeItem(element.label, vscode.TreeItemCollapsibleState.None);
      item.id = element.id;
      item.iconPath = new vscode.ThemeIcon('error');
      item.tooltip = element.detail;
      item.description = element.detail?.split('\n')[0];
      item.contextValue = 'message';
      return item;
    }
    const { node } = element;
    const item = new vscode.TreeItem(node.id, vscode.TreeItemCollapsibleState.None);
    item.id = `node:${node.id}`;
    const target = `${node.user ? node.user + '@' : ''}${node.host}${node.port ? ':' + node.port : ''}`;
    item.description = node.status === 'retired' ? vscode.l10n.t('{0} (retired)', target) : target;
    item.iconPath = new vscode.ThemeIcon('server', node.status === 'retired' ? new vscode.ThemeColor('disabledForeground') : undefined);
    item.contextValue = `node.${node.status}`;
    item.tooltip = new vscode.MarkdownString(
      [`**${node.id}**`, `${vscode.l10n.t('Host')}: \`${target}\``, node.labels.length ? `${vscode.l10n.t('Labels')}: ${node.labels.join(', ')}` : '']
        .filter(Boolean)
        .join('\n\n'),
    );
    return item;
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.changed.dispose();
  }
}
