import { NodeAccess } from '../core/node-access';
import type { NodeEntry } from '../core/registry';
import { SshPool, type SshPoolOptions } from '../core/ssh/pool';
import type { Transport } from '../core/transport/types';
import { sshDepsFor } from './commands/trust';
import type { CliContext } from './context';
import { registryFor } from './commands/registry';

export interface CliConnectOptions {
  /** Trust an unknown host key (the CLI is strict otherwise and never asks). */
  acceptNew?: boolean;
  pool?: SshPoolOptions;
}

/**
 * How a CLI verb reaches nodes: one NodeAccess over one SSH pool for the whole command (strict
 * host keys unless --accept-new, terminal prompts for passwords), closed when the verb is done so
 * open sockets never keep the process alive.
 */
export async function withNodeAccess<T>(ctx: CliContext, options: CliConnectOptions, work: (access: NodeAccess) => Promise<T>): Promise<T> {
  // In the keeper: its shared pool, left open (the transports are dropped, not closed).
  const pool = ctx.sshPool ?? new SshPool(options.pool);
  const access = new NodeAccess({
    registry: registryFor(ctx),
    env: ctx.env,
    hostKeyPolicy: options.acceptNew ? 'accept-new' : 'strict',
    resolveDeps: sshDepsFor(ctx, { acceptNew: Boolean(options.acceptNew) }),
    ssh: (target) => pool.transportFor(target),
    cacheSshConfig: true,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  try {
    return await work(access);
  } finally {
    // A connect to a frozen node is not waited for: the process exits anyway.
    if (!ctx.sshPool) await Promise.race([access.close().then(() => pool.close()), new Promise((r) => setTimeout(r, 2000).unref())]);
  }
}

/** One node's transport for one command. */
export async function withNodeTransport<T>(
  ctx: CliContext,
  nodeId: string,
  options: CliConnectOptions,
  work: (transport: Transport, node: NodeEntry) => Promise<T>,
): Promise<T> {
  return withNodeAccess(ctx, options, async (access) => work(await access.transport(nodeId), await access.node(nodeId)));
}
