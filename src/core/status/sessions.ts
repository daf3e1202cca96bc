import { posix } from 'node:path';
import { isOcmError, toOcmError } from '../errors';
import type { OpenclawLocation } from '../openclaw/locate';
import { compareOpenclawVersions, isRecord, usesJsonlSessions } from '../openclaw/version';
import { readFileBounded } from '../transport/read-bounded';
import { envPrefix, shellQuote } from '../transport/shell-quote';
import type { OpOptions, Transport } from '../transport/types';
import { openNodeGateway, hasSessionRpc } from '../sessions/gateway-access';
import { listSessionsRpc } from '../sessions/rpc-read';
import type { RawSessionRow } from './session-row';
import type { SessionsStatus, SessionUsage } from './types';

export type { RawSessionRow } from './session-row';

/**
 * Context-window usage per session. OpenClaw's own rule: usage = totalTokens / contextTokens, and
 * only when `totalTokensFresh` is true (on 2026.9 and later also `totalTokensVersion: 1`); every
 * other row's usage is unknown, never guessed.
 *
 * Sources, cheapest first: before 2026.7.2 each agent's `agents/<id>/sessions/sessions.json`
 * (milliseconds over SFTP); from 2026.9.0 the running gateway's `sessions.list` over RPC through
 * the SSH channel (milliseconds; why RPC and not a look at the database: src/core/sessions/rpc-read.ts);
 * otherwise (2026.7.2–2026.8.x, or the gateway not running) `openclaw sessions --all-agents --json`
 * (1.5–8 s), which runs only when asked for.
 */

export const DEFAULT_CONTEXT_THRESHOLD_PCT = 80;
/** An agent's sessions.json is read whole; larger ones are reported in the note, not read. */
const MAX_SESSIONS_JSON_BYTES = 64 * 1024 * 1024;

/** `sessions.json`: `{ "<session key>": { sessionId, updatedAt, totalTokens, totalTokensFresh, contextTokens, model } }`. */
export function parseSessionsJson(text: string, agentId: string): RawSessionRow[] {
  const parsed: unknown = JSON.parse(text);
  if (!isRecord(parsed)) return [];
  // Some builds wrap the map: { sessions: {...} }.
  const map = isRecord(parsed.sessions) && !('sessionId' in parsed) ? parsed.sessions : parsed;
  return Object.entries(map)
    .filter((e): e is [string, Record<string, unknown>] => isRecord(e[1]))
    .map(([key, row]) => ({ agentId, key, row }));
}

/** `openclaw sessions --all-agents --json`: `{ sessions: [{ agentId, key, ... }] }`. */
export function parseSessionsCliJson(text: string): RawSessionRow[] {
  const start = text.indexOf('{');
  const parsed: unknown = JSON.parse(start > 0 ? text.slice(start) : text);
  const rows = isRecord(parsed) && Array.isArray(parsed.sessions) ? parsed.sessions : Array.isArray(parsed) ? parsed : [];
  return rows.filter(isRecord).map((row) => ({
    agentId: typeof row.agentId === 'string' ? row.agentId : agentFromKey(String(row.key ?? '')),
    key: String(row.key ?? row.sessionKey ?? ''),
    row,
  }));
}

/** `agent:<id>:<rest>` → `<id>`. */
function agentFromKey(key: string): string {
  const m = /^agent:([^:]+):/.exec(key);
  return m ? m[1]! : 'main';
}

