import * as vscode from 'vscode';
import { NodeRegistry } from '../core/registry';
import { ocmHome, registryPath } from '../core/home';
import { NodesTreeProvider } from './tree/nodes-tree';
import { registerCommands } from './commands';

/**
 * Activation is cheap by design: no network I/O, only the registry file is read when the tree
 * first asks for children. Everything that talks to nodes happens on demand.
 */
export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const home = configuredHome();
  const registry = new NodeRegistry(registryPath(home));
  const tree = new NodesTreeProvider(registry);
  const view = vscode.window.createTreeView('openclaw.nodes', { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true });
  context.subscriptions.push(view, tree);

  // nodes.json is shared with the CLI: refresh when anyone changes it.
  const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(home), 'nodes.json'));
  watcher.onDidChange(() => tree.refresh());
  watcher.onDidCreate(() => tree.refresh());
  watcher.onDidDelete(() => tree.refresh());
  context.subscriptions.push(watcher);

  registerCommands(context, { registry, tree });
  return { registry, tree, home };
}

export function deactivate(): void {}

export interface ExtensionApi {
  registry: NodeRegistry;
  tree: NodesTreeProvider;
  home: string;
}

function configuredHome(): string {
  const setting = vscode.workspace.getConfiguration('openclaw').get<string>('home');
  return setting && setting.trim() !== '' ? setting : ocmHome();
}
