import { resolveAgents } from '../openclaw/agents';
import type { OpenclawLocation } from '../openclaw/locate';
import { agentResolveContext } from '../openclaw/node-agents';
import type { OpenclawCommand } from './native-engine';
import type { BackupSources } from './types';

/**
 * What to back up on a node, from the OpenClaw model: state dir, config, and every agent's
 * workspace and agentDir (resolved with the rules of the node's OpenClaw version). Without a
 * readable config only the state dir and config are known.
 */
export function backupSourcesFromLocation(location: OpenclawLocation): BackupSources {
  const sources: BackupSources = { stateDir: location.stateDir, configPath: location.configPath, workspaceDirs: [], agentDirs: [] };
  // A broken config still gets its state dir backed up; agents resolve by the same rules as everywhere.
  if (!location.config) return sources;
  const agents = resolveAgents(location.config.resolved, agentResolveContext(location));
  sources.workspaceDirs = [...new Set(agents.map((a) => a.workspace))];
  sources.agentDirs = agents.map((a) => ({ agentId: a.id, path: a.agentDir }));
  return sources;
}

/** The node's `openclaw` for the native engine, or undefined when none was found. */
export function openclawCommandFromLocation(location: OpenclawLocation): (OpenclawCommand & { version?: string | null }) | undefined {
  if (!location.installed || !location.bin) return undefined;
  return { command: location.bin, env: location.cliEnv, version: location.version ?? null };
}
