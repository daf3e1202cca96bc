import { OcmError } from '../errors';
import type { MixupFinding } from '../guard/check';
import { describeFinding, guardedTarget, type MixupGuard } from '../guard/guard';
import type { AgentInfo } from '../openclaw/agents';
import type { BulkPlan, PlannedFile } from './types';

/**
 * The mix-up guard over a bulk apply (issue 15's classic accident: a template written for agent
 * "research" applied to "support" brings research's identity and memory into support). Every
 * planned write into a guarded file (MEMORY/SOUL/IDENTITY/USER.md) of an agent is checked with
 * the same check a single save runs, on the bytes the plan already read (`before`) and computed
 * (`after`): no round trip, and the per-file cost is the per-save cost (well under 20 ms).
 *
 * Why the verdict is taken at plan time and not inside each safe save: the apply writes each file
 * only if it is still exactly the planned `before` (the conflict check against `beforeSha256`),
 * so the verdict on (before → after) is the verdict the save would reach — and knowing it before
 * anything is written lets the preview show it per file and the apply refuse the whole batch up
 * front (see `refuseFlagged`), instead of stopping half way and rolling back.
 */

export const BULK_MIXUP_DETAIL = 'bulkMixup';

/**
 * Marks each write the guard flags with its findings (`file.mixup`). A node the index has never
 * seen is fingerprinted first from local snapshots and history, with the plan's own reads of its
 * targets standing in for the node (no round trip) — as the first single save to a node does.
 */
export async function guardPlan(plan: BulkPlan, guard: MixupGuard, agentsOf: (nodeId: string) => Promise<readonly AgentInfo[]>): Promise<BulkPlan> {
  const writes = plan.files.filter((f) => f.action === 'update' || f.action === 'create');
  const nodeIds = [...new Set(writes.map((f) => f.nodeId))];
  const rosters = new Map<string, readonly AgentInfo[]>();
  await Promise.all(
    nodeIds.map(async (id) => {
      const agents = await agentsOf(id).catch(() => undefined); // the plan asked already (cached); unreachable nodes are blocked there
      if (agents) rosters.set(id, agents);
    }),
  );
  const index = await guard.ready();
  const unknown = [...rosters.entries()].filter(([id]) => !index.agents.some((a) => a.nodeId === id)).map(([nodeId, agents]) => ({ nodeId, agents }));
  if (unknown.length) {
    const planned = new Map(plan.files.filter((f) => f.before).map((f) => [`${f.nodeId}\0${f.path}`, f.before!]));
    await guard.refresh(unknown, { readLive: async (nodeId, path) => planned.get(`${nodeId}\0${path}`) });
  }
  let checked = 0;
  const files = plan.files.map((f): PlannedFile => {
    if (f.action !== 'update' && f.action !== 'create') return f;
    const agents = rosters.get(f.nodeId);
    const target = agents ? guardedTarget(f.nodeId, agents, f.path) : undefined;
    if (!target) return f;
    checked++;
    const verdict = guard.check(target, f.after!, f.before);
    return verdict.ok ? f : { ...f, mixup: verdict.findings };
  });
  return { ...plan, files, guard: { checked, flagged: files.filter((f) => f.mixup?.length).length } };
}

/** The writes the guard flagged. */
export function flaggedFiles(plan: BulkPlan): PlannedFile[] {
  return plan.files.filter((f) => (f.action === 'update' || f.action === 'create') && f.mixup && f.mixup.length > 0);
}

/**
 * Throws before anything is written when the plan has flagged files and the operator did not
 * override for this batch. The whole batch stops, not only the flagged files: a template that
 * brings one agent's memory into another is the wrong template for the batch, and applying the
 * rest would leave the fleet half changed by it.
 */
export function refuseFlagged(plan: BulkPlan): void {
  const flagged = flaggedFiles(plan);
  if (flagged.length === 0) return;
  const list = flagged.map((f) => `${f.nodeId}/${f.agentId} ${f.path}: ${f.mixup!.map(describeFinding).join('; ')}`);
  throw new OcmError(
    'conflict',
    `The bulk apply was refused before anything was written: ${flagged.length} file(s) would bring another agent's text into a guarded file — ${list.join(' | ')}. Check the template and the agents chosen; to apply it anyway on purpose, override for this batch (--force on the command line, Apply Anyway in VS Code).`,
    {
      [BULK_MIXUP_DETAIL]: true,
      files: flagged.map((f) => ({ nodeId: f.nodeId, agentId: f.agentId, path: f.path, findings: f.mixup as MixupFinding[] })),
    },
  );
}

export function isBulkMixupError(e: unknown): e is OcmError {
  return e instanceof OcmError && e.details[BULK_MIXUP_DETAIL] === true;
}
