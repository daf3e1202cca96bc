import * as vscode from 'vscode';
import { NODE_ID_PATTERN } from '../../core/registry';
import { parseTarget } from '../../core/registry/target';
import type { CommandDeps } from './index';
import { showError } from './show-error';

export function registerAddNode(context: vscode.ExtensionContext, { registry, tree }: CommandDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.addNode', async () => {
      try {
        const target = await vscode.window.showInputBox({
          title: vscode.l10n.t('Add node (1/2)'),
          prompt: vscode.l10n.t('SSH target: [user@]host[:port] or a Host alias from ~/.ssh/config'),
          placeHolder: 'claw@gateway-1.example.com:22',
          ignoreFocusOut: true,
          validateInput: (value) => {
            try {
              parseTarget(value);
              return undefined;
            } catch (e) {
              return (e as Error).message;
            }
          },
        });
        if (!target) return;
        const parsed = parseTarget(target);
        const id = await vscode.window.showInputBox({
          title: vscode.l10n.t('Add node (2/2)'),
          prompt: vscode.l10n.t('A short id for this node'),
          value: parsed.host.split('.')[0],
          ignoreFocusOut: true,
          validateInput: (value) => (NODE_ID_PATTERN.test(value) ? undefined : vscode.l10n.t('Use letters, digits, ".", "_" or "-"')),
        });
        if (!id) return;
        await registry.add({ id, ...parsed });
        tree.refresh();
      } catch (e) {
        await showError(e);
      }
    }),
  );
}
