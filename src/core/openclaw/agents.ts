import { posix } from 'node:path';
import { agentRulesFor, isRecord, type AgentRules } from './version';

/**
 * Agents from the raw (include-resolved) config, resolved with the rules of the node's OpenClaw
 * version — read from OpenClaw's own source (`agent-scope-config`, 2026.9.6 and 2026.7.1) and
 * checked against `openclaw agents list --json` on real nodes (test/fixtures/openclaw).
 *
 * entries rules (2026.8.2+): roster = `agents.entries` ({id: {...}}) when present, else `agents.list`;
 *   no roster at all means one implicit agent `main`. Default agent: with `agents.ownership:
 *   "explicit"` the `agents.defaults.systemAgent.agentId`; otherwise the single `default: true`
 *   entry, else the only agent. The agent that inherits `<state>/workspace` is the `default: true`
 *   one (not under explicit ownership) or the only agent — so in an explicit fleet with several
 *   agents even `main` resolves to `<state>/workspace-main` unless its workspace is set.
 * list rules (before 2026.8.2): roster = `agents.list`; default = first `default: true`, else the
 *   first entry; the default agent's workspace is `agents.defaults.workspace` or
 *   `$HOME/.openclaw/workspace` — even when OPENCLAW_STATE_DIR points elsewhere (a 2026.7.1 quirk).
 * Both: explicit `workspace` wins; other agents use `<agents.defaults.workspace>/<id>`, else
 *   `<state>/workspace-<id>`; `agentDir` defaults to `<state>/agents/<id>/agent`; `~` is the home.
 */

export interface AgentInfo {
  id: string;
  name?: string;
  workspace: string;
  agentDir: string;
  isDefault: boolean;
  /** Primary model as configured (agent, else agents.defaults). */
  model?: string;
  /** Where the agent came from: `agents.entries`, `agents.list`, or implicit (no roster). */
  source: 'entries' | 'list' | 'implicit';
}

export interface AgentResolveContext {
  /** Home used for `~` and defaults (OPENCLAW_HOME, else HOME). */
  home: string;
  stateDir: string;
  /** True when OPENCLAW_STATE_DIR is set for the gateway (changes the default workspace on 2026.8+). */
  stateDirFromEnv: boolean;
  /** OpenClaw version on the node (`2026.9.6`); decides the rules. */
  version?: string;
  /** OPENCLAW_PROFILE, if set. */
  profile?: string;
  /** OPENCLAW_WORKSPACE_DIR, if set. */
  workspaceDirEnv?: string;
}

const DEFAULT_AGENT_ID = 'main';
const VALID_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

/** OpenClaw's canonical agent id (lower case, unsafe characters replaced by `-`, `main` if empty). */
export function normalizeAgentId(value: unknown): string {
  const trimmed = typeof value === 'string' ? value.trim() : '';
  const lower = trimmed.toLowerCase();
  if (VALID_ID.test(trimmed)) return lower;
  const id = lower
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+/, '')
    .replace(/-+$/, '')
    .slice(0, 64);
  return id || DEFAULT_AGENT_ID;
}

interface RosterEntry {
  id: string;
  entry: Record<string, unknown>;
}

export function resolveAgents(config: Record<string, unknown>, ctx: AgentResolveContext): AgentInfo[] {
  const rules: AgentRules = agentRulesFor(ctx.version, config);
  const agents = isRecord(config.agents) ? config.agents : {};
  const defaults = isRecord(agents.defaults) ? agents.defaults : {};
  const { roster, source, hasRoster } = readRoster(agents, rules);

  const ids: string[] = [];
  const byId = new Map<string, Record<string, unknown>>();
  for (const r of roster) {
    const id = normalizeAgentId(r.id);
    if (byId.has(id)) continue;
    byId.set(id, r.entry);
    ids.push(id);
  }
  if (ids.length === 0 && (rules === 'list' || !hasRoster)) {
    ids.push(DEFAULT_AGENT_ID);
    byId.set(DEFAULT_AGENT_ID, {});
  }

  const defaultId = rules === 'entries' ? modernDefaultId(agents, defaults, roster, ids, hasRoster) : listDefaultId(roster);
  const workspaceOwner = rules === 'entries' ? modernWorkspaceOwner(agents, roster, hasRoster) : defaultId;
  const fallbackWorkspace = str(defaults.workspace);

  return ids.map((id) => {
    const entry = byId.get(id) ?? {};
    const explicitWorkspace = str(entry.workspace);
    let workspace: string;
    if (explicitWorkspace) workspace = userPath(explicitWorkspace, ctx.home);
    else if (id === workspaceOwner) workspace = fallbackWorkspace ? userPath(fallbackWorkspace, ctx.home) : defaultAgentWorkspace(rules, ctx);
    else if (fallbackWorkspace) workspace = posix.join(userPath(fallbackWorkspace, ctx.home), id);
    else workspace = posix.join(ctx.stateDir, `workspace-${id}`);
    const explicitAgentDir = str(entry.agentDir);
    const agentDir = explicitAgentDir ? userPath(explicitAgentDir, ctx.home) : posix.join(ctx.stateDir, 'agents', id, 'agent');
    const name = str(entry.name);
    const model = primaryModel(entry.model) ?? primaryModel(defaults.model);
    return {
      id,
      ...(name ? { name } : {}),
      workspace,
      agentDir,
      isDefault: defaultId !== undefined && id === defaultId,
      ...(model ? { model } : {}),
      source: hasRoster && roster.length > 0 ? source : 'implicit',
    };
  });
}

