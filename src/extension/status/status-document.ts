import * as vscode from 'vscode';
import { formatBytes, formatDuration, gatewayLabel, pctLabel, reachabilityLabel, shortNotes, versionLabel, type NodeStatus } from '../../core/status';
import type { StatusMonitor } from './status-monitor';

export const STATUS_SCHEME = 'openclaw-status';
export const STATUS_URI = vscode.Uri.from({ scheme: STATUS_SCHEME, path: '/OpenClaw status.md' });

/**
 * "Show status": the same facts as `ocm status`, as a Markdown table in a read-only document that
 * is re-rendered whenever a check finishes, and checked on a timer while it is open.
 */
export class StatusDocumentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private watching: vscode.Disposable | undefined;

  constructor(private readonly monitor: StatusMonitor) {
    this.subscriptions.push(
      monitor.onDidChange(() => this.emitter.fire(STATUS_URI)),
      vscode.workspace.onDidOpenTextDocument((d) => d.uri.scheme === STATUS_SCHEME && this.startWatching()),
      vscode.workspace.onDidCloseTextDocument((d) => d.uri.scheme === STATUS_SCHEME && this.stopWatching()),
    );
  }

  provideTextDocumentContent(): string {
    return renderStatusMarkdown(this.monitor.all());
  }

  dispose(): void {
    this.stopWatching();
    for (const s of this.subscriptions) s.dispose();
    this.emitter.dispose();
  }

  private startWatching(): void {
    this.watching ??= this.monitor.watch();
  }

  private stopWatching(): void {
    this.watching?.dispose();
    this.watching = undefined;
  }
}

export function renderStatusMarkdown(statuses: NodeStatus[]): string {
  const lines = [`# ${vscode.l10n.t('OpenClaw node status')}`, ''];
  if (statuses.length === 0) {
    lines.push(vscode.l10n.t('Checking nodes…'));
    return lines.join('\n') + '\n';
  }
  const h = [
    vscode.l10n.t('Node'),
    vscode.l10n.t('Reachable'),
    vscode.l10n.t('Version'),
    vscode.l10n.t('Gateway'),
    vscode.l10n.t('Uptime'),
    vscode.l10n.t('Agents'),
    vscode.l10n.t('Load'),
    vscode.l10n.t('Memory'),
    vscode.l10n.t('Disk'),
    vscode.l10n.t('Notes'),
  ];
  lines.push(`| ${h.join(' | ')} |`, `|${h.map(() => '---').join('|')}|`);
  for (const s of statuses) {
    const cells = [
      s.nodeId,
      reachabilityLabel(s),
      versionLabel(s),
      gatewayLabel(s),
      formatDuration(s.gateway?.uptimeMs),
      s.agents ? String(s.agents.count) : '-',
      s.hostFacts?.load1 !== undefined ? s.hostFacts.load1.toFixed(2) : '-',
      s.hostFacts?.memTotalBytes ? `${pctLabel(s.hostFacts.memUsedPct)} / ${formatBytes(s.hostFacts.memTotalBytes)}` : '-',
      pctLabel(s.hostFacts?.disk?.usedPct),
      shortNotes(s) || '',
    ];
    lines.push(`| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
  }
  const problems = statuses.flatMap((s) => s.anomalies.map((a) => `- ${a.severity === 'error' ? '❌' : '⚠️'} **${s.nodeId}**: ${a.message}`));
  if (problems.length) lines.push('', `## ${vscode.l10n.t('Problems')}`, '', ...problems);
  const newest = statuses.map((s) => s.checkedAt).sort().pop();
  if (newest) lines.push('', `_${vscode.l10n.t('Checked at {0}', new Date(newest).toLocaleString())}_`);
  return lines.join('\n') + '\n';
}
