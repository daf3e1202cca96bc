import { resolveAgents } from '../../core/openclaw/agents';
import type { OpenclawLocation } from '../../core/openclaw/locate';
import type { BackupSources, OpenclawCommand } from '../../core/backup';

/**
 * Adapter from the OpenClaw model of a node (locateOpenclaw + agent resolution) to what
 * backupNode needs. Kept here until the core offers one shared function for both faces.
 */
export function backupSourcesFromLocation(location: OpenclawLocation): BackupSources {
  const config = location.config?.resolved ?? {};
  const agents = resolveAgents(config, {
    home: location.home,
    stateDir: location.stateDir,
    // The CLI and gateway are run with OPENCLAW_STATE_DIR whenever the state dir is not the default.
    stateDirFromEnv: location.stateDirSource !== 'default' && location.stateDirSource !== 'legacy',
    ...(location.version ? { version: location.version } : {}),
    ...(location.openclawEnv.OPENCLAW_PROFILE ? { profile: location.openclawEnv.OPENCLAW_PROFILE } : {}),
    ...(location.openclawEnv.OPENCLAW_WORKSPACE_DIR ? { workspaceDirEnv: location.openclawEnv.OPENCLAW_WORKSPACE_DIR } : {}),
  });
  return {
    stateDir: location.stateDir,
    configPath: location.configPath,
    workspaceDirs: [...new Set(agents.map((a) => a.workspace))],
    agentDirs: agents.map((a) => ({ agentId: a.id, path: a.agentDir })),
  };
}

/** The node's `openclaw` for the native engine, when one was found and runs. */
export function openclawCommandFromLocation(location: OpenclawLocation): (OpenclawCommand & { version?: string | null }) | undefined {
  if (!location.installed || !location.bin) return undefined;
  return { command: location.bin, env: location.cliEnv, version: location.version ?? null };
}
