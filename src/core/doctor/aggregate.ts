import { checkBackups, DEFAULT_BACKUP_MAX_AGE_MS } from './checks/backups';
import { checkGateways } from './checks/gateway';
import { checkMemory } from './checks/memory';
import { checkSessions } from './checks/sessions';
import { checkTokens } from './checks/tokens';
import { checkVersions } from './checks/versions';
import { checkWorkspaces } from './checks/workspaces';
import type { DoctorOptions, DoctorReport, Finding, NodeFacts, Severity } from './types';

/**
 * The doctor's one pure step: facts of every node in, one fleet report out. Every check sees the
 * whole fleet (token and version checks compare nodes); findings are ordered errors first, then
 * by node, so the report reads the same on every run.
 */
const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function doctorReport(facts: readonly NodeFacts[], options: DoctorOptions & { startedAt?: number } = {}): DoctorReport {
  const now = options.now ?? Date.now();
  const findings: Finding[] = [
    ...checkGateways(facts),
    ...checkTokens(facts),
    ...checkWorkspaces(facts),
    ...checkMemory(facts),
    ...checkSessions(facts),
    ...checkBackups(facts, { now, maxAgeMs: options.backupMaxAgeMs ?? DEFAULT_BACKUP_MAX_AGE_MS }),
    ...checkVersions(facts),
  ];
  const order = new Map(facts.map((f, i) => [f.nodeId, i]));
  findings.sort((a, b) => RANK[a.severity] - RANK[b.severity] || (order.get(a.nodeId ?? '') ?? -1) - (order.get(b.nodeId ?? '') ?? -1));
  const count = (s: Severity): number => findings.filter((f) => f.severity === s).length;
  const summary = { errors: count('error'), warnings: count('warning'), infos: count('info') };
  return {
    checkedAt: new Date(options.startedAt ?? now).toISOString(),
    nodes: facts.map((f) => f.nodeId),
    findings,
    summary,
    ok: summary.errors === 0,
    durationMs: options.startedAt !== undefined ? now - options.startedAt : 0,
  };
}