function readRoster(agents: Record<string, unknown>, rules: AgentRules): { roster: RosterEntry[]; source: 'entries' | 'list'; hasRoster: boolean } {
  if (rules === 'entries' && Object.hasOwn(agents, 'entries') && agents.entries !== undefined) {
    const entries = agents.entries;
    const roster = isRecord(entries)
      ? Object.entries(entries)
          .filter(([, v]) => isRecord(v))
          .map(([id, v]) => ({ id, entry: v as Record<string, unknown> }))
      : [];
    return { roster, source: 'entries', hasRoster: true };
  }
  const list = agents.list;
  const hasRoster = Object.hasOwn(agents, 'list') && list !== undefined;
  const roster = Array.isArray(list) ? list.filter(isRecord).map((v) => ({ id: String(v.id ?? ''), entry: v })) : [];
  return { roster, source: 'list', hasRoster };
}

function modernDefaultId(
  agents: Record<string, unknown>,
  defaults: Record<string, unknown>,
  roster: RosterEntry[],
  ids: string[],
  hasRoster: boolean,
): string | undefined {
  if (agents.ownership === 'explicit') {
    const system = isRecord(defaults.systemAgent) ? str(defaults.systemAgent.agentId) : undefined;
    const id = system ? normalizeAgentId(system) : undefined;
    return id && ids.includes(id) ? id : undefined;
  }
  return modernWorkspaceOwner(agents, roster, hasRoster) ?? (ids.length === 1 ? ids[0] : undefined);
}

/** OpenClaw's "legacy data owner": the agent that keeps the un-suffixed default workspace. */
function modernWorkspaceOwner(agents: Record<string, unknown>, roster: RosterEntry[], hasRoster: boolean): string | undefined {
  if (agents.ownership !== 'explicit') {
    const marked = roster.filter((r) => r.entry.default === true);
    if (marked.length === 1) return normalizeAgentId(marked[0]!.id);
  }
  if (roster.length === 0) return hasRoster ? undefined : DEFAULT_AGENT_ID;
  return roster.length === 1 ? normalizeAgentId(roster[0]!.id) : undefined;
}

function listDefaultId(roster: RosterEntry[]): string {
  if (roster.length === 0) return DEFAULT_AGENT_ID;
  const chosen = (roster.find((r) => Boolean(r.entry.default)) ?? roster[0]!).id.trim();
  return normalizeAgentId(chosen || DEFAULT_AGENT_ID);
}

function defaultAgentWorkspace(rules: AgentRules, ctx: AgentResolveContext): string {
  if (ctx.workspaceDirEnv?.trim()) return userPath(ctx.workspaceDirEnv, ctx.home);
  if (rules === 'entries' && ctx.stateDirFromEnv) return posix.join(ctx.stateDir, 'workspace');
  const profile = ctx.profile?.trim();
  if (profile && profile.toLowerCase() !== 'default') return posix.join(ctx.home, '.openclaw', `workspace-${profile}`);
  return posix.join(ctx.home, '.openclaw', 'workspace');
}

/** `~` and `~/x` against the home; relative paths against the home (the CLI runs there over SSH). */
export function userPath(input: string, home: string): string {
  const trimmed = input.trim();
  if (trimmed === '~') return posix.normalize(home);
  if (trimmed.startsWith('~/')) return posix.join(home, trimmed.slice(2));
  return posix.resolve(home, trimmed);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function primaryModel(v: unknown): string | undefined {
  if (typeof v === 'string') return str(v);
  if (isRecord(v)) return str(v.primary);
  return undefined;
}
