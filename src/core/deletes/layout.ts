import type { AgentInfo } from '../openclaw/agents';
import type { OpenclawLocation } from '../openclaw/locate';
import type { NodeLayout } from './consequences';

/** The paths whatBreaks needs, from a located node and its agents. */
export function layoutOf(
  location: Pick<OpenclawLocation, 'stateDir' | 'configPath'>,
  agents: Pick<AgentInfo, 'id' | 'workspace' | 'agentDir' | 'isDefault'>[],
): NodeLayout {
  return {
    stateDir: location.stateDir,
    configPath: location.configPath,
    agents: agents.map((a) => ({ id: a.id, workspace: a.workspace, agentDir: a.agentDir, isDefault: a.isDefault })),
  };
}
