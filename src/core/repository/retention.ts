import { OcmError } from '../errors';
import type { Snapshot } from './format';

/**
 * Which snapshots a retention policy keeps (restic's `forget --keep-*` rules): the newest N, and
 * the newest snapshot of each of the last H hours, D days, W weeks, M months that have one; pinned
 * snapshots always. Per node. Buckets use UTC so every machine agrees.
 */

export interface RetentionPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
}

export function hasPolicy(p: RetentionPolicy): boolean {
  return [p.last, p.hourly, p.daily, p.weekly, p.monthly].some((n) => n !== undefined);
}

function bucket(kind: 'hourly' | 'daily' | 'weekly' | 'monthly', iso: string): string {
  const d = new Date(iso);
  if (kind === 'hourly') return iso.slice(0, 13);
  if (kind === 'daily') return iso.slice(0, 10);
  if (kind === 'monthly') return iso.slice(0, 7);
  // ISO week: Thursday of the week decides the year.
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${week}`;
}

export interface RetentionDecision {
  keep: Array<{ snapshot: Snapshot; reasons: string[] }>;
  remove: Snapshot[];
}

/** `snapshots` of any nodes; decided per node. */
export function applyRetention(snapshots: readonly Snapshot[], policy: RetentionPolicy): RetentionDecision {
  if (!hasPolicy(policy)) {
    throw new OcmError(
      'invalidInput',
      'Say what to keep: --keep-last, --keep-hourly, --keep-daily, --keep-weekly or --keep-monthly (pinned backups are always kept).',
      { usage: true },
    );
  }
  for (const [k, v] of Object.entries(policy)) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0))
      throw new OcmError('invalidInput', `--keep-${k} must be a whole number ≥ 0 (got ${v}).`, { usage: true });
  }
  const byNode = new Map<string, Snapshot[]>();
  for (const s of snapshots) byNode.set(s.nodeId, [...(byNode.get(s.nodeId) ?? []), s]);
  const decision: RetentionDecision = { keep: [], remove: [] };
  for (const list of byNode.values()) {
    const sorted = [...list].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
    const reasons = new Map<Snapshot, string[]>();
    const add = (s: Snapshot, r: string): void => void reasons.set(s, [...(reasons.get(s) ?? []), r]);
    sorted.forEach((s, i) => {
      if (s.pinned) add(s, 'pinned');
      if (policy.last !== undefined && i < policy.last) add(s, 'last');
    });
    for (const kind of ['hourly', 'daily', 'weekly', 'monthly'] as const) {
      const n = policy[kind];
      if (!n) continue;
      const seen = new Set<string>();
      for (const s of sorted) {
        const b = bucket(kind, s.createdAt);
        if (seen.has(b)) continue;
        if (seen.size >= n) break;
        seen.add(b);
        add(s, kind);
      }
    }
    for (const s of sorted) {
      const r = reasons.get(s);
      if (r) decision.keep.push({ snapshot: s, reasons: r });
      else decision.remove.push(s);
    }
  }
  return decision;
}
