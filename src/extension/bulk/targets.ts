import { posix } from 'node:path';
import * as vscode from 'vscode';
import type { NodeReach } from '../../core/bulk';
import { WORKSPACE_FILES } from '../../core/openclaw';
import type { CommandDeps } from '../commands/deps';
import type { TreeNode } from '../tree/nodes-tree';

/**
 * Which agents and which file "Apply to Agents…" changes: from the tree selection (files, agents,
 * nodes; several with multi-select), else from a quick pick of labels, nodes and agents across
 * every active node. The answer is a selector string (the CLI's `--agents` syntax).
 */

export function reachOf(deps: CommandDeps): NodeReach {
  return {
    transport: (id) => deps.access.transport(id),
    agents: async (id) => (await deps.model.describe(id)).agents,
  };
}

/** A selector and (when a file was clicked) the file name relative to its agent's workspace. */
export async function fromSelection(
  deps: CommandDeps,
  clicked: TreeNode | undefined,
  selected: readonly TreeNode[] | undefined,
): Promise<{ selector?: string; fileName?: string }> {
  const items = selected && selected.length ? [...selected] : clicked ? [clicked] : [];
  const parts: string[] = [];
  let fileName: string | undefined;
  for (const item of items) {
    if (item.kind === 'node') parts.push(item.node.id);
    else if (item.kind === 'agent') parts.push(`${item.nodeId}/${item.agent.id}`);
    else if (item.kind === 'file' && item.agentId) {
      parts.push(`${item.nodeId}/${item.agentId}`);
      const agent = await deps.model.agent(item.nodeId, item.agentId).catch(() => undefined);
      if (agent && !fileName) fileName = posix.relative(agent.workspace, item.remotePath);
    }
  }
  return { ...(parts.length ? { selector: [...new Set(parts)].join(',') } : {}), ...(fileName ? { fileName } : {}) };
}

export async function pickSelector(deps: CommandDeps): Promise<string | undefined> {
  const nodes = (await deps.registry.list()).filter((n) => n.status === 'active');
  type Pick = vscode.QuickPickItem & { value: string };
  const items: Pick[] = [];
  const labels = [...new Set(nodes.flatMap((n) => n.labels))].sort();
  if (labels.length) items.push({ label: vscode.l10n.t('Labels'), kind: vscode.QuickPickItemKind.Separator, value: '' });
  for (const l of labels)
    items.push({
      label: `$(tag) ${l}`,
      description: vscode.l10n.t('every agent on {0} node(s)', nodes.filter((n) => n.labels.includes(l)).length),
      value: `label:${l}`,
    });
  // Every node's agents at once (the model caches them; an unreachable node still offers "every agent").
  const rosters = await Promise.all(
    nodes.map((n) =>
      deps.model
        .describe(n.id)
        .then((d) => d.agents)
        .catch(() => []),
    ),
  );
  nodes.forEach((n, i) => {
    items.push({ label: n.id, kind: vscode.QuickPickItemKind.Separator, value: '' });
    items.push({ label: `$(server) ${n.id}`, description: vscode.l10n.t('every agent of this node'), value: n.id });
    for (const a of rosters[i]!) items.push({ label: `$(hubot) ${n.id}/${a.id}`, ...(a.name ? { description: a.name } : {}), value: `${n.id}/${a.id}` });
  });
  const picked = await vscode.window.showQuickPick(items, {
    canPickMany: true,
    title: vscode.l10n.t('Apply to Agents: choose agents'),
    placeHolder: vscode.l10n.t('Agents, whole nodes or labels'),
  });
  return picked && picked.length ? picked.map((p) => p.value).join(',') : undefined;
}

export async function pickFileName(): Promise<string | undefined> {
  const items = WORKSPACE_FILES.filter((f) => f !== 'TOOLS.md' && f !== 'HEARTBEAT.md').map((f) => ({ label: f }));
  const other = { label: vscode.l10n.t('Other file…') };
  const picked = await vscode.window.showQuickPick([...items, other], { title: vscode.l10n.t("Apply to Agents: which file of each agent's workspace") });
  if (!picked) return undefined;
  if (picked !== other) return picked.label;
  return vscode.window.showInputBox({ title: vscode.l10n.t('File inside each workspace'), placeHolder: 'memory/team.md' });
}
