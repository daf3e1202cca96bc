import { compareOpenclawVersions } from '../../openclaw/version';
import type { Finding, NodeFacts } from '../types';

/** OpenClaw versions that differ across the fleet: one finding per node behind the newest. */
export function checkVersions(facts: readonly NodeFacts[]): Finding[] {
  const versions = facts
    .map((f) => ({ nodeId: f.nodeId, version: f.status.openclaw?.version ?? f.status.gateway?.version }))
    .filter((v): v is { nodeId: string; version: string } => Boolean(v.version));
  const distinct = [...new Set(versions.map((v) => v.version))];
  if (distinct.length < 2) return [];
  const newest = distinct.reduce((a, b) => (compareOpenclawVersions(a, b) >= 0 ? a : b));
  return versions
    .filter((v) => v.version !== newest)
    .map((v) => ({
      code: 'versionsDiffer' as const,
      severity: 'warning' as const,
      nodeId: v.nodeId,
      message: `${v.nodeId} runs OpenClaw ${v.version}; the newest in the fleet is ${newest} (${distinct.join(', ')} in use)`,
      fix: `openclaw update (on ${v.nodeId}; take a backup first: ocm backup ${v.nodeId})`,
      params: { version: v.version, newest, all: distinct.join(', ') },
    }));
}
