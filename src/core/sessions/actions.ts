import { OcmError, toOcmError } from '../errors';
import { storePreEditBackup, type HistoryEntry } from '../history/store';
import type { OpenclawLocation } from '../openclaw/locate';
import { isRecord } from '../openclaw/version';
import { sessionUsages } from '../status/sessions';
import type { SessionUsage } from '../status/types';
import type { Transport } from '../transport/types';
import { hasSessionRpc, openNodeGateway, RPC_SESSIONS_SINCE } from './gateway-access';
import type { GatewayRpc } from './gateway-rpc';
import { listSessionsRpc } from './rpc-read';

/**
 * Compact, Reset (new session) and Archive of one session, through the running gateway's RPC
 * (`sessions.compact`, `sessions.reset {reason:"new"}`, `sessions.patch {archived:true}`).
 *
 * Why RPC and not `openclaw sessions compact ...` over SSH: the CLI would itself connect to the same
 * gateway, after a 1.5–8 s start-up, through a login-shell-dependent PATH, and report failures as
 * text; the RPC answers with typed errors, takes `expectedSessionId` (reset/archive refuse a session
 * that changed under us), tells whether a turn is running (`hasActiveRun`), and the same connection
 * reads the result back.
 *
 * Before every action the session's row and its whole transcript (`sessions.get` without a practical
 * limit) are captured into the history store (<ocm home>/history, owner-only), under the pseudo path
 * `openclaw-session:<agentId>/<key>`. OpenClaw's `--max-lines` truncation keeps no copy; this one
 * does, and the action does not start unless the capture is stored.
 */

export type SessionAction = 'compact' | 'reset' | 'archive';
export const SESSION_ACTIONS: readonly SessionAction[] = ['compact', 'reset', 'archive'];

