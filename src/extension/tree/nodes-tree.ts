import * as vscode from 'vscode';
import { toOcmError } from '../../core/errors';
import type { NodeModel } from '../../core/node-model';
import { agentOfPath, MEMORY_FILE_NAMES, type AgentInfo, type MemoryNote } from '../../core/openclaw';
import type { NodeEntry, NodeRegistry } from '../../core/registry';
import { liveUri } from '../fs/uris';
import { formatBytes, formatDuration, gatewayLabel, nodeHealth, pctLabel, versionLabel, type NodeHealth, type NodeStatus } from '../../core/status';
import { isBackupTreeNode, type BackupTreeNode, type BackupsTreeContributor } from '../backups/tree';
import { isSessionsTreeNode, type SessionsTreeContributor, type SessionsTreeNode } from '../sessions/tree';
import { isDeletedTreeNode, type DeletedTreeContributor, type DeletedTreeNode } from '../deleted/tree';
import { formatTarget } from '../../core/registry/target';

export type TreeNode = NodeItem | AgentItem | FileItem | MemoryFolderItem | ConfigGroupItem | MessageItem | BackupTreeNode | DeletedTreeNode | SessionsTreeNode;

export interface NodeItem {
  kind: 'node';
  node: NodeEntry;
}

export interface AgentItem {
  kind: 'agent';
  nodeId: string;
  agent: AgentInfo;
}

export interface FileItem {
  kind: 'file';
  nodeId: string;
  /** Agent the file belongs to; undefined for config files. */
  agentId?: string;
  remotePath: string;
  label: string;
  description?: string;
  secret?: boolean;
  /** A daily note under memory/. */
  memory?: boolean;
}

export interface MemoryFolderItem {
  kind: 'memoryFolder';
  nodeId: string;
  agentId: string;
  notes: MemoryNote[];
}

export interface ConfigGroupItem {
  kind: 'configGroup';
  nodeId: string;
}

export interface MessageItem {
  kind: 'message';
  id: string;
  label: string;
  detail?: string;
  icon?: string;
}

/**
 * Nodes → agents → files, plus each node's Config group. Ids are stable (no volatile text) so a
 * refresh keeps what is expanded; state lives in contextValue for menus. A node that cannot be
 * read shows why instead of an empty list.
 */
