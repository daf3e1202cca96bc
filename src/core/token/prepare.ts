import { OcmError, toOcmError } from '../errors';
import { locateOpenclaw } from '../openclaw/locate';
import { gatewayListening } from '../operations/gateway';
import type { NodeEntry } from '../registry';
import type { Transport } from '../transport/types';
import { planTokenRotation, type RotationNode, type TokenRotationPlan } from './rotate-plan';

/**
 * What both faces do before showing a rotation plan: reach and locate the gateway node and every
 * other registered node (in parallel; one that cannot be reached is listed as unchecked, it does
 * not stop the plan), ask whether the gateway runs, then plan.
 */

export interface PrepareRotationParams {
  gatewayId: string;
  /** Registered nodes (active ones), the gateway among them. */
  nodes: readonly NodeEntry[];
  transportFor(node: NodeEntry): Promise<Transport>;
  /** Per other node (default 30 s). */
  nodeTimeoutMs?: number;
  newToken?: string;
  signal?: AbortSignal;
}

export interface PreparedRotation {
  plan: TokenRotationPlan;
  /** Every located node of the plan, for applyTokenRotation. */
  nodes: Map<string, RotationNode>;
}

export async function prepareTokenRotation(p: PrepareRotationParams): Promise<PreparedRotation> {
  const gwEntry = p.nodes.find((n) => n.id === p.gatewayId);
  if (!gwEntry) throw new OcmError('notFound', `No active node "${p.gatewayId}" in the registry. See "ocm list".`, { nodeId: p.gatewayId });
  const sig = p.signal ? { signal: p.signal } : {};
  const locate = async (node: NodeEntry): Promise<RotationNode> => {
    const transport = await p.transportFor(node);
    const location = await locateOpenclaw(transport, node, { timeoutMs: p.nodeTimeoutMs ?? 30_000, ...sig });
    return { node, transport, location };
  };
  const gateway = await locate(gwEntry);
  const settled = await Promise.allSettled(p.nodes.filter((n) => n.id !== gwEntry.id).map(locate));
  const others: RotationNode[] = [];
  const unchecked: Array<{ nodeId: string; reason: string }> = [];
  settled.forEach((s, i) => {
    const id = p.nodes.filter((n) => n.id !== gwEntry.id)[i]!.id;
    if (s.status === 'fulfilled') {
      if (s.value.location.configError) unchecked.push({ nodeId: id, reason: s.value.location.configError.message });
      others.push(s.value);
    } else unchecked.push({ nodeId: id, reason: toOcmError(s.reason).message });
  });
  const gatewayRunning = await gatewayListening({ transport: gateway.transport, location: gateway.location, node: gateway.node });
  const plan = await planTokenRotation({ gateway, others, unchecked, gatewayRunning, ...(p.newToken ? { newToken: p.newToken } : {}), ...sig });
  const nodes = new Map<string, RotationNode>([[gateway.node.id, gateway], ...others.map((o) => [o.node.id, o] as [string, RotationNode])]);
  return { plan, nodes };
}