/** Turns raw rows into usage values, applying the freshness rules of `version`. Sorted by usage, highest first. */
export function sessionUsages(rows: RawSessionRow[], options: { version?: string; thresholdPct: number; gatewayRows?: boolean }): SessionUsage[] {
  // The gateway's sessions.list does not project totalTokensVersion: its totalTokensFresh is
  // already the gateway's own judgement of the current count (checked on a real 2026.9.6).
  const needsCountVersion = !options.gatewayRows && options.version !== undefined && compareOpenclawVersions(options.version, '2026.9.0') >= 0;
  const usages = rows.map(({ agentId, key, row }): SessionUsage => {
    const total = finite(row.totalTokens);
    const context = finite(row.contextTokens);
    const fresh = row.totalTokensFresh === true && (!needsCountVersion || row.totalTokensVersion === 1);
    const usedPct = fresh && total !== undefined && context !== undefined && context > 0 ? Math.round((total / context) * 1000) / 10 : undefined;
    return {
      agentId,
      key,
      ...(typeof row.sessionId === 'string' ? { sessionId: row.sessionId } : {}),
      ...(typeof row.model === 'string' ? { model: row.model } : {}),
      ...(finite(row.updatedAt) !== undefined ? { updatedAt: finite(row.updatedAt)! } : {}),
      ...(total !== undefined ? { totalTokens: total } : {}),
      ...(context !== undefined ? { contextTokens: context } : {}),
      ...(usedPct !== undefined ? { usedPct } : {}),
      fresh,
      overThreshold: usedPct !== undefined && usedPct > options.thresholdPct,
      ...(finite(row.lastActivityAt) !== undefined ? { lastActivityAt: finite(row.lastActivityAt)! } : {}),
      ...(typeof row.hasActiveRun === 'boolean' ? { active: row.hasActiveRun } : {}),
      ...(finite(row.transcriptBytes) !== undefined ? { transcriptBytes: finite(row.transcriptBytes)! } : {}),
    };
  });
  return usages.sort((a, b) => (b.usedPct ?? -1) - (a.usedPct ?? -1) || a.key.localeCompare(b.key));
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export interface ReadSessionsOptions extends OpOptions {
  thresholdPct: number;
  /** Run `openclaw sessions` when the fast source does not exist (SQLite era without a running 2026.9+ gateway). */
  includeSessions: boolean;
  /** False: do not read sessions at all (`ocm status --no-sessions`). Default true. */
  readSessions?: boolean;
}

/** Reads session usage of a located node from the cheapest source available. */
export async function readSessionUsage(
  transport: Transport,
  location: OpenclawLocation,
  agentIds: string[],
  options: ReadSessionsOptions,
): Promise<SessionsStatus> {
  const base = { thresholdPct: options.thresholdPct };
  const op: OpOptions = { ...(options.signal ? { signal: options.signal } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) };
  if (location.version && usesJsonlSessions(location.version)) {
    const rows: RawSessionRow[] = [];
    const problems: string[] = [];
    await Promise.all(
      agentIds.map(async (agentId) => {
        const path = posix.join(location.stateDir, 'agents', agentId, 'sessions', 'sessions.json');
        try {
          // Bounded (no stat: one round trip as before): a huge or endless file must not stall every status refresh.
          const text = (await readFileBounded(transport, path, MAX_SESSIONS_JSON_BYTES, { ...op, stat: 'skip' })).toString('utf8');
          rows.push(...parseSessionsJson(text, agentId));
        } catch (e) {
          if (isOcmError(e, 'notFound')) return; // an agent that never ran has no sessions
          problems.push(`${path}: ${e instanceof SyntaxError ? `not JSON (${e.message})` : toOcmError(e).message}`);
        }
      }),
    );
    return {
      source: 'sessions.json',
      ...base,
      rows: sessionUsages(rows, { version: location.version, ...base }),
      ...(problems.length ? { note: problems.join('; ') } : {}),
    };
  }
  if (options.readSessions === false) return { source: 'skipped', ...base, rows: [], note: 'Sessions not read (--no-sessions).' };
  let rpcProblem: string | undefined;
  if (hasSessionRpc(location.version)) {
    try {
      const rpc = await openNodeGateway(transport, location, {
        timeoutMs: Math.min(options.timeoutMs ?? 10_000, 10_000),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      try {
        const { rows, truncated } = await listSessionsRpc(rpc, agentIds, {
          timeoutMs: Math.min(options.timeoutMs ?? 10_000, 10_000),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        return {
          source: 'gateway-rpc',
          ...base,
          rows: sessionUsages(rows, { version: location.version!, gatewayRows: true, ...base }),
          ...(truncated.length ? { note: `Only the newest sessions of agent(s) ${truncated.join(', ')} were read.` } : {}),
        };
      } finally {
        rpc.close();
      }
    } catch (e) {
      if (options.signal?.aborted) throw e;
      rpcProblem = `the gateway could not be asked (${toOcmError(e).message})`;
    }
  }
  if (!options.includeSessions) {
    return {
      source: 'skipped',
      ...base,
      rows: [],
      note: `${rpcProblem ? `Sessions not read: ${rpcProblem}. ` : 'OpenClaw keeps sessions in SQLite on this version and has no session RPC. '}Ask for them with --sessions (runs "openclaw sessions", 1.5–8 s).`,
    };
  }
  if (!location.installed || !location.bin) return { source: 'unavailable', ...base, rows: [], note: 'openclaw is not installed on the node.' };
  const command = `${envPrefix(location.cliEnv)}${shellQuote(location.bin)} sessions --all-agents --limit all --json </dev/null`;
  try {
    const result = await transport.exec(command, { ...op, timeoutMs: options.timeoutMs ?? 30_000 });
    if (result.exitCode !== 0) {
      return {
        source: 'unavailable',
        ...base,
        rows: [],
        note: `openclaw sessions failed (exit ${result.exitCode ?? result.signal}): ${(result.stderr || result.stdout).trim().slice(0, 300)}`,
      };
    }
    return {
      source: 'openclaw-cli',
      ...base,
      rows: sessionUsages(parseSessionsCliJson(result.stdout), { ...(location.version ? { version: location.version } : {}), ...base }),
    };
  } catch (e) {
    return {
      source: 'unavailable',
      ...base,
      rows: [],
      note: `openclaw sessions could not run: ${e instanceof SyntaxError ? 'it printed no JSON' : toOcmError(e).message}`,
    };
  }
}
