import { posix } from 'node:path';
import { toOcmError, type OcmError } from './errors';
import type { NodeAccess } from './node-access';
import {
  agentOfPath,
  AgentsCliCache,
  listAgentFiles,
  listConfigFiles,
  listNodeAgents,
  type AgentFiles,
  type AgentInfo,
  type NodeAgents,
  type NodeConfigFile,
  type DiscoveryCache,
  type PathOwner,
} from './openclaw';
import type { OpenclawValidator } from './safe-write';

export type ModelListener = (nodeId: string) => void;

/**
 * What the faces show about a node, cached: the fast answer from openclaw.json first, then (in the
 * background) the `openclaw agents list --json` answer, which wins and is cached until the config
 * changes. Listeners hear when a node's answer changed (the tree refreshes that node only).
 */
export class NodeModel {
  private readonly described = new Map<string, Promise<NodeAgents>>();
  private readonly cliCache = new AgentsCliCache();
  private readonly listeners = new Set<ModelListener>();

  constructor(
    private readonly access: NodeAccess,
    private readonly options: { confirmWithCli?: boolean; discoveryCache?: DiscoveryCache } = {},
  ) {}

  onDidChange(listener: ModelListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forget a node's cached answer (refresh) — or every node's. */
  invalidate(nodeId?: string): void {
    if (nodeId) this.described.delete(nodeId);
    else this.described.clear();
    this.options.discoveryCache?.forget(nodeId);
  }

  async describe(nodeId: string): Promise<NodeAgents> {
    let pending = this.described.get(nodeId);
    if (!pending) {
      pending = this.load(nodeId);
      this.described.set(nodeId, pending);
      pending.catch(() => this.described.delete(nodeId));
    }
    return pending;
  }

  async agent(nodeId: string, agentId: string): Promise<AgentInfo | undefined> {
    return (await this.describe(nodeId)).agents.find((a) => a.id === agentId);
  }

  /** Which agent a path belongs to (agentOfPath: the deepest workspace wins); undefined outside every workspace. */
  async agentOf(nodeId: string, remotePath: string): Promise<PathOwner | undefined> {
    return agentOfPath((await this.describe(nodeId)).agents, remotePath);
  }

  async agentFiles(nodeId: string, agentId: string): Promise<AgentFiles> {
    const agent = await this.agent(nodeId, agentId);
    if (!agent) throw toOcmError(new Error(`Agent "${agentId}" is not configured on ${nodeId}. Refresh the node.`), 'notFound');
    return listAgentFiles(await this.access.transport(nodeId), agent.workspace);
  }

  async configFiles(nodeId: string): Promise<NodeConfigFile[]> {
    const { location } = await this.describe(nodeId);
    return listConfigFiles(await this.access.transport(nodeId), location);
  }

  /** Inside the state dir, the config's folder, or any agent's workspace or agentDir. */
  async isManagedPath(nodeId: string, remotePath: string): Promise<boolean> {
    try {
      const { location, agents } = await this.describe(nodeId);
      const roots = [location.stateDir, posix.dirname(location.configPath), ...agents.flatMap((a) => [a.workspace, a.agentDir])];
      return roots.some((root) => remotePath === root || remotePath.startsWith(root.endsWith('/') ? root : root + '/'));
    } catch {
      return false;
    }
  }

  /** The node's own `openclaw` for validating configs, when one was found. */
  async validatorFor(nodeId: string): Promise<OpenclawValidator | undefined> {
    const { location } = await this.describe(nodeId);
    if (!location.installed || !location.bin) return undefined;
    return { openclawPath: location.bin, stateDir: location.stateDir, env: location.cliEnv };
  }

  private async load(nodeId: string): Promise<NodeAgents> {
    const node = await this.access.node(nodeId);
    const transport = await this.access.transport(nodeId);
    const fast = await listNodeAgents(transport, node, this.options.discoveryCache ? { discoveryCache: this.options.discoveryCache } : {});
    if (this.options.confirmWithCli && fast.location.installed) void this.confirm(nodeId, fast);
    return fast;
  }

  /** Background confirmation by the CLI; replaces the cached answer when it differs. */
  private async confirm(nodeId: string, fast: NodeAgents): Promise<void> {
    try {
      const node = await this.access.node(nodeId);
      const confirmed = await listNodeAgents(await this.access.transport(nodeId), node, { confirm: true, cache: this.cliCache, location: fast.location });
      if (confirmed.source !== 'cli') return;
      this.described.set(nodeId, Promise.resolve(confirmed));
      if (confirmed.corrected?.length) for (const l of this.listeners) l(nodeId);
    } catch (e) {
      void (e as OcmError);
    }
  }
}
