import * as vscode from 'vscode';
import type { NodeItem } from '../tree/nodes-tree';
import type { CommandDeps } from './deps';
import { showError } from './show-error';

export function registerRetireNode(context: vscode.ExtensionContext, { registry, tree }: CommandDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.retireNode', async (item?: NodeItem) => {
      try {
        if (!item || item.kind !== 'node') return;
        const retire = vscode.l10n.t('Retire');
        const answer = await vscode.window.showWarningMessage(
          vscode.l10n.t('Retire node "{0}"? It stays in the registry and its backups are kept.', item.node.id),
          { modal: true },
          retire,
        );
        if (answer !== retire) return;
        await registry.setStatus(item.node.id, 'retired');
        tree.refresh();
      } catch (e) {
        await showError(e);
      }
    }),
  );
}
