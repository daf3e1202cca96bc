import { isOcmError } from '../errors';
import type { NodeEntry } from '../registry';
import type { NodeReach } from './plan';
import { nodesForSelector, parseSelector, targetsOnNode, type AgentTarget } from './selector';

/**
 * A selector string to agent targets: nodes are asked for their agents in parallel. A node that
 * cannot be reached does not abort the plan; its targets come back with agentId `*` (whole node)
 * or the named agents, and the plan marks them unreachable with the reason.
 */
export async function resolveTargets(selector: string, nodes: NodeEntry[], reach: NodeReach): Promise<AgentTarget[]> {
  const wants = nodesForSelector(parseSelector(selector), nodes);
  const perNode = await Promise.all(
    wants.nodeIds.map(async (nodeId) => {
      let ids: string[];
      try {
        ids = (await reach.agents(nodeId)).map((a) => a.id);
      } catch (e) {
        if (isOcmError(e, 'invalidInput')) throw e;
        const named = [...(wants.wantsAgents.get(nodeId) ?? [])];
        return wants.wantsAll.has(nodeId) || named.length === 0 ? [{ nodeId, agentId: '*' }] : named.map((agentId) => ({ nodeId, agentId }));
      }
      return targetsOnNode(nodeId, ids, wants);
    }),
  );
  const seen = new Set<string>();
  return perNode.flat().filter((t) => {
    const key = `${t.nodeId}/${t.agentId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
