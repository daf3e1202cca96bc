import { createWriteStream } from 'node:fs';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { OcmError } from '../errors';
import { envPrefix, shellQuote } from '../transport/shell-quote';
import type { Transport } from '../transport/types';
import { byteTap } from './byte-tap';
import type { BackupProgress } from './types';

/**
 * OpenClaw's own backup (2026.3.8 and later): `openclaw backup create --verify --json` into a
 * fresh temp folder on the node (outside the state dir), download, compare sha256 with the
 * node's, and always remove the temp folder. It captures SQLite consistently.
 */

export const NATIVE_BACKUP_MIN_VERSION = '2026.3.8';

/** Compares OpenClaw versions like 2026.9.6 (numeric parts). */
export function compareOpenclawVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function hasNativeBackup(version: string | null | undefined): boolean {
  return typeof version === 'string' && /^\d{4}\.\d+\.\d+/.test(version) && compareOpenclawVersions(version, NATIVE_BACKUP_MIN_VERSION) >= 0;
}

export interface OpenclawCommand {
  /** Path (or name) of the `openclaw` binary on the node. */
  command: string;
  /** Extra environment for it (e.g. OPENCLAW_STATE_DIR, PATH with Node 24). */
  env?: Record<string, string>;
}

export interface NativeEngineParams {
  transport: Transport;
  openclaw: OpenclawCommand;
  partialPath: string;
  configOnly?: boolean;
  onProgress?: (progress: BackupProgress) => void;
  signal?: AbortSignal;
  /** Timeout for `backup create` (ms, default 30 min). */
  createTimeoutMs?: number;
}

export interface NativeEngineResult {
  /** OpenClaw's archive file name without `.tar.gz` (`<timestamp>-openclaw-backup`). */
  baseName: string;
  archiveSha256: string;
  archiveSize: number;
  /** OpenClaw's `backup create --json` result. */
  createResult: Record<string, unknown>;
}

export const SHA256_COMMAND = (path: string): string =>
  [
    `if command -v sha256sum >/dev/null 2>&1; then sha256sum -- ${shellQuote(path)}`,
    `elif command -v shasum >/dev/null 2>&1; then shasum -a 256 ${shellQuote(path)}`,
    `else openssl dgst -sha256 -r ${shellQuote(path)}; fi`,
  ].join('\n');

export async function runNativeEngine(p: NativeEngineParams): Promise<NativeEngineResult> {
  const { transport, signal } = p;
  const cancelled = (): OcmError =>
    new OcmError('cancelled', `Backup of ${transport.nodeId} was cancelled; no archive was kept.`, { nodeId: transport.nodeId });
  p.onProgress?.({ phase: 'preparing', bytes: 0 });
  const mk = await transport.exec('umask 077; mktemp -d /tmp/ocm-native-backup.XXXXXX', { signal, timeoutMs: 30_000 });
  const remoteDir = mk.stdout.trim();
  if (mk.exitCode !== 0 || !remoteDir.startsWith('/tmp/ocm-native-backup.')) {
    throw new OcmError(
      'failed',
      `Could not create a temp folder on ${transport.nodeId} (${mk.stderr.trim() || 'mktemp failed'}); check that /tmp is writable there.`,
      { nodeId: transport.nodeId },
    );
  }
  try {
    const args = ['backup', 'create', '--verify', '--json', '--output', remoteDir, ...(p.configOnly ? ['--only-config'] : [])];
    const command = `cd ${shellQuote(remoteDir)} && ${envPrefix(p.openclaw.env)}${shellQuote(p.openclaw.command)} ${args.map(shellQuote).join(' ')}`;
    const created = await transport.exec(command, { signal, timeoutMs: p.createTimeoutMs ?? 30 * 60_000 });
    if (signal?.aborted) throw cancelled();
    const createResult = parseJsonObject(created.stdout);
    if (created.exitCode !== 0 || !createResult) {
      const why = (created.stderr.trim() || created.stdout.trim()).split('\n').slice(-3).join(' ').slice(0, 600);
      throw new OcmError(
        'failed',
        `"openclaw backup create" failed on ${transport.nodeId} (exit ${created.exitCode}): ${why || 'no output'}. Fix the reported problem or use --engine ocm.`,
        {
          nodeId: transport.nodeId,
          exitCode: created.exitCode,
        },
      );
    }
    const archivePath = createResult.archivePath;
    if (typeof archivePath !== 'string' || posix.dirname(archivePath) !== remoteDir || !archivePath.endsWith('.tar.gz')) {
      throw new OcmError('failed', `"openclaw backup create" on ${transport.nodeId} reported an unexpected archive path (${String(archivePath)}).`, {
        nodeId: transport.nodeId,
      });
    }
    const sum = await transport.exec(SHA256_COMMAND(archivePath), { signal, timeoutMs: 10 * 60_000 });
    const remoteSha = /^([0-9a-f]{64})/.exec(sum.stdout.trim())?.[1];
    if (!remoteSha)
      throw new OcmError('failed', `Could not compute the archive's sha256 on ${transport.nodeId} (${sum.stderr.trim() || 'no sha256 tool'}).`, {
        nodeId: transport.nodeId,
      });
    const { size: totalBytes } = await transport.stat(archivePath, { signal });

    p.onProgress?.({ phase: 'transferring', bytes: 0, totalBytes });
    const counted = byteTap({ hash: true, onBytes: (bytes) => p.onProgress?.({ phase: 'transferring', bytes, totalBytes }) });
    const tap = counted.stream;
    // Not fsynced on purpose: a temp input that importArchive reads once and removes; what is kept
    // is the repository's packs, fsynced (packs.ts) before the snapshot that names them is written.
    const written = pipeline(tap, createWriteStream(p.partialPath, { flags: 'w', mode: 0o600 }));
    written.catch(() => undefined);
    try {
      await transport.download(archivePath, tap, { signal, timeoutMs: 6 * 3600_000 });
      await written;
    } catch (e) {
      tap.destroy();
      if (signal?.aborted) throw cancelled();
      throw e;
    }
    const localSha = counted.sha256();
    const bytes = counted.bytes;
    if (localSha !== remoteSha || bytes !== totalBytes) {
      throw new OcmError(
        'failed',
        `The archive from ${transport.nodeId} arrived damaged (sha256 or size differs from the node's copy: ${bytes} of ${totalBytes} bytes). Retry the backup.`,
        {
          nodeId: transport.nodeId,
        },
      );
    }
    return { baseName: posix.basename(archivePath, '.tar.gz'), archiveSha256: localSha, archiveSize: bytes, createResult };
  } finally {
    // Always remove the node's temp copy, also after failure or cancel (no signal: must run). A
    // connection that just broke may take a reconnect or two (the first try can land on a session
    // the node is still tearing down): three tries, a second apart.
    for (let attempt = 0; attempt < 3; attempt++) {
      const rm = await transport.exec(`rm -rf -- ${shellQuote(remoteDir)}`, { timeoutMs: 60_000 }).catch(() => undefined);
      if (rm?.exitCode === 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** The JSON object in a command's stdout (tolerates log lines before it). */
function parseJsonObject(stdout: string): Record<string, unknown> | undefined {
  const start = stdout.indexOf('{');
  const end = stdout.lastIndexOf('}');
  if (start < 0 || end <= start) return undefined;
  try {
    const v = JSON.parse(stdout.slice(start, end + 1)) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
