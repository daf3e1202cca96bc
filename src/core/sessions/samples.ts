import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { withFileLock } from '../file-lock';
import { writeFileAtomic } from '../fs-atomic';
import { NODE_ID_PATTERN } from '../registry/schema';
import type { SessionUsage } from '../status/types';
import { predictOverflow, type TokenSample } from './predict';

/**
 * What ocm remembers about sessions between checks, per node, in the ocm home:
 * `<home>/sessions/<nodeId>.json` (owner-only, written atomically under a file lock, so the CLI
 * from cron and the extension can both record). Bounded: at most MAX_SAMPLES per session,
 * MAX_SESSIONS per node, and sessions unseen for FORGET_MS are dropped.
 *
 * Besides the token samples (for predictions) it keeps, per session, when the user was last
 * notified and for what (so a warning comes once, and again only after the session recovered) and
 * when ocm last auto-compacted it (the cooldown).
 */

export const MAX_SAMPLES = 96;
export const MAX_SESSIONS = 1000;
export const FORGET_MS = 7 * 24 * 3_600_000;
/** Two samples closer than this are merged (a burst of refreshes must not wipe the history). */
export const MIN_SAMPLE_GAP_MS = 60_000;

export type NotifyReason = 'threshold' | 'predicted';

export interface SessionMemory {
  samples: TokenSample[];
  sessionId?: string;
  lastSeen: number;
  /** Reason → when the user was told (cleared when the condition is gone). */
  notified?: Partial<Record<NotifyReason, number>>;
  /** When ocm last compacted it automatically. */
  autoCompactedAt?: number;
}

export interface NodeSessionMemory {
  version: 1;
  sessions: Record<string, SessionMemory>;
}

export function sessionsDir(home: string): string {
  return join(home, 'sessions');
}

function fileFor(home: string, nodeId: string): string {
  if (!NODE_ID_PATTERN.test(nodeId)) throw new Error(`invalid node id ${nodeId}`);
  return join(sessionsDir(home), `${nodeId}.json`);
}

export function sessionId(agentId: string, key: string): string {
  return `${agentId}\u0000${key}`;
}

export async function readSessionMemory(home: string, nodeId: string): Promise<NodeSessionMemory> {
  try {
    const parsed = JSON.parse(await fs.readFile(fileFor(home, nodeId), 'utf8')) as NodeSessionMemory;
    if (parsed && parsed.version === 1 && parsed.sessions && typeof parsed.sessions === 'object') return parsed;
  } catch {
    /* missing or unreadable: start again (it is a cache of observations) */
  }
  return { version: 1, sessions: {} };
}

/** Reads, changes and writes one node's memory under its lock. */
export async function updateSessionMemory<T>(home: string, nodeId: string, change: (memory: NodeSessionMemory) => T): Promise<T> {
  const file = fileFor(home, nodeId);
  await fs.mkdir(sessionsDir(home), { recursive: true, mode: 0o700 });
  return withFileLock(file, async () => {
    const memory = await readSessionMemory(home, nodeId);
    const result = change(memory);
    prune(memory, Date.now());
    await writeFileAtomic(file, JSON.stringify(memory), 0o600);
    return result;
  });
}

function prune(memory: NodeSessionMemory, now: number): void {
  const entries = Object.entries(memory.sessions).filter(([, m]) => now - m.lastSeen < FORGET_MS);
  entries.sort((a, b) => b[1].lastSeen - a[1].lastSeen);
  memory.sessions = Object.fromEntries(entries.slice(0, MAX_SESSIONS));
  for (const m of Object.values(memory.sessions)) if (m.samples.length > MAX_SAMPLES) m.samples = m.samples.slice(-MAX_SAMPLES);
}

/** Adds this check's fresh counts to the memory (pure on the memory value). */
export function addSamples(memory: NodeSessionMemory, rows: readonly SessionUsage[], now: number): void {
  for (const row of rows) {
    const id = sessionId(row.agentId, row.key);
    const m = (memory.sessions[id] ??= { samples: [], lastSeen: now });
    m.lastSeen = now;
    if (row.sessionId && m.sessionId && row.sessionId !== m.sessionId) m.samples = []; // reset: a new transcript
    if (row.sessionId) m.sessionId = row.sessionId;
    if (!row.fresh || row.totalTokens === undefined) continue;
    const last = m.samples[m.samples.length - 1];
    const sample = { t: row.updatedAt && row.updatedAt <= now ? Math.max(row.updatedAt, last?.t ?? 0) : now, tokens: row.totalTokens };
    if (last && sample.t - last.t < MIN_SAMPLE_GAP_MS) {
      if (sample.tokens !== last.tokens && sample.t > last.t) m.samples[m.samples.length - 1] = sample;
      else if (sample.tokens !== last.tokens) last.tokens = sample.tokens;
      continue;
    }
    m.samples.push(sample);
  }
}

/** Sets growth, hours to window and predictedOverflow on each row from the memory. */
export function annotatePredictions(rows: SessionUsage[], memory: NodeSessionMemory, warnHours: number): void {
  for (const row of rows) {
    const m = memory.sessions[sessionId(row.agentId, row.key)];
    if (!m || !row.fresh) continue;
    const p = predictOverflow(m.samples, row.contextTokens);
    if (!p) continue;
    row.growthTokensPerHour = p.growthTokensPerHour;
    if (p.hoursToWindow !== undefined) {
      row.hoursToWindow = p.hoursToWindow;
      row.predictedOverflow = p.hoursToWindow < warnHours;
    }
  }
}

/** Records a check and annotates its rows: the one call status makes. */
export async function recordAndPredict(home: string, nodeId: string, rows: SessionUsage[], options: { warnHours: number; now?: number }): Promise<void> {
  const now = options.now ?? Date.now();
  const memory = await updateSessionMemory(home, nodeId, (m) => {
    addSamples(m, rows, now);
    return m;
  });
  annotatePredictions(rows, memory, options.warnHours);
}

export interface DueNotification {
  agentId: string;
  key: string;
  reason: NotifyReason;
  row: SessionUsage;
}

/**
 * The notifications due for these rows, each marked as sent: once per session and reason, again
 * only after the condition cleared in between.
 */
export async function takeDueNotifications(home: string, nodeId: string, rows: readonly SessionUsage[], now = Date.now()): Promise<DueNotification[]> {
  return updateSessionMemory(home, nodeId, (memory) => {
    const due: DueNotification[] = [];
    for (const row of rows) {
      const m = (memory.sessions[sessionId(row.agentId, row.key)] ??= { samples: [], lastSeen: now });
      m.notified ??= {};
      const conditions: Record<NotifyReason, boolean> = { threshold: row.overThreshold, predicted: row.predictedOverflow === true };
      for (const reason of ['threshold', 'predicted'] as const) {
        if (!conditions[reason]) delete m.notified[reason];
        else if (m.notified[reason] === undefined) {
          m.notified[reason] = now;
          due.push({ agentId: row.agentId, key: row.key, reason, row });
        }
      }
    }
    return due;
  });
}

/** `openclaw.sessions.warnHours` / `ocm status --warn-hours` default. */
export const DEFAULT_WARN_HOURS = 6;
