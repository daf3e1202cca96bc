import { toOcmError } from '../../core/errors';
import { locateOpenclaw } from '../../core/openclaw';
import type { NodeEntry } from '../../core/registry';
import { autoCompactNode, type AutoCompactOutcome } from '../../core/sessions/auto-compact';
import { pctLabel, type NodeStatus, type StatusDeps } from '../../core/status';
import { l10n } from '../l10n';

/**
 * `ocm status --auto-compact PCT` (for cron): after the check, each node with a session at or over
 * PCT is located again (one more exec, only for those nodes) and auto-compacted through
 * core/sessions/auto-compact.ts (cooldown, never mid-turn, transcript captured first). Each outcome
 * is printed (and in --json under `autoCompacted`).
 */

export interface AutoCompactReport extends Omit<AutoCompactOutcome, 'result'> {
  nodeId: string;
  backupId?: string;
  afterPct?: number;
}

export async function autoCompactAll(
  nodes: readonly NodeEntry[],
  results: readonly NodeStatus[],
  deps: StatusDeps,
  options: { home: string; pct: number; thresholdPct: number; signal?: AbortSignal },
): Promise<AutoCompactReport[]> {
  const reports: AutoCompactReport[] = [];
  for (const [i, status] of results.entries()) {
    const rows = status.sessions?.rows.filter((r) => r.usedPct !== undefined && r.usedPct >= options.pct) ?? [];
    if (rows.length === 0) continue;
    const node = nodes[i]!;
    try {
      const transport = await deps.transportFor(node);
      const location = await locateOpenclaw(transport, node, options.signal ? { signal: options.signal } : {});
      const outcomes = await autoCompactNode(transport, location, rows, {
        home: options.home,
        nodeId: node.id,
        pct: options.pct,
        thresholdPct: options.thresholdPct,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      for (const { result, ...o } of outcomes) {
        reports.push({
          nodeId: node.id,
          ...o,
          ...(result ? { backupId: result.backup.id } : {}),
          ...(result?.after?.usedPct !== undefined ? { afterPct: result.after.usedPct } : {}),
        });
      }
    } catch (e) {
      for (const r of rows)
        reports.push({ nodeId: node.id, agentId: r.agentId, key: r.key, usedPct: r.usedPct!, status: 'failed', error: toOcmError(e).message });
    }
  }
  return reports;
}

export function autoCompactLine(a: AutoCompactReport): string {
  if (a.status === 'compacted')
    return l10n.t('auto-compacted {0} {1}: {2} → {3} (transcript saved as {4})', a.nodeId, a.key, pctLabel(a.usedPct), pctLabel(a.afterPct), a.backupId ?? '-');
  if (a.status === 'skipped-active') return l10n.t('auto-compact of {0} {1} postponed: a turn is running', a.nodeId, a.key);
  return l10n.t('auto-compact of {0} {1} failed: {2}', a.nodeId, a.key, a.error ?? '');
}
