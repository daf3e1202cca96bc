import { archiveRejected, scanArchive, type ArchiveScan, type ScanOptions } from './archive-scan';
import type { BackupIndex, IndexEntry } from './types';

export interface VerifyResult {
  ok: true;
  archivePath: string;
  archiveSha256: string;
  archiveSize: number;
  archiveRoot: string;
  /** OpenClaw version recorded in the manifest (`runtimeVersion`). */
  runtimeVersion: string;
  createdAt: string | undefined;
  entryCount: number;
  fileCount: number;
  totalBytes: number;
  externalSymbolicLinks: Array<{ entryPath: string; linkpath: string }>;
  /** True when an index was given and every entry matched it. */
  checkedAgainstIndex: boolean;
}

/**
 * Verifies an archive without extracting anything: structure and safety (see scanArchive), then,
 * with an index, the archive's sha256 and size and every entry's type, size, mode, hash and link
 * target. Throws an OcmError naming the first offending entry.
 */
export async function verifyArchive(archivePath: string, index?: BackupIndex, options: ScanOptions = {}): Promise<VerifyResult> {
  const scan = await scanArchive(archivePath, options);
  if (index) compareWithIndex(scan, index);
  return {
    ok: true,
    archivePath,
    archiveSha256: scan.archiveSha256,
    archiveSize: scan.archiveSize,
    archiveRoot: scan.archiveRoot,
    runtimeVersion: typeof scan.manifest.runtimeVersion === 'string' ? scan.manifest.runtimeVersion : 'unknown',
    createdAt: typeof scan.manifest.createdAt === 'string' ? scan.manifest.createdAt : undefined,
    entryCount: scan.entries.length,
    fileCount: scan.entries.filter((e) => e.type === 'file' || e.type === 'hardlink').length,
    totalBytes: scan.totalBytes,
    externalSymbolicLinks: scan.externalSymbolicLinks,
    checkedAgainstIndex: Boolean(index),
  };
}

/** Throws (like verifyArchive) unless the scanned archive matches the index in every entry. */
export function compareWithIndex(scan: ArchiveScan, index: BackupIndex): void {
  const p = scan.archivePath;
  if (scan.archiveSha256 !== index.archiveSha256 || scan.archiveSize !== index.archiveSize) {
    throw archiveRejected(
      p,
      undefined,
      `Its checksum does not match the index (sha256 ${scan.archiveSha256.slice(0, 12)}…, ${scan.archiveSize} bytes; expected ${index.archiveSha256.slice(0, 12)}…, ${index.archiveSize} bytes): the file was changed or damaged after the backup.`,
      'checksum',
    );
  }
  if (scan.archiveRoot !== index.archiveRoot)
    throw archiveRejected(p, undefined, `Its top-level folder is "${scan.archiveRoot}", the index says "${index.archiveRoot}".`, 'index');
  if (scan.manifestSha256 !== index.manifestSha256)
    throw archiveRejected(p, `${scan.archiveRoot}/manifest.json`, 'the manifest differs from the one recorded in the index.', 'index');
  const expected = new Map(index.entries.map((e) => [e.path, e]));
  for (const actual of scan.entries) {
    const want = expected.get(actual.path);
    if (!want) throw archiveRejected(p, actual.path, 'the entry is not in the index.', 'index');
    const mismatch = entryMismatch(want, actual);
    if (mismatch) throw archiveRejected(p, actual.path, `${mismatch} does not match the index.`, 'index');
    expected.delete(actual.path);
  }
  const missing = expected.keys().next();
  if (!missing.done) throw archiveRejected(p, missing.value, 'the index lists this entry but the archive lacks it.', 'index');
}

function entryMismatch(a: IndexEntry, b: IndexEntry): string | undefined {
  if (a.type !== b.type) return 'its type';
  if (a.size !== b.size) return 'its size';
  if (a.mode !== b.mode) return 'its mode';
  if ((a.sha256 ?? '') !== (b.sha256 ?? '')) return 'its content (sha256)';
  if ((a.linkTarget ?? '') !== (b.linkTarget ?? '')) return 'its link target';
  return undefined;
}
