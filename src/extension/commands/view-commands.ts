import * as vscode from 'vscode';
import type { TreeNode } from '../tree/nodes-tree';
import type { CommandDeps } from './deps';

export function registerViewCommands(context: vscode.ExtensionContext, { registry, tree }: CommandDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.refresh', () => tree.refresh()),
    vscode.commands.registerCommand('openclaw.refreshNode', (item?: TreeNode) => tree.refresh(item?.kind === 'node' ? item.node.id : undefined)),
    vscode.commands.registerCommand('openclaw.showRetired', () => tree.setShowRetired(true)),
    vscode.commands.registerCommand('openclaw.hideRetired', () => tree.setShowRetired(false)),
    vscode.commands.registerCommand('openclaw.openRegistry', async () => {
      await vscode.window.showTextDocument(vscode.Uri.file(registry.file));
    }),
  );
}
