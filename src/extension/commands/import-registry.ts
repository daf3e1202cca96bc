import * as vscode from 'vscode';
import { readImportFile } from '../../core/registry';
import type { CommandDeps } from './deps';
import { showError } from './show-error';

export function registerImportRegistry(context: vscode.ExtensionContext, { registry, tree }: CommandDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.importRegistry', async (file?: vscode.Uri) => {
      try {
        const picked =
          file ??
          (
            await vscode.window.showOpenDialog({
              title: vscode.l10n.t('Import nodes-registry.json'),
              canSelectMany: false,
              filters: { JSON: ['json'] },
            })
          )?.[0];
        if (!picked) return;
        const nodes = await readImportFile(picked.fsPath);
        const { added, skipped } = await registry.addMany(nodes);
        tree.refresh();
        const message = skipped.length
          ? vscode.l10n.t('Imported {0} nodes; skipped {1} already present: {2}', added.length, skipped.length, skipped.join(', '))
          : vscode.l10n.t('Imported {0} nodes.', added.length);
        void vscode.window.showInformationMessage(message);
      } catch (e) {
        await showError(e);
      }
    }),
  );
}
