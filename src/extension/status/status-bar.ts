import * as vscode from 'vscode';
import type { StatusMonitor } from './status-monitor';

/** `$(server) 3/4` plus a warning count: nodes up out of active nodes, at a glance; a click opens the dashboard. */
export function createStatusBar(monitor: StatusMonitor): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('openclaw.status', vscode.StatusBarAlignment.Left, 50);
  item.name = vscode.l10n.t('OpenClaw nodes');
  item.command = 'openclaw.openDashboard';
  const render = () => {
    const all = monitor.all();
    if (all.length === 0) {
      item.hide();
      return;
    }
    const up = all.filter((s) => s.reachable).length;
    const warnings = all.reduce((n, s) => n + s.anomalies.length, 0);
    item.text = `$(server) ${up}/${all.length}${warnings ? `  $(warning) ${warnings}` : ''}`;
    const lines = all.flatMap((s) => (s.anomalies.length ? s.anomalies.map((a) => `- **${s.nodeId}**: ${a.message}`) : []));
    item.tooltip = new vscode.MarkdownString(
      [
        vscode.l10n.t('OpenClaw: {0} of {1} nodes reachable', up, all.length),
        ...(lines.length ? ['', ...lines] : ['', vscode.l10n.t('No problems found.')]),
      ].join('\n'),
    );
    item.backgroundColor = all.some((s) => s.anomalies.some((a) => a.severity === 'error'))
      ? new vscode.ThemeColor('statusBarItem.warningBackground')
      : undefined;
    item.show();
  };
  const sub = monitor.onDidChange(render);
  return vscode.Disposable.from(item, sub);
}