export class NodesTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private showRetired = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Last known problem per node, shown on the node's icon and tooltip. */
  private readonly nodeProblems = new Map<string, string>();
  /** Health of each node (status monitor), shown as the node's icon, description and tooltip. */
  private statusOf: ((nodeId: string) => NodeStatus | undefined) | undefined;
  /** Each node's "Backups" group and below (src/extension/backups), set by registerBackupUi. */
  private backups: BackupsTreeContributor | undefined;
  /** Each agent's "Sessions" group and below (src/extension/sessions), set by registerSessionsUi. */
  private sessions: SessionsTreeContributor | undefined;
  /** Each node's "Recently Deleted" group (src/extension/deleted), set by registerDeletedUi. */
  private deleted: DeletedTreeContributor | undefined;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly model: NodeModel,
  ) {
    void vscode.commands.executeCommand('setContext', 'openclaw.showRetired', false);
  }

  /** Debounced: a burst of file events becomes one refresh. */
  refresh(nodeId?: string): void {
    this.model.invalidate(nodeId);
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.changed.fire(undefined);
    }, 100);
  }

  setDeleted(deleted: DeletedTreeContributor): vscode.Disposable {
    this.deleted = deleted;
    return deleted.onDidChange((group) => this.changed.fire(group));
  }

  setBackups(backups: BackupsTreeContributor): vscode.Disposable {
    this.backups = backups;
    return backups.onDidChange((group) => this.changed.fire(group));
  }

  setSessions(sessions: SessionsTreeContributor): vscode.Disposable {
    this.sessions = sessions;
    return sessions.onDidChange((element) => this.changed.fire(element));
  }

  /** Node items show health from `statusOf`; call `redraw` when it changes. */
  setStatusSource(statusOf: (nodeId: string) => NodeStatus | undefined): void {
    this.statusOf = statusOf;
  }

  /** Redraws items without forgetting what the model knows (health changed). */
  redraw(): void {
    this.changed.fire(undefined);
  }

  setShowRetired(show: boolean): void {
    this.showRetired = show;
    void vscode.commands.executeCommand('setContext', 'openclaw.showRetired', show);
    this.refresh();
  }

  async getChildren(element?: TreeNode): Promise<TreeNode[]> {
    if (!element) return this.rootChildren();
    if (isBackupTreeNode(element)) return this.backups?.getChildren(element) ?? [];
    if (isSessionsTreeNode(element)) return this.sessions?.getChildren(element) ?? [];
    if (isDeletedTreeNode(element)) return this.deleted?.getChildren(element) ?? [];
    switch (element.kind) {
      case 'node':
        // Backups are local: the group shows even when the node cannot be reached.
        return [
          ...(await this.nodeChildren(element.node)),
          ...(this.backups?.childrenForNode(element.node.id) ?? []),
          ...(this.deleted?.childrenForNode(element.node.id) ?? []),
        ];
      case 'agent':
        return this.agentChildren(element);
      case 'memoryFolder':
        return element.notes.map(
          (n) => ({ kind: 'file', nodeId: element.nodeId, agentId: element.agentId, remotePath: n.path, label: n.name, memory: true }) as FileItem,
        );
      case 'configGroup':
        return this.configChildren(element.nodeId);
      default:
        return [];
    }
  }

  getParent(): undefined {
    return undefined;
  }

  async resolveTreeItem(item: vscode.TreeItem, element: TreeNode): Promise<vscode.TreeItem> {
    if (isBackupTreeNode(element) && this.backups) return this.backups.resolveTreeItem(item, element);
    // Node items get their health tooltip in getTreeItem (VS Code resolves only items without one).
    return item;
  }

  getTreeItem(element: TreeNode): vscode.TreeItem {
    if (isBackupTreeNode(element)) return this.backups!.getTreeItem(element);
    if (isSessionsTreeNode(element)) return this.sessions!.getTreeItem(element);
    if (isDeletedTreeNode(element)) return this.deleted!.getTreeItem(element);
    switch (element.kind) {
      case 'message':
        return messageTreeItem(element);
      case 'node':
        return this.nodeTreeItem(element.node);
      case 'agent':
        return agentTreeItem(element);
      case 'memoryFolder': {
        const item = new vscode.TreeItem('memory', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `memory:${element.nodeId}:${element.agentId}`;
        item.iconPath = new vscode.ThemeIcon('calendar');
        item.description = vscode.l10n.t('{0} daily notes', element.notes.length);
        item.contextValue = 'memoryFolder';
        return item;
      }
      case 'configGroup': {
        const item = new vscode.TreeItem(vscode.l10n.t('Config'), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `config:${element.nodeId}`;
        item.iconPath = new vscode.ThemeIcon('settings-gear');
        item.contextValue = 'configGroup';
        return item;
      }
      case 'file':
        return fileTreeItem(element);
    }
  }

  private async rootChildren(): Promise<TreeNode[]> {
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
      return [{ kind: 'message', id: 'registry-error', label: vscode.l10n.t('Node registry cannot be read'), detail: err.message, icon: 'error' }];
    }
  }

  private async nodeChildren(node: NodeEntry): Promise<TreeNode[]> {
    try {
      const { location, agents } = await this.model.describe(node.id);
      this.nodeProblems.delete(node.id);
      const children: TreeNode[] = [];
      if (!location.installed) {
        children.push({
          kind: 'message',
          id: `msg:${node.id}:not-installed`,
          label: vscode.l10n.t('OpenClaw not found on this node'),
          detail: location.reason,
          icon: 'warning',
        });
      }
      children.push(...agents.map((agent) => ({ kind: 'agent', nodeId: node.id, agent }) as AgentItem));
      children.push({ kind: 'configGroup', nodeId: node.id });
      return children;
    } catch (e) {
      const err = toOcmError(e);
      this.nodeProblems.set(node.id, err.message);
      return [{ kind: 'message', id: `msg:${node.id}:error`, label: problemLabel(err.kind), detail: err.message, icon: 'error' }];
    }
  }

  private async agentChildren(item: AgentItem): Promise<TreeNode[]> {
    try {
      const files = await this.model.agentFiles(item.nodeId, item.agent.id);
      if (!files.workspaceExists) {
        return [
          {
            kind: 'message',
            id: `msg:${item.nodeId}:${item.agent.id}:no-workspace`,
            label: vscode.l10n.t('Workspace does not exist yet'),
            detail: files.workspace,
            icon: 'info',
          },
        ];
      }
      // The agent of each file is the one core answer (agentOfPath: deepest workspace wins), the
      // same the guard and the timeline use; a file another agent's nested workspace owns is not listed here.
      const { agents } = await this.model.describe(item.nodeId);
      const ownWorkspace = agentOfPath(agents, item.agent.workspace)?.workspace;
      const owned = <T extends { path: string }>(list: T[]) =>
        list.flatMap((f) => {
          const owner = agentOfPath(agents, f.path);
          return owner && owner.workspace === ownWorkspace ? [{ file: f, agentId: owner.agent.id }] : [];
        });
      const children: TreeNode[] = owned(files.files).map(
        ({ file, agentId }) => ({ kind: 'file', nodeId: item.nodeId, agentId, remotePath: file.path, label: file.name }) as FileItem,
      );
      const notes = owned(files.memoryNotes).map((n) => n.file);
      if (notes.length) children.push({ kind: 'memoryFolder', nodeId: item.nodeId, agentId: item.agent.id, notes });
      if (this.sessions) children.push(this.sessions.groupFor(item.nodeId, item.agent.id));
      return children;
    } catch (e) {
      const err = toOcmError(e);
      return [{ kind: 'message', id: `msg:${item.nodeId}:${item.agent.id}:error`, label: problemLabel(err.kind), detail: err.message, icon: 'error' }];
    }
  }

  private async configChildren(nodeId: string): Promise<TreeNode[]> {
    try {
      const files = await this.model.configFiles(nodeId);
      return files
        .filter((f) => f.exists)
        .map(
          (f) =>
            ({
              kind: 'file',
              nodeId,
              remotePath: f.path,
              label: f.path.split('/').pop() ?? f.path,
              ...(f.role === 'include' ? { description: vscode.l10n.t('included') } : {}),
              ...(f.secret ? { secret: true, description: vscode.l10n.t('secrets') } : {}),
            }) as FileItem,
        );
    } catch (e) {
      const err = toOcmError(e);
      return [{ kind: 'message', id: `msg:${nodeId}:config-error`, label: problemLabel(err.kind), detail: err.message, icon: 'error' }];
    }
  }

  private nodeTreeItem(node: NodeEntry): vscode.TreeItem {
    const item = new vscode.TreeItem(node.id, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `node:${node.id}`;
    const target = formatTarget(node);
    const problem = this.nodeProblems.get(node.id);
    const status = node.status === 'active' ? this.statusOf?.(node.id) : undefined;
    item.description = node.status === 'retired' ? vscode.l10n.t('{0} (retired)', target) : status ? `${healthWord(status)} · ${target}` : target;
    item.iconPath =
      node.status === 'retired'
        ? new vscode.ThemeIcon('server', new vscode.ThemeColor('disabledForeground'))
        : status
          ? healthIcon(status)
          : problem
            ? new vscode.ThemeIcon('server', new vscode.ThemeColor('errorForeground'))
            : new vscode.ThemeIcon('server');
    const health = status ? (status.anomalies.some((a) => a.severity === 'error') ? '.error' : status.anomalies.length ? '.warning' : '.ok') : '';
    item.contextValue = `node.${node.status}${node.host === 'local' ? '.local' : ''}${health}`;
    item.tooltip = new vscode.MarkdownString(
      [
        `**${node.id}**`,
        `${vscode.l10n.t('Host')}: \`${target}\``,
        node.stateDir ? `${vscode.l10n.t('State dir')}: \`${node.stateDir}\`` : '',
        node.labels.length ? `${vscode.l10n.t('Labels')}: ${node.labels.join(', ')}` : '',
        problem ? `$(error) ${problem}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
      true,
    );
    if (status) item.tooltip = statusTooltip(node, status, item.tooltip);
    return item;
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.changed.dispose();
  }
}

function agentTreeItem(element: AgentItem): vscode.TreeItem {
  const { agent } = element;
  const item = new vscode.TreeItem(agent.name && agent.name !== agent.id ? `${agent.id} — ${agent.name}` : agent.id, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `agent:${element.nodeId}:${agent.id}`;
  item.iconPath = new vscode.ThemeIcon(agent.isDefault ? 'star-full' : 'hubot');
  item.description = agent.isDefault ? vscode.l10n.t('default') : undefined;
  item.contextValue = agent.isDefault ? 'agent.default' : 'agent';
  item.tooltip = new vscode.MarkdownString(
    [
      `**${agent.id}**`,
      `${vscode.l10n.t('Workspace')}: \`${agent.workspace}\``,
      `agentDir: \`${agent.agentDir}\``,
      agent.model ? `${vscode.l10n.t('Model')}: \`${agent.model}\`` : '',
    ]
      .filter(Boolean)
      .join('\n\n'),
  );
  return item;
}

function fileTreeItem(element: FileItem): vscode.TreeItem {
  const uri = liveUri(element.nodeId, element.remotePath);
  const item = new vscode.TreeItem(element.label, vscode.TreeItemCollapsibleState.None);
  item.id = `file:${element.nodeId}:${element.remotePath}`;
  item.resourceUri = uri;
  if (element.description) item.description = element.description;
  item.tooltip = `${element.nodeId}:${element.remotePath}`;
  item.contextValue = element.secret
    ? 'file.secret'
    : element.remotePath.endsWith('.json') || element.remotePath.endsWith('.json5')
      ? 'file.config'
      : element.agentId && (element.memory || (MEMORY_FILE_NAMES as readonly string[]).includes(element.label))
        ? 'file.memory'
        : 'file';
  item.command = { command: 'vscode.open', title: vscode.l10n.t('Open'), arguments: [uri] };
  return item;
}

function messageTreeItem(element: MessageItem): vscode.TreeItem {
  const item = new vscode.TreeItem(element.label, vscode.TreeItemCollapsibleState.None);
  item.id = element.id;
  item.iconPath = new vscode.ThemeIcon(element.icon ?? 'info');
  item.tooltip = element.detail;
  item.description = element.detail?.split('\n')[0];
  item.contextValue = 'message';
  return item;
}

function problemLabel(kind: string): string {
  switch (kind) {
    case 'unreachable':
      return vscode.l10n.t('Unreachable');
    case 'auth':
      return vscode.l10n.t('Authentication failed');
    case 'hostKeyUnknown':
      return vscode.l10n.t('Host key not trusted yet');
    case 'hostKeyChanged':
      return vscode.l10n.t('Host key changed: connection refused');
    case 'timeout':
      return vscode.l10n.t('Timed out');
    case 'invalidConfig':
      return vscode.l10n.t('openclaw.json cannot be read');
    case 'permission':
      return vscode.l10n.t('Permission denied');
    default:
      return vscode.l10n.t('Cannot read this node');
  }
}

/** One word for a node's health in the tree: ready, gateway down, unreachable... */
function healthWord(status: NodeStatus): string {
  if (!status.reachable) {
    switch (status.error?.kind) {
      case 'hostKeyUnknown':
        return vscode.l10n.t('host key not trusted');
      case 'hostKeyChanged':
        return vscode.l10n.t('HOST KEY CHANGED');
      case 'auth':
        return vscode.l10n.t('login failed');
      default:
        return vscode.l10n.t('unreachable');
    }
  }
  if (status.openclaw && !status.openclaw.installed) return vscode.l10n.t('no OpenClaw');
  const gateway = gatewayLabel(status);
  if (gateway === 'ready') return `${versionLabel(status)} · ${vscode.l10n.t('ready')}`;
  if (gateway === 'down') return vscode.l10n.t('gateway down');
  if (gateway === '-') return versionLabel(status);
  return vscode.l10n.t('gateway not ready');
}

/** Ready (green; yellow with warnings), not ready or gateway down (red), unreachable (red, disconnected), no OpenClaw (yellow). */
function healthIcon(status: NodeStatus): vscode.ThemeIcon {
  switch (nodeHealth(status).health) {
    case 'ready':
      return new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor(status.anomalies.length ? 'editorWarning.foreground' : 'testing.iconPassed'));
    case 'unreachable':
      return new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('errorForeground'));
    case 'notReady':
    case 'gatewayDown':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    default:
      return status.anomalies.some((a) => a.severity === 'error')
        ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
        : new vscode.ThemeIcon('warning', new vscode.ThemeColor('editorWarning.foreground'));
  }
}

