import { posix } from 'node:path';
import type { OpenclawLocation } from '../openclaw/locate';
import { usesJsonlSessions } from '../openclaw/version';
import { readSessionUsage } from '../status/sessions';
import type { SessionsStatus, SessionUsage } from '../status/types';
import type { Transport } from '../transport/types';
import { hasSessionRpc, openNodeGateway } from './gateway-access';

/**
 * The sessions of one node for `ocm sessions <id>` and the VS Code tree: the status reader's rows
 * (sessions.json, gateway RPC, or `openclaw sessions`) plus each session's transcript size — the
 * JSONL file's size before 2026.7.2, the bytes of `sessions.get` on RPC nodes (bounded: the
 * `MAX_SIZED` most recently updated sessions, so a node with thousands of sessions stays cheap).
 */

export const MAX_SIZED = 50;

export interface ListSessionsOptions {
  thresholdPct: number;
  agentId?: string;
  includeSessions?: boolean;
  transcriptSizes?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function listNodeSessions(
  transport: Transport,
  location: OpenclawLocation,
  agentIds: string[],
  options: ListSessionsOptions,
): Promise<SessionsStatus> {
  const agents = options.agentId ? [options.agentId] : agentIds;
  const op = { ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}), ...(options.signal ? { signal: options.signal } : {}) };
  const status = await readSessionUsage(transport, location, agents, {
    thresholdPct: options.thresholdPct,
    includeSessions: options.includeSessions ?? true,
    ...op,
  });
  if (options.agentId) status.rows = status.rows.filter((r) => r.agentId === options.agentId);
  if (options.transcriptSizes === false || status.rows.length === 0) return status;
  const newest = [...status.rows].sort((a, b) => (b.updatedAt ?? 0) - (a.updatedAt ?? 0)).slice(0, MAX_SIZED);
  if (location.version && usesJsonlSessions(location.version)) {
    await Promise.all(newest.map(async (row) => sizeFromFile(transport, location, row, op)));
  } else if (status.source === 'gateway-rpc' && hasSessionRpc(location.version)) {
    const rpc = await openNodeGateway(transport, location, op).catch(() => undefined);
    if (rpc) {
      try {
        for (const row of newest) {
          const answer = await rpc.call<unknown>('sessions.get', { key: row.key, agentId: row.agentId, limit: 1_000_000 }, op).catch(() => undefined);
          if (answer !== undefined) row.transcriptBytes = Buffer.byteLength(JSON.stringify(answer));
        }
      } finally {
        rpc.close();
      }
    }
  }
  return status;
}

async function sizeFromFile(
  transport: Transport,
  location: OpenclawLocation,
  row: SessionUsage,
  op: { timeoutMs?: number; signal?: AbortSignal },
): Promise<void> {
  if (!row.sessionId || !/^[A-Za-z0-9._-]+$/.test(row.sessionId)) return;
  const path = posix.join(location.stateDir, 'agents', row.agentId, 'sessions', `${row.sessionId}.jsonl`);
  try {
    const stat = await transport.stat(path, op);
    if (stat) row.transcriptBytes = stat.size;
  } catch {
    /* no transcript file: size unknown */
  }
}
