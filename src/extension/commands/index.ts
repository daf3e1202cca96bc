import * as vscode from 'vscode';
import type { NodeAccess } from '../../core/node-access';
import type { NodeModel } from '../../core/node-model';
import type { NodeRegistry } from '../../core/registry';
import type { OpenclawFileSystemProvider } from '../fs/openclaw-fs';
import type { StatusMonitor } from '../status/status-monitor';
import type { NodesTreeProvider, TreeNode } from '../tree/nodes-tree';
import { registerAddNode } from './add-node';
import { registerFileHistory } from './file-history';
import { registerImportRegistry } from './import-registry';
import { registerRetireNode } from './retire-node';
import { registerShowLogs } from './show-logs';
import { registerShowStatus } from './show-status';
import { registerWalkthroughCommands } from '../walkthrough';
import { registerViewCommands } from './view-commands';

export interface CommandDeps {
  registry: NodeRegistry;
  tree: NodesTreeProvider;
  access: NodeAccess;
  model: NodeModel;
  home: string;
  liveFs: OpenclawFileSystemProvider;
  view: vscode.TreeView<TreeNode>;
  monitor: StatusMonitor;
}

/** One file per command (or small family); this only wires them up. */
export function registerCommands(context: vscode.ExtensionContext, deps: CommandDeps): void {
  registerAddNode(context, deps);
  registerImportRegistry(context, deps);
  registerRetireNode(context, deps);
  registerViewCommands(context, deps);
  registerFileHistory(context, deps);
  registerShowStatus(context, deps);
  registerShowLogs(context);
  registerWalkthroughCommands(context, deps);
}
