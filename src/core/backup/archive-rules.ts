import { OcmError } from '../errors';
import type { IndexEntry } from './types';

/**
 * The rules a backup archive is held to, shared by the stream scanner (archive-scan.ts) and its
 * per-entry ledger (archive-scan-ledger.ts): limits, the payload layout, safe paths, and the one
 * way a rejection is worded.
 */

export interface ArchiveLimits {
  /** Largest single entry (bytes, as declared in its header). */
  maxEntryBytes: number;
  /** Sum of all entry sizes (uncompressed). */
  maxTotalBytes: number;
  maxEntries: number;
  maxManifestBytes: number;
  /** Uncompressed/compressed ratio at which gzip input is treated as a bomb. */
  maxDecompressionRatio: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntryBytes: 16 * 1024 ** 3,
  maxTotalBytes: 64 * 1024 ** 3,
  maxEntries: 2_000_000,
  maxManifestBytes: 1024 * 1024,
  // OpenClaw's own verify uses 1100; SQLite files full of zero pages compress very well.
  maxDecompressionRatio: 1100,
};

export const PAYLOAD_PREFIX = 'payload/posix';

export interface ArchiveScan {
  archivePath: string;
  archiveSha256: string;
  archiveSize: number;
  archiveRoot: string;
  /** The parsed `<root>/manifest.json` (OpenClaw's schemaVersion 1 manifest). */
  manifest: Record<string, unknown>;
  manifestSha256: string;
  entries: IndexEntry[];
  /** Symlinks with absolute targets or targets outside the state dir (OpenClaw lists these too). */
  externalSymbolicLinks: Array<{ entryPath: string; linkpath: string }>;
  /** Sum of entry sizes (uncompressed payload bytes). */
  totalBytes: number;
}

export interface ScanOptions {
  limits?: Partial<ArchiveLimits>;
  signal?: AbortSignal;
}

/** A rejected archive: names the offending entry and says what to do. */
export function archiveRejected(archivePath: string, entry: string | undefined, reason: string, check: string): OcmError {
  const where = entry === undefined ? '' : ` Entry "${entry}":`;
  return new OcmError(
    'failed',
    `Backup archive ${archivePath} was rejected.${where} ${reason} Nothing was extracted. Do not restore from this archive; take a new backup (or verify another copy).`,
    { archivePath, ...(entry === undefined ? {} : { entry }), check },
  );
}

/** Splits and checks a raw archive path: relative, forward slashes, no `.`/`..`/empty segments. */
export function checkArchivePath(raw: string): { ok: true; segments: string[] } | { ok: false; reason: string } {
  if (raw.includes('\0')) return { ok: false, reason: 'the path contains a NUL byte.' };
  const trimmed = raw.replace(/\/+$/, '');
  if (trimmed === '') return { ok: false, reason: 'the path is empty.' };
  if (trimmed.startsWith('/') || /^[A-Za-z]:/.test(trimmed)) return { ok: false, reason: 'the path is absolute.' };
  if (trimmed.includes('\\')) return { ok: false, reason: 'the path contains a backslash.' };
  const segments = trimmed.split('/');
  if (segments.some((s) => s === '..')) return { ok: false, reason: 'the path contains a ".." segment (path traversal).' };
  if (segments.some((s) => s === '.' || s === '')) return { ok: false, reason: 'the path contains "." or empty segments.' };
  return { ok: true, segments };
}

export const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

export interface PendingLink {
  rawPath: string;
  relative: string;
  linkpath: string;
}
