import * as vscode from 'vscode';
import { toOcmError } from '../../core/errors';
import { formatBytes } from '../../core/format-bytes';
import { roundHours } from '../../core/sessions/predict';
import { pctLabel, type SessionUsage } from '../../core/status';

/**
 * "Sessions" under each agent in the Nodes tree: one item per session with its key, last
 * activity, context use as a bar (only when OpenClaw's count is fresh), transcript size and the
 * overflow prediction; over-threshold sessions are highlighted. Rows come from the status
 * monitor's last check (cheap: gateway RPC), with transcript sizes from a listing when the group
 * is expanded. The nodes tree delegates these items here (like the Backups group).
 */

export interface SessionsGroupItem {
  kind: 'sessions';
  nodeId: string;
  agentId: string;
}

export interface SessionItem {
  kind: 'session';
  nodeId: string;
  agentId: string;
  row: SessionUsage;
}

export interface SessionMessageItem {
  kind: 'sessionMessage';
  nodeId: string;
  agentId: string;
  label: string;
  detail?: string;
}

export type SessionsTreeNode = SessionsGroupItem | SessionItem | SessionMessageItem;

const KINDS = new Set(['sessions', 'session', 'sessionMessage']);

export function isSessionsTreeNode(element: unknown): element is SessionsTreeNode {
  return typeof element === 'object' && element !== null && KINDS.has((element as { kind?: string }).kind ?? '');
}

export interface SessionsSource {
  /** The agent's sessions (with transcript sizes when they can be had cheaply). */
  sessions(nodeId: string, agentId: string): Promise<{ rows: SessionUsage[]; note?: string }>;
}

export class SessionsTreeContributor implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<SessionsTreeNode | undefined>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly source: SessionsSource) {}

  groupFor(nodeId: string, agentId: string): SessionsGroupItem {
    return { kind: 'sessions', nodeId, agentId };
  }

  /** Redraw (after a check or an action). */
  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(element: SessionsTreeNode): Promise<SessionsTreeNode[]> {
    if (element.kind !== 'sessions') return [];
    try {
      const { rows, note } = await this.source.sessions(element.nodeId, element.agentId);
      if (rows.length === 0)
        return [
          { kind: 'sessionMessage', nodeId: element.nodeId, agentId: element.agentId, label: vscode.l10n.t('No sessions'), ...(note ? { detail: note } : {}) },
        ];
      return rows.map((row) => ({ kind: 'session', nodeId: element.nodeId, agentId: element.agentId, row }));
    } catch (e) {
      return [
        {
          kind: 'sessionMessage',
          nodeId: element.nodeId,
          agentId: element.agentId,
          label: vscode.l10n.t('Sessions cannot be read'),
          detail: toOcmError(e).message,
        },
      ];
    }
  }

  getTreeItem(element: SessionsTreeNode): vscode.TreeItem {
    if (element.kind === 'sessions') {
      const item = new vscode.TreeItem(vscode.l10n.t('Sessions'), vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `sessions:${element.nodeId}:${element.agentId}`;
      item.iconPath = new vscode.ThemeIcon('comment-discussion');
      item.contextValue = 'sessions';
      return item;
    }
    if (element.kind === 'sessionMessage') {
      const item = new vscode.TreeItem(element.label, vscode.TreeItemCollapsibleState.None);
      item.id = `sessionMessage:${element.nodeId}:${element.agentId}`;
      item.iconPath = new vscode.ThemeIcon('info');
      if (element.detail) {
        item.tooltip = element.detail;
        item.description = element.detail.split('\n')[0];
      }
      item.contextValue = 'message';
      return item;
    }
    return sessionTreeItem(element);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** `██████░░░░ 62%` — only for a fresh count. */
export function usageBar(row: SessionUsage): string | undefined {
  if (row.usedPct === undefined) return undefined;
  const filled = Math.max(0, Math.min(10, Math.round(row.usedPct / 10)));
  return `${'█'.repeat(filled)}${'░'.repeat(10 - filled)} ${pctLabel(row.usedPct)}`;
}

function sessionTreeItem(element: SessionItem): vscode.TreeItem {
  const { row } = element;
  const item = new vscode.TreeItem(row.key, vscode.TreeItemCollapsibleState.None);
  item.id = `session:${element.nodeId}:${element.agentId}:${row.key}`;
  const warn = row.overThreshold || row.predictedOverflow === true;
  item.iconPath = new vscode.ThemeIcon(
    warn ? 'warning' : row.active ? 'loading~spin' : 'comment',
    warn ? new vscode.ThemeColor('editorWarning.foreground') : undefined,
  );
  const parts = [
    usageBar(row) ?? vscode.l10n.t('usage unknown'),
    row.transcriptBytes !== undefined ? formatBytes(row.transcriptBytes) : '',
    ago(row.lastActivityAt ?? row.updatedAt),
  ].filter(Boolean);
  item.description = parts.join(' · ');
  item.contextValue = `session${warn ? '.warn' : ''}${row.active ? '.active' : ''}`;
  const md = new vscode.MarkdownString(`**${row.key}**`);
  md.appendMarkdown(`\n\n${vscode.l10n.t('Agent')}: ${element.agentId}`);
  if (row.model) md.appendMarkdown(`  \n${vscode.l10n.t('Model')}: \`${row.model}\``);
  md.appendMarkdown(
    `  \n${vscode.l10n.t('Context')}: ${row.usedPct !== undefined ? `${pctLabel(row.usedPct)} (${row.totalTokens} / ${row.contextTokens})` : vscode.l10n.t('unknown (OpenClaw has no fresh count)')}`,
  );
  if (row.transcriptBytes !== undefined) md.appendMarkdown(`  \n${vscode.l10n.t('Transcript')}: ${formatBytes(row.transcriptBytes)}`);
  if (row.lastActivityAt ?? row.updatedAt)
    md.appendMarkdown(`  \n${vscode.l10n.t('Last activity')}: ${new Date((row.lastActivityAt ?? row.updatedAt)!).toLocaleString()}`);
  if (row.growthTokensPerHour !== undefined) md.appendMarkdown(`  \n${vscode.l10n.t('Growth')}: ${vscode.l10n.t('{0} tokens/h', row.growthTokensPerHour)}`);
  if (row.hoursToWindow !== undefined)
    md.appendMarkdown(`\n\n$(clock) ${vscode.l10n.t('Reaches its window in about {0} hours at the current rate.', roundHours(row.hoursToWindow))}`);
  if (row.overThreshold) md.appendMarkdown(`\n\n$(warning) ${vscode.l10n.t('Over the context threshold: compact or reset it.')}`);
  if (row.active) md.appendMarkdown(`\n\n$(loading~spin) ${vscode.l10n.t('A turn is running.')}`);
  md.supportThemeIcons = true;
  item.tooltip = md;
  return item;
}

function ago(t: number | undefined): string {
  if (t === undefined) return '';
  const s = Math.max(0, Math.round((Date.now() - t) / 1000));
  if (s < 90) return vscode.l10n.t('{0} s ago', s);
  if (s < 5400) return vscode.l10n.t('{0} min ago', Math.round(s / 60));
  if (s < 172_800) return vscode.l10n.t('{0} h ago', Math.round(s / 3600));
  return vscode.l10n.t('{0} d ago', Math.round(s / 86_400));
}
