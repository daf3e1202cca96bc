import type { NodeAccessOptions } from '../core/node-access';
import { redactSecrets } from '../core/redact';
import { SshPool } from '../core/ssh/pool';
import { log } from './log';

/**
 * The SSH side of NodeAccess for the extension: one pooled connection per node (ssh2), its
 * commands and timings in the "OpenClaw Manager" log at debug level with secrets redacted,
 * closed on deactivation. Nothing connects until a node is used.
 */
export function sshTransportFactory(): Pick<NodeAccessOptions, 'ssh' | 'closeSsh'> {
  let pool: SshPool | undefined;
  const logger = {
    debug: (m: string) => log().debug(redactSecrets(m)),
    info: (m: string) => log().info(redactSecrets(m)),
    warn: (m: string) => log().warn(redactSecrets(m)),
    error: (m: string) => log().error(redactSecrets(m)),
  };
  return {
    ssh: (target) => {
      pool ??= new SshPool({ logger });
      return pool.transportFor(target);
    },
    closeSsh: async () => {
      await pool?.close();
      pool = undefined;
    },
  };
}
