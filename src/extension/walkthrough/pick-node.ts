import * as vscode from 'vscode';
import type { NodeRegistry } from '../../core/registry';

/**
 * The node a command acts on: a node id (from code), a tree item with `node` or `nodeId`, or
 * else the only active node, or else the user's pick. Undefined when there is none or the pick
 * was dismissed.
 */
export async function resolveNodeArg(registry: NodeRegistry, arg: unknown, title: string): Promise<string | undefined> {
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object') {
    const item = arg as { node?: { id?: unknown }; nodeId?: unknown };
    if (typeof item.node?.id === 'string') return item.node.id;
    if (typeof item.nodeId === 'string') return item.nodeId;
  }
  const nodes = await registry.list();
  if (nodes.length === 0) {
    const add = vscode.l10n.t('Add Node…');
    const answer = await vscode.window.showInformationMessage(vscode.l10n.t('No nodes yet. Add the machine that runs your OpenClaw gateway first.'), add);
    if (answer === add) await vscode.commands.executeCommand('openclaw.addNode');
    return undefined;
  }
  if (nodes.length === 1) return nodes[0]!.id;
  const picked = await vscode.window.showQuickPick(
    nodes.map((n) => ({
      label: n.id,
      description: n.host === 'local' ? vscode.l10n.t('this machine') : `${n.user ? `${n.user}@` : ''}${n.host}${n.port ? `:${n.port}` : ''}`,
    })),
    { title, ignoreFocusOut: true },
  );
  return picked?.label;
}