export interface SessionActionInput {
  nodeId: string;
  agentId: string;
  key: string;
  action: SessionAction;
  /** ocm home (history store). */
  home: string;
  thresholdPct: number;
  /** Refuse when a turn is running (auto-compaction). */
  refuseWhileActive?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface SessionActionResult {
  action: SessionAction;
  agentId: string;
  key: string;
  /** The session before (as listed). */
  before: SessionUsage;
  /** The session after (absent when it is gone from the list, e.g. archived). */
  after?: SessionUsage;
  /** The history entry with the captured transcript. */
  backup: Pick<HistoryEntry, 'id' | 'size' | 'createdAt' | 'remotePath'>;
  /** Messages in the captured transcript. */
  capturedMessages: number;
  /** What the gateway answered (compacted?, new session id...). */
  gateway: Record<string, unknown>;
}

/** The remote path under which captures of a session are kept in the history store. */
export function captureRemotePath(agentId: string, key: string): string {
  return `openclaw-session:${agentId}/${key}`;
}

/** The manual step for versions that cannot be driven from outside. */
export function unsupportedActionError(location: OpenclawLocation, action: SessionAction, key: string): OcmError {
  return new OcmError(
    'unsupported',
    `OpenClaw ${location.version ?? '(unknown version)'} on node ${location.nodeId} cannot ${action} a session from outside (that needs OpenClaw ${RPC_SESSIONS_SINCE} or later). ` +
      `Manual step: in the session's chat send "${action === 'compact' ? '/compact' : '/new'}"${action === 'archive' ? ' (older versions have no archive; /new starts a fresh session)' : ''}, or upgrade OpenClaw on the node.`,
    { version: location.version, action, key },
  );
}

const CAPTURE_LIMIT = 1_000_000;

export async function runSessionAction(transport: Transport, location: OpenclawLocation, input: SessionActionInput): Promise<SessionActionResult> {
  if (!hasSessionRpc(location.version)) throw unsupportedActionError(location, input.action, input.key);
  const op = { timeoutMs: input.timeoutMs ?? 30_000, ...(input.signal ? { signal: input.signal } : {}) };
  const rpc = await openNodeGateway(transport, location, op);
  try {
    const before = await findSession(rpc, location, input);
    if (!before)
      throw new OcmError(
        'notFound',
        `Session ${input.key} of agent ${input.agentId} is not on node ${input.nodeId}. List them with: ocm sessions ${input.nodeId} --agent ${input.agentId}`,
      );
    if (input.refuseWhileActive && before.usage.active) {
      throw new OcmError('conflict', `Session ${input.key} is in the middle of a turn; not touched. It is tried again at the next check.`, { active: true });
    }
    const transcript = await rpc.call<unknown>('sessions.get', { key: input.key, agentId: input.agentId, limit: CAPTURE_LIMIT }, op);
    const messages = isRecord(transcript) && Array.isArray(transcript.messages) ? transcript.messages : [];
    const capture = {
      kind: 'ocm-session-capture',
      version: 1,
      action: input.action,
      nodeId: input.nodeId,
      agentId: input.agentId,
      key: input.key,
      openclawVersion: location.version,
      capturedAt: new Date().toISOString(),
      row: before.row,
      messages,
    };
    let entry: HistoryEntry;
    try {
      entry = await storePreEditBackup(input.home, {
        nodeId: input.nodeId,
        remotePath: captureRemotePath(input.agentId, input.key),
        content: Buffer.from(JSON.stringify(capture, null, 1) + '\n'),
      });
    } catch (e) {
      throw new OcmError(
        'failed',
        `The session's transcript could not be saved into the local history (${toOcmError(e).message}), so it was not ${input.action === 'reset' ? 'reset' : `${input.action}ed`}. Check free space and permissions of the ocm home.`,
      );
    }
    const sessionId = typeof before.row.sessionId === 'string' ? before.row.sessionId : undefined;
    const answer = await callAction(rpc, input, sessionId, op).catch((e: unknown) => {
      const err = toOcmError(e);
      throw new OcmError(
        err.kind,
        `${input.action} of session ${input.key} failed: ${err.message} The transcript as it was is kept in history entry ${entry.id} (ocm history show ${entry.id}).`,
        { ...err.details, backupId: entry.id },
      );
    });
    const after = await findSession(rpc, location, input).catch(() => undefined);
    return {
      action: input.action,
      agentId: input.agentId,
      key: input.key,
      before: before.usage,
      ...(after ? { after: after.usage } : {}),
      backup: { id: entry.id, size: entry.size, createdAt: entry.createdAt, remotePath: entry.remotePath },
      capturedMessages: messages.length,
      gateway: isRecord(answer) ? answer : {},
    };
  } finally {
    rpc.close();
  }
}

async function callAction(
  rpc: GatewayRpc,
  input: SessionActionInput,
  sessionId: string | undefined,
  op: { timeoutMs: number; signal?: AbortSignal },
): Promise<unknown> {
  const target = { key: input.key, agentId: input.agentId };
  // A compaction runs a model turn: give it longer than a plain request.
  if (input.action === 'compact') return rpc.call('sessions.compact', target, { ...op, timeoutMs: Math.max(op.timeoutMs, 120_000) });
  const expected = sessionId ? { expectedSessionId: sessionId } : {};
  if (input.action === 'reset') return rpc.call('sessions.reset', { ...target, reason: 'new', ...expected }, op);
  return rpc.call('sessions.patch', { ...target, archived: true, ...expected }, op);
}

async function findSession(
  rpc: GatewayRpc,
  location: OpenclawLocation,
  input: SessionActionInput,
): Promise<{ row: Record<string, unknown>; usage: SessionUsage } | undefined> {
  const { rows } = await listSessionsRpc(rpc, [input.agentId], { timeoutMs: input.timeoutMs ?? 30_000, ...(input.signal ? { signal: input.signal } : {}) });
  const raw = rows.find((r) => r.key === input.key && r.agentId === input.agentId);
  if (!raw) return undefined;
  const [usage] = sessionUsages([raw], { ...(location.version ? { version: location.version } : {}), gatewayRows: true, thresholdPct: input.thresholdPct });
  return { row: raw.row, usage: usage! };
}
