import { OcmError } from '../errors';
import type { NodeEntry } from '../registry';
import { LocalTransport } from './local-transport';
import type { Transport } from './types';

export interface TransportForNodeOptions {
  /**
   * Opens the SSH transport for a remote node (the pooled ssh2 transport). Passed in by the face
   * that owns the pool and its prompts (host-key trust, passwords).
   */
  ssh?: (node: NodeEntry) => Transport | Promise<Transport>;
}

/** The transport for a registered node: this machine for `host: local`, SSH otherwise. */
export async function transportForNode(node: NodeEntry, options: TransportForNodeOptions = {}): Promise<Transport> {
  if (node.host === 'local') return new LocalTransport({ nodeId: node.id });
  if (options.ssh) return options.ssh(node);
  // No default pool here on purpose: the face owns the pool, its prompts and its lifetime
  // (NodeAccess in the extension, src/cli/node-connection.ts in the CLI).
  throw new OcmError(
    'unsupported',
    `Node ${node.id} is reached over SSH, and the SSH transport is not available in this build yet. Only nodes with host "local" work for now.`,
    { nodeId: node.id },
  );
}
