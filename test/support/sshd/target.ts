import { readFileSync } from 'node:fs';
import type { AuthPrompt, ConnectTarget } from '../../../src/core/ssh/connect-target';
import { OcmError } from '../../../src/core/errors';
import type { SshNode } from './nodes';

export interface TargetOptions {
  /** Leave out the client key (to force password / keyboard-interactive). */
  withoutKey?: boolean;
  prompt?: AuthPrompt;
  jumps?: ConnectTarget[];
  /** Host key to expect instead of the node's real one (to simulate a changed key). */
  expectHostKey?: string;
}

/**
 * A ConnectTarget for a harness node built without the ssh_config / known_hosts resolver: the key
 * file is read directly and the host key is compared with the harness's own copy.
 */
export function targetFor(node: SshNode, options: TargetOptions = {}): ConnectTarget {
  const expected = Buffer.from((options.expectHostKey ?? node.hostPublicKey).split(/\s+/)[1] ?? '', 'base64');
  const target: ConnectTarget = {
    nodeId: node.id,
    host: node.host,
    port: node.port,
    username: node.user,
    hostKeyName: `[${node.host}]:${node.port}`,
    identities: options.withoutKey ? [] : [{ path: node.clientKeyPath, privateKey: readFileSync(node.clientKeyPath), encrypted: false }],
    verifyHostKey: async (key: Buffer) => {
      if (key.equals(expected)) return true;
      throw new OcmError('hostKeyChanged', `Host key of ${node.id} changed (harness check). Do not connect.`, { nodeId: node.id });
    },
    jumps: options.jumps ?? [],
  };
  if (options.prompt) target.prompt = options.prompt;
  return target;
}
