import { isRecord } from '../openclaw/version';
import type { RawSessionRow } from '../status/session-row';
import type { GatewayRpc } from './gateway-rpc';

/**
 * Session rows from the running gateway (`sessions.list`, one call per agent over ONE connection).
 *
 * Chosen as the SQLite-era default after measuring on a real OpenClaw 2026.9.6 node (this machine,
 * one session, 3 agents):
 *   - `openclaw sessions --all-agents --json`: 5.0–5.6 s (CLI start-up), ~300 MB on the node;
 *   - read-only look at `agents/<id>/agent/openclaw-agent.sqlite` with node:sqlite: 50–130 ms
 *     (one node process per read), but the schema (`session_nodes.entry_json`, `transcript_events`)
 *     is OpenClaw-internal and changes between releases, it needs a Node ≥ 22.5 binary on the node,
 *     and a read-only open of a WAL database still touches `-shm` next to the gateway's lease;
 *   - gateway RPC `sessions.list` through the SSH channel: connect + hello ~25 ms, first list
 *     ~80 ms, warm lists 2–4 ms; documented, versioned (protocol 4), the same freshness fields as
 *     the CLI, plus `hasActiveRun` (mid-turn), and the same connection serves compact/reset/archive.
 * So: RPC when the gateway runs; when it does not, the old path (`openclaw sessions`, only with
 * `--sessions`) — a stopped gateway is reported as an error anyway, and no session grows then.
 */

/** Rows per agent asked for; a node with more is listed up to this (noted by the caller). */
export const RPC_LIST_LIMIT = 500;

export async function listSessionsRpc(
  rpc: GatewayRpc,
  agentIds: string[],
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ rows: RawSessionRow[]; truncated: string[] }> {
  const ids = agentIds.length ? agentIds : ['main'];
  const truncated: string[] = [];
  const lists = await Promise.all(
    ids.map(async (agentId) => {
      const answer = await rpc.call<unknown>('sessions.list', { agentId, limit: RPC_LIST_LIMIT }, options);
      if (isRecord(answer) && answer.hasMore === true) truncated.push(agentId);
      return parseSessionsListAnswer(answer, agentId);
    }),
  );
  // One agent's list can name sessions of others (shared keys); keep each key once.
  const seen = new Set<string>();
  const rows = lists.flat().filter((r) => {
    const id = `${r.agentId}\u0000${r.key}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return { rows, truncated };
}

/** `sessions.list` → rows; `agentId` of the row wins over the agent that was asked. */
export function parseSessionsListAnswer(answer: unknown, askedAgent: string): RawSessionRow[] {
  const sessions = isRecord(answer) && Array.isArray(answer.sessions) ? answer.sessions : [];
  return sessions
    .filter(isRecord)
    .filter((row) => typeof row.key === 'string' && row.archived !== true)
    .map((row) => ({ agentId: typeof row.agentId === 'string' ? row.agentId : askedAgent, key: row.key as string, row }));
}
