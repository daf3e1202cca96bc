import { OcmError } from '../errors';
import type { NodeEntry } from '../registry';
import { anomaliesOf } from './anomalies';
import { defaultTimeoutFor, nodeStatus, type NodeStatusOptions, type StatusDeps } from './node-status';
import type { NodeStatus } from './types';

export interface StatusOfNodesOptions extends Omit<NodeStatusOptions, 'timeoutMs'> {
  /** Nodes checked at once (default 8). */
  concurrency?: number;
  /** Budget per node (default 15 s; 45 s with includeSessions). A node past it is reported as timed out. */
  perNodeTimeoutMs?: number;
  /** Called as each node finishes (in completion order). */
  onProgress?: (progress: { done: number; total: number; status: NodeStatus }) => void;
}

/** Extra time a node's own budget gets before the hard stop here gives up on it. */
const HARD_STOP_GRACE_MS = 1000;

/**
 * Status of many nodes in parallel with bounded concurrency. Results come back in the order of
 * `nodes` (registry order). Each node is cut off at its budget — even when its transport ignores
 * cancellation — so one frozen node never delays the others past that budget.
 */
export async function statusOfNodes(nodes: readonly NodeEntry[], deps: StatusDeps, options: StatusOfNodesOptions = {}): Promise<NodeStatus[]> {
  const { concurrency = 8, perNodeTimeoutMs, onProgress, ...nodeOptions } = options;
  const timeoutMs = defaultTimeoutFor({
    ...(perNodeTimeoutMs !== undefined ? { timeoutMs: perNodeTimeoutMs } : {}),
    ...(nodeOptions.includeSessions ? { includeSessions: true } : {}),
  });
  const results: NodeStatus[] = new Array<NodeStatus>(nodes.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < nodes.length) {
      const index = next++;
      const node = nodes[index]!;
      results[index] = await boundedNodeStatus(node, deps, { ...nodeOptions, timeoutMs });
      done++;
      onProgress?.({ done, total: nodes.length, status: results[index] });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, nodes.length)) }, worker));
  return results;
}

async function boundedNodeStatus(node: NodeEntry, deps: StatusDeps, options: NodeStatusOptions & { timeoutMs: number }): Promise<NodeStatus> {
  const started = Date.now();
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  let timer: NodeJS.Timeout | undefined;
  const hardStop = new Promise<NodeStatus>((resolve) => {
    timer = setTimeout(() => {
      const error = new OcmError(
        'timeout',
        `Node ${node.id} did not answer within ${Math.round(options.timeoutMs / 1000)} s. Check that it is up; a frozen host or a silent firewall looks like this.`,
        { nodeId: node.id },
      );
      stop.abort(error);
      const status = {
        nodeId: node.id,
        host: node.host,
        checkedAt: new Date(started).toISOString(),
        durationMs: Date.now() - started,
        reachable: false,
        error: { kind: error.kind, message: error.message },
      };
      resolve({ ...status, anomalies: anomaliesOf(status) });
    }, options.timeoutMs + HARD_STOP_GRACE_MS);
  });
  try {
    return await Promise.race([nodeStatus(node, deps, { ...options, signal }), hardStop]);
  } finally {
    clearTimeout(timer);
  }
}
