import * as vscode from 'vscode';
import { withCancellableProgress } from '../progress';
import type { CommandDeps } from './deps';
import { showError } from './show-error';

/** "Check Nodes Now". ("Show Status", the old Markdown table, is now the dashboard: src/extension/dashboard.) */
export function registerShowStatus(context: vscode.ExtensionContext, { monitor }: CommandDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.checkStatus', async () => {
      try {
        await withCancellableProgress(vscode.l10n.t('Checking OpenClaw nodes…'), () => monitor.refresh());
      } catch (e) {
        await showError(e);
      }
    }),
  );
}
