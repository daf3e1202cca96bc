import { posix } from 'node:path';
import { relativeWithin } from './manifest';

/**
 * What a backup leaves out, following OpenClaw's own `backup create` rules (docs/cli/backup.md):
 * volatile files everywhere, transcripts/logs/queues/rebuildable roots inside the state dir, and
 * SQLite sidecars (databases are captured as consistent snapshots instead) and OpenClaw's
 * transient SQLite files (memory reindex and generation locks, temporary copies — held locked
 * while an agent works, so a backup that waited for them failed during agent turns). The client
 * applies `excludedReason` to the node's listing; "compare with live" applies the same filter to
 * the live side.
 */

export interface ExclusionContext {
  stateDir: string;
  includeTranscripts: boolean;
  /** Paths never excluded (the config file, explicitly selected roots). */
  protectedPaths?: ReadonlySet<string>;
}

export const STATE_REBUILDABLE_ROOTS = new Set(['dev', 'git', 'npm', 'npm-runtime', 'tmp', 'tools', 'plugin-skills']);
const VOLATILE_NAME = /(\.sock|\.pid|\.tmp|\.tmp\..*)$/;
const SQLITE_SIDECAR = /\.sqlite-(wal|shm|journal)$/;
/** OpenClaw 2026.9's SQLITE_MEMORY_TRANSIENT_PATH_PATTERN (backup-shared), on the file name. */
const SQLITE_TRANSIENT =
  /^[^/]+\.sqlite\.(?:(?:generation-(?:lock|writer)|reindex-lock)\.sqlite|(?:backup|memory-reindex|tmp)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:-wal|-shm|-journal)?$/i;

/** Why `path` (absolute, on the node) is left out of a backup, or undefined if it is kept. */
export function excludedReason(path: string, ctx: ExclusionContext): string | undefined {
  if (ctx.protectedPaths?.has(path)) return undefined;
  const name = posix.basename(path);
  if (SQLITE_TRANSIENT.test(name)) return 'volatile';
  if (SQLITE_SIDECAR.test(name)) return 'sqlite-sidecar';
  if (VOLATILE_NAME.test(name)) return 'volatile';
  const segments = path.split('/');
  if (segments.includes('node_modules')) return 'rebuildable';
  const rel = relativeWithin(path, ctx.stateDir);
  if (!rel) return undefined;
  const parts = rel.split('/');
  const [first] = parts;
  if (STATE_REBUILDABLE_ROOTS.has(first)) return 'rebuildable';
  if (first.endsWith('.update-captures')) return 'private';
  const ext = posix.extname(name);
  const isLogLike = ext === '.jsonl' || ext === '.log';
  if (first === 'sessions' || (first === 'agents' && parts[2] === 'sessions')) {
    if (ext === '.log') return 'volatile';
    if (ext === '.jsonl' && parts.length > (first === 'sessions' ? 1 : 3)) return ctx.includeTranscripts ? undefined : 'transcript';
  }
  if (((first === 'cron' && parts[1] === 'runs') || first === 'logs') && isLogLike) return 'volatile';
  if ((first === 'delivery-queue' || first === 'session-delivery-queue') && ['.json', '.delivered', '.tmp'].includes(ext)) return 'volatile';
  if (first === 'browser' && parts[2] === 'user-data' && /^Singleton(Cookie|Lock|Socket)$/.test(name)) return 'volatile';
  if (first === 'sandbox' && parts[1] === 'skills-workspaces') return 'rebuildable';
  if (first === 'agents' && parts[2] === 'agent' && parts.slice(3, -1).some((p) => p === 'tmp' || p === '.tmp')) return 'rebuildable';
  if (first === 'agents' && parts[2] === 'agent' && parts.length > 3 && (parts[parts.length - 1] === 'tmp' || parts[parts.length - 1] === '.tmp'))
    return 'rebuildable';
  return undefined;
}
