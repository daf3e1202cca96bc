import * as vscode from 'vscode';
import type { CommandDeps } from '../commands/deps';
import { showError } from '../commands/show-error';
import { DashboardPanel } from './dashboard-panel';
import { registerOpenAgentFile } from './open-agent-file';

/**
 * "Open Dashboard" (view title, status bar, palette) and the old "Show Status" id, which opens the
 * same dashboard; plus "Open Agent File…", the cards' way into an agent's files.
 */
export function registerDashboard(context: vscode.ExtensionContext, deps: CommandDeps): void {
  const open = (): DashboardPanel | undefined => {
    try {
      return DashboardPanel.show(deps);
    } catch (e) {
      void showError(e);
      return undefined;
    }
  };
  context.subscriptions.push(vscode.commands.registerCommand('openclaw.openDashboard', open), vscode.commands.registerCommand('openclaw.showStatus', open), {
    dispose: () => DashboardPanel.open?.dispose(),
  });
  registerOpenAgentFile(context, deps);
}

export { DashboardPanel } from './dashboard-panel';