function healthTitle(health: NodeHealth): string {
  switch (health) {
    case 'ready':
      return vscode.l10n.t('Ready');
    case 'notReady':
      return vscode.l10n.t('Not ready');
    case 'gatewayDown':
      return vscode.l10n.t('Gateway down');
    case 'unreachable':
      return vscode.l10n.t('Unreachable');
    case 'notInstalled':
      return vscode.l10n.t('OpenClaw not found');
    default:
      return vscode.l10n.t('Not checked yet');
  }
}

function statusTooltip(node: NodeEntry, status: NodeStatus, base: string | vscode.MarkdownString | undefined): vscode.MarkdownString {
  const md = new vscode.MarkdownString(typeof base === 'string' ? base : (base?.value ?? `**${node.id}**`), true);
  const { health, reason } = nodeHealth(status);
  md.appendMarkdown(
    `\n\n$(${health === 'ready' ? 'pass-filled' : health === 'unreachable' ? 'debug-disconnect' : 'error'}) **${healthTitle(health)}**${reason ? `: ${escapeMarkdown(reason)}` : ''}`,
  );
  const facts = [
    `${vscode.l10n.t('OpenClaw')}: ${versionLabel(status)}`,
    `${vscode.l10n.t('Gateway')}: ${gatewayLabel(status)}${status.gateway?.uptimeMs !== undefined ? ` (${vscode.l10n.t('up {0}', formatDuration(status.gateway.uptimeMs))})` : ''}`,
    status.agents ? `${vscode.l10n.t('Agents')}: ${status.agents.count}` : '',
    status.hostFacts?.load1 !== undefined ? `${vscode.l10n.t('Load')}: ${status.hostFacts.load1.toFixed(2)}` : '',
    status.hostFacts?.memTotalBytes
      ? `${vscode.l10n.t('Memory')}: ${pctLabel(status.hostFacts.memUsedPct)} / ${formatBytes(status.hostFacts.memTotalBytes)}`
      : '',
    status.hostFacts?.disk ? `${vscode.l10n.t('Disk')}: ${pctLabel(status.hostFacts.disk.usedPct)}` : '',
  ].filter(Boolean);
  md.appendMarkdown('\n\n---\n\n' + facts.join('  \n'));
  if (status.anomalies.length)
    md.appendMarkdown('\n\n' + status.anomalies.map((a) => `$(${a.severity === 'error' ? 'error' : 'warning'}) ${a.message}`).join('  \n'));
  return md;
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+!|<>$-]/g, '\\$&');
}
