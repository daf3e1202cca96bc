import * as vscode from 'vscode';
import type { NodeRegistry } from '../../core/registry';
import type { NodesTreeProvider } from '../tree/nodes-tree';
import { registerAddNode } from './add-node';
import { registerImportRegistry } from './import-registry';
import { registerRetireNode } from './retire-node';
import { registerViewCommands } from './view-commands';

export interface CommandDeps {
  registry: NodeRegistry;
  tree: NodesTreeProvider;
}

/** One file per command (or small family); this only wires them up. */
export function registerCommands(context: vscode.ExtensionContext, deps: CommandDeps): void {
  registerAddNode(context, deps);
  registerImportRegistry(context, deps);
  registerRetireNode(context, deps);
  registerViewCommands(context, deps);
}
