import { OcmError } from '../errors';
import { normalizeAgentId } from '../openclaw/agents';
import type { NodeEntry } from '../registry';
import { NODE_ID_PATTERN } from '../registry/schema';

/**
 * Which agents a bulk apply reaches: `n1/main,n2/research` (node/agent pairs), `n1` (every agent
 * of a node), `label:prod` (every agent of every active node with that label). Parsing is pure;
 * resolving needs the registry and each node's agents.
 */
export type SelectorItem = { kind: 'agent'; nodeId: string; agentId: string } | { kind: 'node'; nodeId: string } | { kind: 'label'; label: string };

export interface AgentTarget {
  nodeId: string;
  agentId: string;
}

export function parseSelector(raw: string): SelectorItem[] {
  const parts = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0) {
    throw new OcmError('invalidInput', 'The agent selector is empty. Name node/agent pairs (n1/main,n2/research), whole nodes (n1) or labels (label:prod).', {
      selector: raw,
      usage: true,
    });
  }
  const items: SelectorItem[] = [];
  for (const part of parts) {
    if (part.startsWith('label:')) {
      const label = part.slice('label:'.length).trim();
      if (label === '') throw bad(raw, part, 'a label after "label:"');
      items.push({ kind: 'label', label });
      continue;
    }
    const slash = part.indexOf('/');
    if (slash < 0) {
      if (!NODE_ID_PATTERN.test(part)) throw bad(raw, part, 'a node id');
      items.push({ kind: 'node', nodeId: part });
      continue;
    }
    const nodeId = part.slice(0, slash);
    const agentId = part.slice(slash + 1);
    if (!NODE_ID_PATTERN.test(nodeId) || agentId === '' || agentId.includes('/')) throw bad(raw, part, 'node/agent');
    items.push({ kind: 'agent', nodeId, agentId: normalizeAgentId(agentId) });
  }
  return items;
}

function bad(raw: string, part: string, expected: string): OcmError {
  return new OcmError(
    'invalidInput',
    `"${part}" in the agent selector "${raw}" is not ${expected}. Use node/agent pairs (n1/main), node ids (n1) or label:NAME, separated by commas.`,
    { selector: raw, part, usage: true },
  );
}

/**
 * The selector against the registry: which nodes are asked for their agents, and a filter for
 * them. Unknown nodes, retired nodes named explicitly and labels no active node has are errors
 * (a typo must not shrink the batch silently).
 */
export function nodesForSelector(
  items: SelectorItem[],
  nodes: NodeEntry[],
): { nodeIds: string[]; wantsAll: Set<string>; wantsAgents: Map<string, Set<string>> } {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const wantsAll = new Set<string>();
  const wantsAgents = new Map<string, Set<string>>();
  const order: string[] = [];
  const add = (id: string) => {
    if (!order.includes(id)) order.push(id);
  };
  for (const item of items) {
    if (item.kind === 'label') {
      const labelled = nodes.filter((n) => n.status === 'active' && n.labels.includes(item.label));
      if (labelled.length === 0) {
        throw new OcmError(
          'invalidInput',
          `No active node has the label "${item.label}". See the nodes and their labels with "ocm list" and fix the selector.`,
          { label: item.label, usage: true },
        );
      }
      for (const n of labelled) {
        wantsAll.add(n.id);
        add(n.id);
      }
      continue;
    }
    const node = byId.get(item.nodeId);
    if (!node)
      throw new OcmError('notFound', `Node "${item.nodeId}" is not in the registry. See "ocm list" for the node ids.`, { nodeId: item.nodeId, usage: true });
    if (node.status !== 'active')
      throw new OcmError('invalidInput', `Node "${item.nodeId}" is retired: bulk apply does not change retired nodes.`, { nodeId: item.nodeId, usage: true });
    add(node.id);
    if (item.kind === 'node') wantsAll.add(node.id);
    else {
      const set = wantsAgents.get(node.id) ?? new Set<string>();
      set.add(item.agentId);
      wantsAgents.set(node.id, set);
    }
  }
  return { nodeIds: order, wantsAll, wantsAgents };
}

/** The targets on one node, given its agent ids; unknown agents named explicitly are an error. */
export function targetsOnNode(nodeId: string, agentIds: string[], wants: ReturnType<typeof nodesForSelector>): AgentTarget[] {
  const named = wants.wantsAgents.get(nodeId) ?? new Set<string>();
  for (const a of named) {
    if (!agentIds.includes(a)) {
      throw new OcmError('notFound', `Agent "${a}" is not configured on node ${nodeId} (its agents: ${agentIds.join(', ') || 'none'}). Fix the selector.`, {
        nodeId,
        agentId: a,
        usage: true,
      });
    }
  }
  const ids = wants.wantsAll.has(nodeId) ? agentIds : agentIds.filter((a) => named.has(a));
  return ids.map((agentId) => ({ nodeId, agentId }));
}
