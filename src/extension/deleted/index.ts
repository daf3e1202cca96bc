import * as vscode from 'vscode';
import { layoutOf } from '../../core/deletes';
import type { CommandDeps } from '../commands/deps';
import { registerDeletedCommands } from './commands';
import { DeletedTreeContributor } from './tree';

export { DeletedTreeContributor, isDeletedTreeNode, type DeletedTreeNode } from './tree';
export { askBeforeBreaking, consequenceText } from './consequence-text';

/** Recently Deleted: the tree group under every node and its commands (issue 15). */
export function registerDeletedUi(context: vscode.ExtensionContext, deps: CommandDeps): DeletedTreeContributor {
  const tree = new DeletedTreeContributor(deps.home);
  context.subscriptions.push(tree, deps.tree.setDeleted(tree));
  registerDeletedCommands(context, deps, tree);
  // openclaw:// deletes and renames ask what breaks from the model's answer, and redraw the group.
  deps.liveFs.layoutFor = async (nodeId) => {
    const { location, agents } = await deps.model.describe(nodeId);
    return layoutOf(location, agents);
  };
  deps.liveFs.onDeleted = (nodeId) => tree.refresh(nodeId);
  return tree;
}
