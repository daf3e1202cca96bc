import { homedir } from 'node:os';
import { OcmError } from './errors';
import type { NodeEntry, NodeRegistry } from './registry';
import type { AuthPrompt } from './ssh/connect-target';
import type { AskHostKey, HostKeyPolicy } from './ssh/host-key-verifier';
import { loadSshConfig, resolveConnectTarget, type ResolveTargetDeps } from './ssh/resolve-target';
import { transportForNode } from './transport/for-node';
import type { Transport } from './transport/types';
import { withSignal } from './transport/with-signal';
import type { SshConfig } from './ssh/ssh-config';
import type { ConnectTarget } from './ssh/connect-target';

/** Opens a pooled SSH transport for a resolved target (the ssh2 pool in src/core/ssh/). */
export type SshTransportFactory = (target: ConnectTarget) => Transport | Promise<Transport>;

export interface NodeAccessOptions {
  registry: NodeRegistry;
  env?: NodeJS.ProcessEnv;
  /** Unknown host keys: the extension asks, the CLI is strict unless --accept-new. */
  hostKeyPolicy: HostKeyPolicy;
  ask?: AskHostKey;
  prompt?: AuthPrompt;
  /** Where SSH transports come from; without it only `host: local` nodes can be reached. */
  ssh?: SshTransportFactory;
  /** Closes every SSH connection (called by close()). */
  closeSsh?: () => Promise<void> | void;
  /** Full resolver settings (trust store, ssh_config, prompt...) when the face has its own; overrides the fields above. */
  resolveDeps?: ResolveTargetDeps;
  /** Every operation of every transport handed out stops when this aborts (the keeper: the command's client went away). */
  signal?: AbortSignal;
  /** Read ssh_config once for every node this access opens (a short-lived CLI command over many nodes); the extension re-reads it per connect. */
  cacheSshConfig?: boolean;
}

/**
 * How both faces reach a node: registry entry → ConnectTarget (ssh_config, keys, host-key policy,
 * prompts) → pooled transport. One transport per node id, created on first use and reused.
 */
export class NodeAccess {
  private readonly transports = new Map<string, Promise<Transport>>();
  private sshConfig: Promise<SshConfig> | undefined;

  constructor(private readonly options: NodeAccessOptions) {}

  get registry(): NodeRegistry {
    return this.options.registry;
  }

  node(nodeId: string): Promise<NodeEntry> {
    return this.options.registry.get(nodeId);
  }

  async transport(nodeId: string): Promise<Transport> {
    let pending = this.transports.get(nodeId);
    if (!pending) {
      pending = this.open(nodeId);
      this.transports.set(nodeId, pending);
      // A failed open is not cached: the next call tries again (new prompt, fixed host key...).
      pending.catch(() => this.transports.delete(nodeId));
    }
    return pending;
  }

  /** Forgets a node's transport (registry edited, user asked to reconnect). */
  async forget(nodeId: string): Promise<void> {
    const pending = this.transports.get(nodeId);
    this.transports.delete(nodeId);
    if (pending) await pending.then((t) => t.close()).catch(() => undefined);
  }

  async close(): Promise<void> {
    const all = [...this.transports.values()];
    this.transports.clear();
    await Promise.all(all.map((p) => p.then((t) => t.close()).catch(() => undefined)));
    await this.options.closeSsh?.();
  }

  private async open(nodeId: string): Promise<Transport> {
    const transport = await this.openUnbound(nodeId);
    return this.options.signal ? withSignal(transport, this.options.signal) : transport;
  }

  private async openUnbound(nodeId: string): Promise<Transport> {
    const node = await this.node(nodeId);
    const env = this.options.env ?? process.env;
    return transportForNode(node, {
      ssh: async (n) => {
        if (!this.options.ssh) {
          throw new OcmError('unsupported', `Node ${n.id} is reached over SSH, but this build has no SSH transport.`, { nodeId: n.id });
        }
        const deps: ResolveTargetDeps = this.options.resolveDeps ?? {
          home: env.HOME && env.HOME !== '' ? env.HOME : homedir(),
          env,
          hostKeyPolicy: this.options.hostKeyPolicy,
          ...(this.options.ask ? { ask: this.options.ask } : {}),
          ...(this.options.prompt ? { prompt: this.options.prompt } : {}),
        };
        const target = await resolveConnectTarget(n, await this.withSshConfig(deps));
        return this.options.ssh(target);
      },
    });
  }

  /** With cacheSshConfig: the first connect reads ssh_config, the others reuse it (a failed read is retried). */
  private async withSshConfig(deps: ResolveTargetDeps): Promise<ResolveTargetDeps> {
    if (!this.options.cacheSshConfig || deps.sshConfig) return deps;
    const loading = (this.sshConfig ??= loadSshConfig(deps));
    loading.catch(() => {
      if (this.sshConfig === loading) this.sshConfig = undefined;
    });
    return { ...deps, sshConfig: await loading };
  }
}
