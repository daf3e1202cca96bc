import { posix } from 'node:path';
import type { AgentInfo } from './agents';

/**
 * The one answer to "which agent is this file?", used by the tree, the mix-up guard, the timeline
 * and restore. Workspaces can sit inside other workspaces (`agents.defaults.workspace` puts
 * `<default>/<id>` inside the default agent's folder; an explicit `workspace` can point anywhere),
 * so the deepest workspace that contains the path wins. Two agents sharing one folder: the
 * default agent, else the first in roster order.
 */

export interface PathOwner {
  agent: AgentInfo;
  /** The owning workspace (normalized, no trailing slash). */
  workspace: string;
  /** Path inside the workspace (`MEMORY.md`, `memory/2026-11-21.md`); '' for the workspace itself. */
  relativePath: string;
  /** Other agents configured with the very same workspace folder. */
  sharedWith: AgentInfo[];
}

/** Files that make up an agent's memory and identity (timeline, guard). */
export const MEMORY_FILE_NAMES = ['MEMORY.md', 'SOUL.md', 'USER.md', 'IDENTITY.md', 'AGENTS.md', 'DREAMS.md'] as const;
/** The files the mix-up guard protects. */
export const GUARDED_FILE_NAMES = ['MEMORY.md', 'SOUL.md', 'IDENTITY.md', 'USER.md'] as const;

const DAILY_NOTE = /^memory\/[^/]+\.md$/;

function normalize(path: string): string {
  const n = posix.normalize(path);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root === '/' ? '/' : root + '/');
}

export function agentOfPath(agents: readonly AgentInfo[], remotePath: string): PathOwner | undefined {
  const path = normalize(remotePath);
  let best: { agent: AgentInfo; workspace: string } | undefined;
  const sharing: AgentInfo[] = [];
  for (const agent of agents) {
    const ws = normalize(agent.workspace);
    if (!inside(path, ws)) continue;
    if (!best || ws.length > best.workspace.length) {
      best = { agent, workspace: ws };
      sharing.length = 0;
    } else if (ws === best.workspace) {
      if (agent.isDefault && !best.agent.isDefault) {
        sharing.push(best.agent);
        best = { agent, workspace: ws };
      } else sharing.push(agent);
    }
  }
  if (!best) return undefined;
  const relativePath = path === best.workspace ? '' : path.slice(best.workspace === '/' ? 1 : best.workspace.length + 1);
  return { agent: best.agent, workspace: best.workspace, relativePath, sharedWith: sharing };
}

/** True for MEMORY.md, SOUL.md, USER.md, IDENTITY.md, AGENTS.md, DREAMS.md and memory/*.md (relative to the workspace). */
export function isMemoryFile(relativePath: string): boolean {
  return (MEMORY_FILE_NAMES as readonly string[]).includes(relativePath) || DAILY_NOTE.test(relativePath);
}

/** True for the files the mix-up guard checks before a save. */
export function isGuardedFile(relativePath: string): boolean {
  return (GUARDED_FILE_NAMES as readonly string[]).includes(relativePath);
}
