import { posix } from 'node:path';
import { MixupGuard } from '../core/guard';
import { ocmHome } from '../core/home';
import { agentsFromLocation, locateOpenclaw, type AgentInfo } from '../core/openclaw';
import type { CliContext } from './context';
import { cliError, l10n } from './l10n';
import { withNodeTransport } from './node-connection';

/**
 * A node file named the way operators think of agent files: an absolute path as it is, or
 * `AGENT:PATH` (`ops:MEMORY.md`, `main:memory/2026-12-01.md`), or a bare relative path in the
 * default agent's workspace (`MEMORY.md`). The agents come from what ocm already knows (the mix-up
 * guard's index, no round trip); only a node ocm knows nothing of yet is asked.
 */
export async function resolveAgentPath(ctx: CliContext, nodeId: string, path: string, connect: { acceptNew?: boolean } = {}): Promise<string> {
  if (path.startsWith('/')) return path;
  const colon = path.indexOf(':');
  const agentId = colon > 0 ? path.slice(0, colon) : undefined;
  const relative = posix.normalize(colon > 0 ? path.slice(colon + 1) : path);
  if (relative === '.' || relative.startsWith('../') || relative === '..' || relative.startsWith('/')) {
    throw cliError(
      'invalidInput',
      l10n.both('"{0}" is not a file inside an agent\'s workspace. Give AGENT:FILE (e.g. main:MEMORY.md) or the absolute path on the node.', path),
      {
        usage: true,
      },
    );
  }
  const agents =
    (await new MixupGuard(ocmHome(ctx.env)).knownAgents(nodeId)) ??
    (await withNodeTransport(ctx, nodeId, connect, async (t, node) => agentsFromLocation(await locateOpenclaw(t, node))));
  const agent = pick(agents, agentId);
  if (!agent) {
    const ids = agents.map((a) => a.id).join(', ') || l10n.t('none');
    throw cliError(
      'notFound',
      agentId
        ? l10n.both('Node {0} has no agent "{1}" (agents: {2}). Give one of those, or the absolute path on the node.', nodeId, agentId, ids)
        : l10n.both('Node {0} has no default agent to find "{1}" in (agents: {2}). Give AGENT:FILE, e.g. main:MEMORY.md.', nodeId, path, ids),
    );
  }
  return posix.join(agent.workspace, relative);
}

function pick(agents: readonly AgentInfo[], agentId: string | undefined): AgentInfo | undefined {
  if (agentId) return agents.find((a) => a.id === agentId);
  return agents.find((a) => a.isDefault) ?? (agents.length === 1 ? agents[0] : undefined);
}
