import { toOcmError } from '../errors';
import type { OpenclawLocation } from '../openclaw/locate';
import type { NodeStatus, SessionUsage } from '../status/types';
import type { Transport } from '../transport/types';
import { runSessionAction, type SessionActionResult } from './actions';
import { hasSessionRpc } from './gateway-access';
import { sessionId, updateSessionMemory, type NodeSessionMemory } from './samples';

/**
 * Opt-in self-healing (`openclaw.sessions.autoCompactAt`, `ocm status --auto-compact PCT`): a
 * session whose fresh usage is at or over the percentage is compacted through the gateway — at most
 * once per session per cooldown (default 6 h, remembered in the ocm home next to the samples), never
 * while the gateway says a turn is running (`hasActiveRun`; then it is tried at the next check), and
 * always with the pre-action transcript capture of actions.ts. Every attempt is returned so the
 * face logs it and notifies.
 */

export const DEFAULT_AUTO_COMPACT_COOLDOWN_MS = 6 * 3_600_000;

export interface AutoCompactOutcome {
  agentId: string;
  key: string;
  usedPct: number;
  result?: SessionActionResult;
  /** `skipped-active`: mid-turn; `failed`: see error. */
  status: 'compacted' | 'skipped-active' | 'failed';
  error?: string;
}

/** Sessions due for auto-compaction (pure): over `pct`, not mid-turn, outside the cooldown. */
export function autoCompactCandidates(
  rows: readonly SessionUsage[],
  memory: NodeSessionMemory,
  pct: number,
  now: number,
  cooldownMs = DEFAULT_AUTO_COMPACT_COOLDOWN_MS,
): SessionUsage[] {
  return rows.filter((row) => {
    if (row.usedPct === undefined || row.usedPct < pct) return false;
    const last = memory.sessions[sessionId(row.agentId, row.key)]?.autoCompactedAt;
    return last === undefined || now - last >= cooldownMs;
  });
}

export interface AutoCompactInput {
  home: string;
  nodeId: string;
  pct: number;
  thresholdPct: number;
  cooldownMs?: number;
  now?: () => number;
  signal?: AbortSignal;
}

export async function autoCompactNode(
  transport: Transport,
  location: OpenclawLocation,
  rows: readonly SessionUsage[],
  input: AutoCompactInput,
): Promise<AutoCompactOutcome[]> {
  if (!hasSessionRpc(location.version)) return [];
  const now = input.now ?? Date.now;
  // Claim the candidates under the lock first, so two runs (cron + extension) never both compact.
  const claimed = await updateSessionMemory(input.home, input.nodeId, (memory) => {
    const due = autoCompactCandidates(rows, memory, input.pct, now(), input.cooldownMs);
    const ready = due.filter((r) => r.active !== true);
    for (const r of ready) (memory.sessions[sessionId(r.agentId, r.key)] ??= { samples: [], lastSeen: now() }).autoCompactedAt = now();
    return { ready, active: due.filter((r) => r.active === true) };
  });
  const outcomes: AutoCompactOutcome[] = claimed.active.map((r) => ({
    agentId: r.agentId,
    key: r.key,
    usedPct: r.usedPct!,
    status: 'skipped-active' as const,
  }));
  for (const row of claimed.ready) {
    try {
      const result = await runSessionAction(transport, location, {
        nodeId: input.nodeId,
        agentId: row.agentId,
        key: row.key,
        action: 'compact',
        home: input.home,
        thresholdPct: input.thresholdPct,
        refuseWhileActive: true,
        ...(input.signal ? { signal: input.signal } : {}),
      });
      outcomes.push({ agentId: row.agentId, key: row.key, usedPct: row.usedPct!, status: 'compacted', result });
    } catch (e) {
      const err = toOcmError(e);
      const active = err.details.active === true;
      if (active) {
        // Not compacted: release the claim so the next check tries again.
        await updateSessionMemory(input.home, input.nodeId, (memory) => {
          const m = memory.sessions[sessionId(row.agentId, row.key)];
          if (m) delete m.autoCompactedAt;
        });
      }
      outcomes.push({ agentId: row.agentId, key: row.key, usedPct: row.usedPct!, status: active ? 'skipped-active' : 'failed', error: err.message });
    }
  }
  return outcomes;
}

export interface OverflowFinding {
  nodeId: string;
  agentId: string;
  key: string;
  usedPct?: number;
  hoursToWindow?: number;
  /** `threshold`: over the usage threshold now; `predicted`: reaches the window within warnHours. */
  reason: 'threshold' | 'predicted';
  /** The command that fixes it. */
  fix: string;
}

/** Sessions predicted to overflow (or already over the threshold), across statuses: for `ocm doctor`. */
export function sessionsPredictedToOverflow(statuses: readonly NodeStatus[]): OverflowFinding[] {
  const found: OverflowFinding[] = [];
  for (const s of statuses) {
    for (const row of s.sessions?.rows ?? []) {
      if (!row.overThreshold && !row.predictedOverflow) continue;
      found.push({
        nodeId: s.nodeId,
        agentId: row.agentId,
        key: row.key,
        ...(row.usedPct !== undefined ? { usedPct: row.usedPct } : {}),
        ...(row.hoursToWindow !== undefined ? { hoursToWindow: row.hoursToWindow } : {}),
        reason: row.overThreshold ? 'threshold' : 'predicted',
        fix: `ocm sessions compact ${s.nodeId} ${row.key} --agent ${row.agentId} --yes`,
      });
    }
  }
  return found;
}
