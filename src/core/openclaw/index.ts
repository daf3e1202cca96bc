/** What a node is: OpenClaw's location, config, agents and files on it (see each module). */
export {
  locateOpenclaw,
  buildLocateScript,
  parseLocateOutput,
  DEFAULT_GATEWAY_PORT,
  type OpenclawLocation,
  type LocateOptions,
  type Supervisor,
} from './locate';
export { readOpenclawConfig, resolveOpenclawConfig, parseJson5, deepMerge, type OpenclawConfig, type ConfigFile } from './config';
export { resolveAgents, normalizeAgentId, userPath, type AgentInfo, type AgentResolveContext } from './agents';
export {
  confirmAgentsWithCli,
  parseAgentsListJson,
  AgentsCliCache,
  defaultAgentsCliCache,
  type CliAgent,
  type CliAgentsResult,
  type ConfirmOptions,
} from './cli-agents';
export { listNodeAgents, agentsFromLocation, agentResolveContext, mergeCliAgents, type NodeAgents, type ListNodeAgentsOptions } from './node-agents';
export { listAgentFiles, listConfigFiles, WORKSPACE_FILES, type AgentFile, type AgentFiles, type MemoryNote, type NodeConfigFile } from './files';
export { parseOpenclawVersion, compareOpenclawVersions, agentRulesFor, usesJsonlSessions, type OpenclawVersion, type AgentRules } from './version';
export { addAgent, removeAgent, archiveAgent, type AddAgentParams, type AddAgentResult, type RemoveAgentResult } from './agent-admin';
export { DiscoveryCache, DEFAULT_DISCOVERY_CACHE_TTL_MS, type CachedVersion, type CachedLoginEnv, type DiscoveryCacheSnapshot } from './discovery-cache';
export { agentOfPath, isMemoryFile, isGuardedFile, MEMORY_FILE_NAMES, GUARDED_FILE_NAMES, type PathOwner } from './agent-of-path';
