import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import { scanArchive, type ArchiveScan } from '../backup/archive-scan';
import { SHA256_COMMAND } from '../backup/native-engine';
import type { IndexEntry } from '../backup/types';
import { OcmError } from '../errors';
import { formatBytes } from '../format-bytes';
import type { Transport } from '../transport/types';
import { withPartialUndo } from './operation';
import type { Step } from './steps';

/**
 * Nothing reaches a node's `tar -x` unchecked (issue 14.2). A whole-node restore's preview states
 * exactly what will be extracted (the backup's entries under the state dir, counted and digested);
 * before upload the archive built from the snapshot is scanned (the hostile-archive rules of
 * archive-scan.ts) and its entries under the state dir must give the same digest; after upload the
 * node's copy must have the scanned sha256. Whole-node restore (state-swap.ts) and migrate
 * (migrate-apply.ts) both upload through `checkedUploadSteps`.
 */

/** What a whole-node restore extracts: every entry of the backup at or under `root`. */
export interface ExtractDescription {
  root: string;
  files: number;
  directories: number;
  symlinks: number;
  bytes: number;
  /** sha256 over the sorted entry lines (path, type, mode, size, content sha256 / link target). */
  digest: string;
}

function under(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

function entryLine(e: IndexEntry): string {
  const type = e.type === 'hardlink' ? 'file' : e.type;
  const what = type === 'file' ? (e.sha256 ?? '') : type === 'symlink' ? (e.linkTarget ?? '') : '';
  return JSON.stringify([e.path, type, (e.mode & 0o7777).toString(8), type === 'file' ? e.size : 0, what]);
}

export function describeExtract(entries: readonly IndexEntry[], root: string): ExtractDescription {
  const r = root.replace(/(.)\/+$/, '$1');
  const inside = entries.filter((e) => under(e.path, r));
  const lines = inside.map(entryLine).sort();
  const d = { root: r, files: 0, directories: 0, symlinks: 0, bytes: 0, digest: createHash('sha256').update(lines.join('\n')).digest('hex') };
  for (const e of inside) {
    if (e.type === 'directory') d.directories++;
    else if (e.type === 'symlink') d.symlinks++;
    else {
      d.files++;
      d.bytes += e.size;
    }
  }
  return d;
}

/** One line for the preview: "extract 12 files, 4 folders, 1 link (3.2 MiB) of /home/u/.openclaw". */
export function extractSummary(d: ExtractDescription): string {
  return `${d.files} file(s), ${d.directories} folder(s), ${d.symlinks} link(s) (${formatBytes(d.bytes)}) of ${d.root}`;
}

/**
 * Scans the local archive and checks that what it would extract under each expected root is what
 * the plan described. Throws before anything is uploaded.
 */
export async function checkArchiveAgainstPlan(
  archivePath: string,
  expected: ExtractDescription | readonly ExtractDescription[],
  options: { signal?: AbortSignal } = {},
): Promise<ArchiveScan> {
  const scan = await scanArchive(archivePath, options.signal ? { signal: options.signal } : {});
  for (const want of Array.isArray(expected) ? (expected as readonly ExtractDescription[]) : [expected as ExtractDescription]) {
    const actual = describeExtract(scan.entries, want.root);
    if (actual.digest !== want.digest) {
      throw new OcmError(
        'conflict',
        `The archive built for the upload would extract ${extractSummary(actual)}, not what the plan showed (${extractSummary(want)}). Nothing was uploaded or changed. Run "ocm check --read-data", then plan again.`,
        { archivePath, root: want.root, expected: want.digest, actual: actual.digest },
      );
    }
  }
  return scan;
}

/** The node's copy of an uploaded archive must be byte for byte the scanned one. */
export async function checkRemoteArchive(t: Transport, remotePath: string, sha256: string, nodeId: string, signal?: AbortSignal): Promise<void> {
  const r = await t.exec(SHA256_COMMAND(remotePath), { timeoutMs: 600_000, ...(signal ? { signal } : {}) });
  const got = /^([0-9a-f]{64})\b/.exec(r.stdout.trim())?.[1];
  if (r.exitCode !== 0 || !got)
    throw new OcmError(
      'failed',
      `Could not hash the uploaded archive ${remotePath} on ${nodeId} (${(r.stderr || r.stdout).trim().slice(0, 200) || `exit ${r.exitCode}`}); nothing was extracted. Install coreutils (sha256sum) on the node.`,
      { nodeId },
    );
  if (got !== sha256)
    throw new OcmError(
      'failed',
      `The archive uploaded to ${nodeId} (${remotePath}) is not the one that was checked (sha256 ${got.slice(0, 12)}…, expected ${sha256.slice(0, 12)}…); nothing was extracted. Retry the restore.`,
      { nodeId, expected: sha256, actual: got },
    );
}

/** Member name of the state dir inside the archive (`<root>/payload/posix/<abs path>`). */
export function stateMember(scan: Pick<ArchiveScan, 'archiveRoot'>, archiveStateDir: string): string {
  return posix.join(scan.archiveRoot, 'payload', 'posix', archiveStateDir.replace(/^\/+/, ''));
}

export interface CheckedUpload {
  transport: Transport;
  nodeId: string;
  /** The local archive. */
  archivePath: string;
  /** Where it goes on the node. */
  remotePath: string;
  /** What it must extract (one description per root the caller takes out of it). */
  expected: ExtractDescription | readonly ExtractDescription[];
  /** Runs before the upload (e.g. makes the folder it goes into); `undo` removes what it made. */
  prepare?: (signal: AbortSignal | undefined) => Promise<void>;
  /** Removes what the upload (and `prepare`) left on the node. Default: the remote archive. */
  undo?: () => Promise<void>;
  uploadTimeoutMs?: number;
}

/**
 * The two steps every extraction on a node starts with: `check` (scan the local archive, compare
 * it with the plan) and `upload` (upload it, then check the node's copy's sha256). `scanned()` is
 * the scan once `check` ran (the archive's root folder, its sha256).
 */
export function checkedUploadSteps(u: CheckedUpload): { steps: Step[]; scanned: () => ArchiveScan } {
  let scan: ArchiveScan | undefined;
  const expected = Array.isArray(u.expected) ? (u.expected as readonly ExtractDescription[]) : [u.expected as ExtractDescription];
  const steps: Step[] = [
    {
      id: 'check',
      description: `scan the archive and check it extracts exactly ${expected.map(extractSummary).join('; ')}`,
      run: async (signal) => {
        scan = await checkArchiveAgainstPlan(u.archivePath, expected, signal ? { signal } : {});
      },
    },
    {
      id: 'upload',
      description: `upload the archive to ${u.nodeId}:${u.remotePath} and check its sha256 there`,
      run: async (signal) => {
        const t = u.transport;
        const undo = u.undo ?? (async (): Promise<void> => t.remove(u.remotePath).catch(() => undefined));
        try {
          await u.prepare?.(signal);
          await t.upload(createReadStream(u.archivePath), u.remotePath, {
            mode: 0o600,
            ...(u.uploadTimeoutMs ? { timeoutMs: u.uploadTimeoutMs } : {}),
            ...(signal ? { signal } : {}),
          });
          await checkRemoteArchive(t, u.remotePath, scan!.archiveSha256, u.nodeId, signal);
        } catch (e) {
          throw withPartialUndo(e, undo);
        }
        return { undo };
      },
    },
  ];
  return {
    steps,
    scanned: () => {
      if (!scan) throw new OcmError('failed', 'The archive was not checked before use.');
      return scan;
    },
  };
}
