import * as vscode from 'vscode';
import { STATUS_URI } from '../status/status-document';
import { withCancellableProgress } from '../progress';
import type { CommandDeps } from './index';
import { showError } from './show-error';

/** "Show Status" (the same facts as `ocm status`) and "Check Nodes Now". */
export function registerShowStatus(context: vscode.ExtensionContext, { monitor }: CommandDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.showStatus', async () => {
      try {
        const doc = await vscode.workspace.openTextDocument(STATUS_URI);
        await vscode.commands.executeCommand('markdown.showPreview', doc.uri).then(undefined, () => vscode.window.showTextDocument(doc, { preview: true }));
        if (monitor.all().length === 0) await monitor.refresh();
      } catch (e) {
        await showError(e);
      }
    }),
    vscode.commands.registerCommand('openclaw.checkStatus', async () => {
      try {
        await withCancellableProgress(vscode.l10n.t('Checking OpenClaw nodes…'), () => monitor.refresh());
      } catch (e) {
        await showError(e);
      }
    }),
  );
}
