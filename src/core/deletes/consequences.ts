import { posix } from 'node:path';
import { agentOfPath } from '../openclaw/agent-of-path';
import type { AgentInfo } from '../openclaw/agents';

/**
 * What breaks when a path on a node is deleted (or renamed away), so both faces can ask first and
 * say it in plain words: the config (the gateway will not start), a workspace (the agent loses its
 * memory and persona), an agent's state (sessions, credentials), the whole state dir. The agent of
 * a file is agentOfPath's answer (src/core/openclaw); a workspace inside another workspace counts
 * for both when the outer one goes.
 */

export type ConsequenceCode =
  'gatewayWontStart' | 'nodeLosesState' | 'agentLosesWorkspace' | 'agentLosesState' | 'agentLosesMemory' | 'agentLosesIdentity' | 'gatewayLosesSecrets';

export interface Consequence {
  code: ConsequenceCode;
  agentId?: string;
  /** English sentence (for --json and logs); faces render `code` in their language. */
  message: string;
}

export interface NodeLayout {
  stateDir: string;
  configPath: string;
  agents: Pick<AgentInfo, 'id' | 'workspace' | 'agentDir' | 'isDefault'>[];
}

/** True when `path` is `root` or contains it. */
function covers(path: string, root: string): boolean {
  const p = trim(path);
  const r = trim(root);
  return r === p || r.startsWith(p === '/' ? '/' : p + '/');
}

function trim(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** The agent whose workspace holds `path`: the project's one reading (agentOfPath, deepest workspace wins). */
export function workspaceAgentOf(path: string, layout: NodeLayout): string | undefined {
  return agentOfPath(layout.agents as AgentInfo[], trim(path))?.agent.id;
}

export function whatBreaks(path: string, layout: NodeLayout): Consequence[] {
  const out: Consequence[] = [];
  if (covers(path, layout.stateDir)) {
    out.push({
      code: 'nodeLosesState',
      message: "The whole OpenClaw state of this node goes: its config, every agent's sessions, memory index and credentials.",
    });
  }
  if (covers(path, layout.configPath)) {
    out.push({
      code: 'gatewayWontStart',
      message: 'The gateway will not start: openclaw.json is its configuration (a running gateway keeps going until its next restart).',
    });
  }
  if (trim(path) === posix.join(layout.stateDir, '.env'))
    out.push({ code: 'gatewayLosesSecrets', message: 'The gateway loses the API keys and tokens kept in .env.' });
  for (const a of layout.agents) {
    if (covers(path, a.workspace)) {
      out.push({
        code: 'agentLosesWorkspace',
        agentId: a.id,
        message: `Agent ${a.id} loses its workspace: its memory (MEMORY.md, daily notes), persona (SOUL.md) and rules.`,
      });
      continue;
    }
    const stateRoot = posix.dirname(a.agentDir); // <state>/agents/<id>
    if (covers(path, a.agentDir) || (posix.basename(posix.dirname(stateRoot)) === 'agents' && covers(path, stateRoot))) {
      out.push({ code: 'agentLosesState', agentId: a.id, message: `Agent ${a.id} loses its state: sessions, memory index and credentials.` });
    }
  }
  const owner = workspaceAgentOf(path, layout);
  if (owner && !out.some((c) => c.agentId === owner)) {
    const rel = agentOfPath(layout.agents as AgentInfo[], trim(path))?.relativePath ?? '';
    if (rel === 'MEMORY.md' || rel === 'memory' || rel === 'DREAMS.md')
      out.push({ code: 'agentLosesMemory', agentId: owner, message: `Agent ${owner} loses its memory (${rel}).` });
    else if (rel === 'SOUL.md' || rel === 'IDENTITY.md' || rel === 'USER.md')
      out.push({ code: 'agentLosesIdentity', agentId: owner, message: `Agent ${owner} loses who it is (${rel}).` });
  }
  return out;
}
