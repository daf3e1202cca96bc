import { OcmError } from '../errors';
import type { NodeEntry } from '../registry';
import type { OpOptions, Transport } from '../transport/types';
import { resolveAgents, type AgentInfo, type AgentResolveContext } from './agents';
import { confirmAgentsWithCli, type AgentsCliCache, type CliAgent } from './cli-agents';
import { locateOpenclaw, type OpenclawLocation } from './locate';
import type { DiscoveryCache } from './discovery-cache';

/**
 * A node's agents: the fast answer from the raw config (milliseconds), and — when asked — the
 * CLI's authoritative answer, which wins where they differ.
 */

export interface NodeAgents {
  location: OpenclawLocation;
  agents: AgentInfo[];
  /** `config`: resolved from openclaw.json; `cli`: confirmed by `openclaw agents list --json`. */
  source: 'config' | 'cli';
  /** Set when the CLI answer differed from the config answer (ids whose fields differed). */
  corrected?: string[];
  /** Why the CLI could not confirm (the config answer is still given). */
  cliError?: OcmError;
}

/**
 * How a located node resolves agent paths: home, state dir, whether OPENCLAW_STATE_DIR is in
 * effect (registry, environment or login environment), version, profile, OPENCLAW_WORKSPACE_DIR.
 * Use this wherever agents are resolved from a location, so every feature agrees.
 */
export function agentResolveContext(location: OpenclawLocation): AgentResolveContext {
  return {
    home: location.home,
    stateDir: location.stateDir,
    stateDirFromEnv: location.cliEnv.OPENCLAW_STATE_DIR !== undefined,
    ...(location.version ? { version: location.version } : {}),
    ...(location.openclawEnv.OPENCLAW_PROFILE ? { profile: location.openclawEnv.OPENCLAW_PROFILE } : {}),
    ...(location.openclawEnv.OPENCLAW_WORKSPACE_DIR ? { workspaceDirEnv: location.openclawEnv.OPENCLAW_WORKSPACE_DIR } : {}),
  };
}

/** Agents resolved from the located config. Throws the config error when openclaw.json is broken. */
export function agentsFromLocation(location: OpenclawLocation): AgentInfo[] {
  if (location.configError) throw location.configError;
  if (!location.stateDirExists && !location.configExists) return [];
  return resolveAgents(location.config?.resolved ?? {}, agentResolveContext(location));
}

/** The CLI's answer in our shape; fields the CLI does not give are taken from the config answer. */
export function mergeCliAgents(fast: AgentInfo[], cli: CliAgent[]): { agents: AgentInfo[]; corrected: string[] } {
  const byId = new Map(fast.map((a) => [a.id, a]));
  const corrected: string[] = [];
  const agents = cli.map((c) => {
    const f = byId.get(c.id);
    const agent: AgentInfo = {
      id: c.id,
      ...(c.name ? { name: c.name } : {}),
      workspace: c.workspace,
      agentDir: c.agentDir,
      isDefault: c.isDefault,
      ...(c.model ? { model: c.model } : f?.model ? { model: f.model } : {}),
      source: f?.source ?? 'implicit',
    };
    if (!f || f.workspace !== agent.workspace || f.agentDir !== agent.agentDir || f.isDefault !== agent.isDefault) corrected.push(c.id);
    return agent;
  });
  for (const f of fast) if (!cli.some((c) => c.id === f.id)) corrected.push(f.id);
  return { agents, corrected };
}

export interface ListNodeAgentsOptions extends OpOptions {
  /** Also run `openclaw agents list --json` (cached until the config changes). */
  confirm?: boolean;
  cache?: AgentsCliCache;
  /** Reuse a location found earlier (skips the discovery round trip). */
  location?: OpenclawLocation;
  /** Passed to discovery: skip `openclaw --version` while the binary is unchanged. */
  discoveryCache?: DiscoveryCache;
}

export async function listNodeAgents(
  transport: Transport,
  node: Pick<NodeEntry, 'id' | 'openclawPath' | 'stateDir' | 'gatewayPort'>,
  options: ListNodeAgentsOptions = {},
): Promise<NodeAgents> {
  const op: OpOptions = { ...(options.signal ? { signal: options.signal } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) };
  const location =
    options.location ?? (await locateOpenclaw(transport, node, { ...op, ...(options.discoveryCache ? { discoveryCache: options.discoveryCache } : {}) }));
  const fast = agentsFromLocation(location);
  if (!options.confirm || !location.installed) return { location, agents: fast, source: 'config' };
  try {
    const cli = await confirmAgentsWithCli(transport, location, { ...op, ...(options.cache ? { cache: options.cache } : {}) });
    const merged = mergeCliAgents(fast, cli.agents);
    return { location, agents: merged.agents, source: 'cli', ...(merged.corrected.length ? { corrected: merged.corrected } : {}) };
  } catch (e) {
    const err = e instanceof OcmError ? e : new OcmError('failed', String(e));
    return { location, agents: fast, source: 'config', cliError: err };
  }
}
