/** OpenClaw's calendar versions (`2026.9.6`) and the layout eras they imply. */

export interface OpenclawVersion {
  /** `2026.9.6` */
  version: string;
  /** Build commit when printed (`eb377ac`). */
  commit?: string;
}

/** Parses `openclaw --version` output: `OpenClaw 2026.9.6 (eb377ac)` (also a bare `2026.9.6`). */
export function parseOpenclawVersion(text: string): OpenclawVersion | undefined {
  const m = /(?:^|\s)v?(\d{4}\.\d{1,2}\.\d{1,3}(?:[-+][0-9A-Za-z.-]+)?)(?:\s+\(([0-9a-f]{6,40})\))?/m.exec(text);
  if (!m) return undefined;
  return m[2] ? { version: m[1]!, commit: m[2] } : { version: m[1]! };
}

/** Compares two calendar versions numerically (`2026.10.1` > `2026.9.6`); suffixes are ignored. */
export function compareOpenclawVersions(a: string, b: string): number {
  const pa = a.split(/[-+]/)[0]!.split('.').map(Number);
  const pb = b.split(/[-+]/)[0]!.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Which agent-resolution rules a version follows: `entries` (2026.8.2 and later: `agents.entries`,
 * explicit ownership) or `list` (before: `agents.list`, first/`default:true` agent is the default).
 */
export type AgentRules = 'entries' | 'list';

export function agentRulesFor(version: string | undefined, rawConfig?: unknown): AgentRules {
  if (version) return compareOpenclawVersions(version, '2026.8.2') >= 0 ? 'entries' : 'list';
  const agents = isRecord(rawConfig) && isRecord(rawConfig.agents) ? rawConfig.agents : undefined;
  return agents && agents.entries !== undefined ? 'entries' : 'list';
}

/** Newer versions keep sessions in SQLite; before 2026.7.2 they are `sessions.json` + JSONL. */
export function usesJsonlSessions(version: string): boolean {
  return compareOpenclawVersions(version, '2026.7.2') < 0;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
