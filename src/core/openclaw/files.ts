import { posix } from 'node:path';
import { isOcmError } from '../errors';
import type { DirEntry, OpOptions, Transport } from '../transport/types';
import type { OpenclawLocation } from './locate';

/**
 * The files a user edits: each agent's workspace files and daily memory notes, and the node's
 * config files. One readdir per folder, folders read in parallel.
 */

/** Workspace files in the order they are shown. TOOLS.md / HEARTBEAT.md exist on older nodes only. */
export const WORKSPACE_FILES = [
  'SOUL.md',
  'MEMORY.md',
  'USER.md',
  'AGENTS.md',
  'IDENTITY.md',
  'TOOLS.md',
  'HEARTBEAT.md',
  'BOOTSTRAP.md',
  'BOOT.md',
  'DREAMS.md',
] as const;

export interface AgentFile {
  name: string;
  path: string;
  size: number;
  mtimeMs: number;
}

export interface MemoryNote extends AgentFile {
  /** `2026-11-21` */
  date: string;
  /** `standup` for `2026-11-21-standup.md`. */
  slug?: string;
}

export interface AgentFiles {
  workspace: string;
  /** False when the workspace folder does not exist (yet). */
  workspaceExists: boolean;
  files: AgentFile[];
  /** `memory/YYYY-MM-DD.md` and `memory/YYYY-MM-DD-<slug>.md`, newest first. */
  memoryNotes: MemoryNote[];
}

const DAILY_NOTE = /^(\d{4}-\d{2}-\d{2})(?:-(.+))?\.md$/;

export async function listAgentFiles(transport: Transport, workspace: string, options: OpOptions = {}): Promise<AgentFiles> {
  const memoryDir = posix.join(workspace, 'memory');
  const [top, memory] = await Promise.all([readdirOrUndefined(transport, workspace, options), readdirOrUndefined(transport, memoryDir, options)]);
  const byName = new Map((top ?? []).filter((e) => e.type === 'file' || e.type === 'symlink').map((e) => [e.name, e]));
  const files: AgentFile[] = [];
  for (const name of WORKSPACE_FILES) {
    const e = byName.get(name);
    if (e) files.push({ name, path: posix.join(workspace, name), size: e.size, mtimeMs: e.mtimeMs });
  }
  const memoryNotes: MemoryNote[] = [];
  for (const e of memory ?? []) {
    if (e.type !== 'file' && e.type !== 'symlink') continue;
    const m = DAILY_NOTE.exec(e.name);
    if (!m) continue;
    memoryNotes.push({ name: e.name, path: posix.join(memoryDir, e.name), size: e.size, mtimeMs: e.mtimeMs, date: m[1]!, ...(m[2] ? { slug: m[2] } : {}) });
  }
  // Newest day first; within a day the plain note first, then slugs alphabetically.
  memoryNotes.sort((a, b) => (a.date !== b.date ? (a.date < b.date ? 1 : -1) : (a.slug ?? '') < (b.slug ?? '') ? -1 : (a.slug ?? '') > (b.slug ?? '') ? 1 : 0));
  return { workspace, workspaceExists: top !== undefined, files, memoryNotes };
}

export interface NodeConfigFile {
  path: string;
  role: 'config' | 'include' | 'env';
  /** `.env` holds API keys: show it, but never log or diff its content carelessly. */
  secret: boolean;
  exists: boolean;
}

/** openclaw.json, its $includes (as resolved by locate) and `<state>/.env`. */
export async function listConfigFiles(transport: Transport, located: OpenclawLocation, options: OpOptions = {}): Promise<NodeConfigFile[]> {
  const out: NodeConfigFile[] = [{ path: located.configPath, role: 'config', secret: false, exists: located.configExists }];
  for (const f of located.config?.files ?? []) {
    if (f.role === 'include') out.push({ path: f.path, role: 'include', secret: false, exists: true });
  }
  const envPath = posix.join(located.stateDir, '.env');
  const env = located.stateDirExists ? await transport.statOrUndefined(envPath, options) : undefined;
  if (env) out.push({ path: envPath, role: 'env', secret: true, exists: true });
  return out;
}

async function readdirOrUndefined(transport: Transport, path: string, options: OpOptions): Promise<DirEntry[] | undefined> {
  try {
    return await transport.readdir(path, options);
  } catch (e) {
    if (isOcmError(e, 'notFound')) return undefined;
    throw e;
  }
}
