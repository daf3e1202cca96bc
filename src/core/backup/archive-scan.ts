import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ReadEntry } from 'tar';
import { OcmError } from '../errors';
import { tar } from '../vendor';
import type { IndexEntry } from './types';

/**
 * Streams a backup archive once (no extraction, nothing written anywhere) and checks that it is
 * safe and shaped like OpenClaw's: one top-level folder, exactly one `<root>/manifest.json`, the
 * payload under `<root>/payload/posix/`, no absolute or `..` paths, no links escaping the root,
 * only files, folders and links, and bounded sizes (decompression bombs). Every file is hashed on
 * the way, so the same pass yields the index entries.
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

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

interface PendingLink {
  rawPath: string;
  relative: string;
  linkpath: string;
}

export interface StreamScanOptions extends ScanOptions {
  /**
   * Inflate on libuv's thread pool (zlib's gunzip stream) instead of node-tar's synchronous
   * inflate on this thread, so the check runs alongside other work (the own engine scans its
   * archive while writing it). The input must then be gzip; the decompression-ratio limit still applies.
   */
  inflateOffThread?: boolean;
}

export async function scanArchive(archivePath: string, options: ScanOptions = {}): Promise<ArchiveScan> {
  if (options.signal?.aborted) throw new OcmError('cancelled', 'Archive check was cancelled.');
  return scanArchiveStream(createReadStream(archivePath), archivePath, options);
}

/**
 * scanArchive over a stream of the archive's bytes (`archivePath` names it in messages). The
 * archive sha256 and size are those of the bytes read from `input`.
 */
export async function scanArchiveStream(input: Readable, archivePath: string, options: StreamScanOptions = {}): Promise<ArchiveScan> {
  const limits: ArchiveLimits = { ...DEFAULT_ARCHIVE_LIMITS, ...options.limits };
  const signal = options.signal;
  if (signal?.aborted) throw new OcmError('cancelled', 'Archive check was cancelled.');

  const archiveHash = createHash('sha256');
  let archiveSize = 0;
  let root: string | undefined;
  const entries: IndexEntry[] = [];
  const seen = new Set<string>();
  const symlinkPaths = new Set<string>();
  const pendingLinks: PendingLink[] = [];
  const manifests: Buffer[] = [];
  let totalBytes = 0;
  let entryCount = 0;
  let failure: OcmError | undefined;

  return await new Promise<ArchiveScan>((resolve, reject) => {
    // 256 KiB output chunks: with zlib's default 16 KiB the per-chunk stream overhead on this thread costs more than the inflating.
    const gunzip = options.inflateOffThread ? createGunzip({ chunkSize: 256 * 1024 }) : undefined;
    const parser = new (tar().Parser)({
      strict: true,
      maxDecompressionRatio: limits.maxDecompressionRatio,
      maxMetaEntrySize: 1024 * 1024,
    });

    const fail = (err: OcmError): void => {
      if (failure) return;
      failure = err;
      signal?.removeEventListener('abort', onAbort);
      input.destroy();
      gunzip?.destroy();
      try {
        parser.abort(new Error(err.message));
      } catch {
        // abort() always "throws" a warning in node-tar; the archive is rejected either way.
      }
      reject(err);
    };
    const onAbort = (): void => fail(new OcmError('cancelled', 'Archive check was cancelled.'));
    signal?.addEventListener('abort', onAbort, { once: true });

    input.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT')
        fail(new OcmError('notFound', `Backup archive ${archivePath} does not exist. Check the path or list backups with "ocm backups".`, { archivePath }));
      else fail(archiveRejected(archivePath, undefined, `It could not be read: ${e.message}.`, 'read'));
    });
    input.on('data', (chunk) => {
      archiveHash.update(chunk as Buffer);
      archiveSize += (chunk as Buffer).length;
    });

    parser.on('warn', (code: string, message: string | Error) => {
      fail(
        archiveRejected(
          archivePath,
          undefined,
          `It is corrupt or not a tar.gz archive (${code}: ${message instanceof Error ? message.message : message}).`,
          'format',
        ),
      );
    });
    parser.on('error', (e: Error) => {
      fail(archiveRejected(archivePath, undefined, `It is corrupt or not a tar.gz archive (${e.message}).`, 'format'));
    });
    parser.on('abort', (e: Error) => {
      fail(archiveRejected(archivePath, undefined, `It is corrupt, truncated or a decompression bomb (${e.message}).`, 'format'));
    });
    parser.on('ignoredEntry', (entry: ReadEntry) => {
      fail(archiveRejected(archivePath, entry.path, `unsupported entry type ${entry.type}; backups contain only files, folders and links.`, 'type'));
    });

    parser.on('entry', (entry: ReadEntry) => {
      if (failure) return entry.resume();
      const raw = entry.path;
      const checked = checkArchivePath(raw);
      if (!checked.ok) return fail(archiveRejected(archivePath, raw, checked.reason, 'path'));
      const segments = checked.segments;
      if (root === undefined) root = segments[0];
      if (segments[0] !== root) {
        return fail(archiveRejected(archivePath, raw, `it is outside the archive's single top-level folder "${root}".`, 'root'));
      }
      const relative = segments.slice(1).join('/');
      if (++entryCount > limits.maxEntries) return fail(archiveRejected(archivePath, raw, `the archive has more than ${limits.maxEntries} entries.`, 'limit'));
      const key = segments.join('/');
      if (seen.has(key)) return fail(archiveRejected(archivePath, raw, 'the path appears twice in the archive.', 'duplicate'));
      seen.add(key);
      const size = entry.size ?? 0;
      if (size > limits.maxEntryBytes) {
        return fail(archiveRejected(archivePath, raw, `it declares ${size} bytes, more than the ${limits.maxEntryBytes}-byte limit per entry.`, 'limit'));
      }
      totalBytes += size;
      if (totalBytes > limits.maxTotalBytes) {
        return fail(archiveRejected(archivePath, raw, `the archive expands to more than ${limits.maxTotalBytes} bytes (limit).`, 'limit'));
      }

      if (relative === 'manifest.json') {
        if (!FILE_TYPES.has(entry.type)) return fail(archiveRejected(archivePath, raw, 'the manifest is not a regular file.', 'manifest'));
        if (size > limits.maxManifestBytes)
          return fail(archiveRejected(archivePath, raw, `the manifest is larger than ${limits.maxManifestBytes} bytes.`, 'limit'));
        const parts: Buffer[] = [];
        entry.on('data', (c: Buffer) => parts.push(c));
        entry.on('end', () => manifests.push(Buffer.concat(parts)));
        return;
      }
      if (relative === '' || relative === 'payload' || relative === PAYLOAD_PREFIX) {
        if (entry.type !== 'Directory') return fail(archiveRejected(archivePath, raw, 'only a folder may have this name.', 'layout'));
        return entry.resume();
      }
      if (!relative.startsWith(PAYLOAD_PREFIX + '/')) {
        return fail(archiveRejected(archivePath, raw, `it is outside ${root}/${PAYLOAD_PREFIX}/ (the only place for backed-up files).`, 'layout'));
      }
      const sourcePath = '/' + relative.slice(PAYLOAD_PREFIX.length + 1);
      const mode = (entry.mode ?? 0) & 0o7777;

      if (entry.type === 'Directory') {
        entries.push({ path: sourcePath, type: 'directory', size: 0, mode });
        return entry.resume();
      }
      if (entry.type === 'SymbolicLink') {
        const linkpath = entry.linkpath ?? '';
        if (linkpath === '' || linkpath.includes('\0')) return fail(archiveRejected(archivePath, raw, 'the symbolic link has no valid target.', 'link'));
        if (!linkpath.startsWith('/')) {
          const target = posix.normalize(posix.join(posix.dirname(relative), linkpath));
          if (target === '..' || target.startsWith('../')) {
            return fail(archiveRejected(archivePath, raw, `the symbolic link target "${linkpath}" escapes the archive.`, 'link'));
          }
          if (!(target === PAYLOAD_PREFIX || target.startsWith(PAYLOAD_PREFIX + '/'))) {
            return fail(archiveRejected(archivePath, raw, `the symbolic link target "${linkpath}" points outside the payload.`, 'link'));
          }
        }
        symlinkPaths.add(key);
        pendingLinks.push({ rawPath: raw, relative, linkpath });
        entries.push({ path: sourcePath, type: 'symlink', size: 0, mode, linkTarget: linkpath });
        return entry.resume();
      }
      if (entry.type === 'Link') {
        const linkpath = entry.linkpath ?? '';
        const checkedTarget = checkArchivePath(linkpath);
        if (!checkedTarget.ok) return fail(archiveRejected(archivePath, raw, `the hard link target "${linkpath}" is unsafe: ${checkedTarget.reason}`, 'link'));
        const targetKey = checkedTarget.segments[0] === root ? checkedTarget.segments.join('/') : [root, ...checkedTarget.segments].join('/');
        const targetRelative = targetKey.slice(root.length + 1);
        if (!targetRelative.startsWith(PAYLOAD_PREFIX + '/') || !seen.has(targetKey)) {
          return fail(archiveRejected(archivePath, raw, `the hard link target "${linkpath}" is not an earlier file in the archive's payload.`, 'link'));
        }
        const target = entries.find((e) => e.path === '/' + targetRelative.slice(PAYLOAD_PREFIX.length + 1));
        if (!target || target.type !== 'file')
          return fail(archiveRejected(archivePath, raw, `the hard link target "${linkpath}" is not a regular file.`, 'link'));
        entries.push({ path: sourcePath, type: 'hardlink', size: target.size, mode, sha256: target.sha256!, linkTarget: target.path });
        return entry.resume();
      }
      if (!FILE_TYPES.has(entry.type)) {
        return fail(archiveRejected(archivePath, raw, `unsupported entry type ${entry.type}; backups contain only files, folders and links.`, 'type'));
      }
      const record: IndexEntry = { path: sourcePath, type: 'file', size, mode };
      entries.push(record);
      const hash = createHash('sha256');
      entry.on('data', (c: Buffer) => hash.update(c));
      entry.on('end', () => {
        record.sha256 = hash.digest('hex');
      });
    });

    parser.on('end', () => {
      if (failure) return;
      signal?.removeEventListener('abort', onAbort);
      try {
        resolve(finish());
      } catch (e) {
        fail(e as OcmError);
      }
    });
    if (gunzip) {
      // node-tar checks the ratio only when it inflates itself: the same check on zlib's output.
      let inflated = 0;
      const ratioCheck = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          inflated += chunk.length;
          const ratio = inflated / Math.max(1, archiveSize);
          if (ratio > limits.maxDecompressionRatio) {
            fail(
              archiveRejected(
                archivePath,
                undefined,
                `It is corrupt, truncated or a decompression bomb (max decompression ratio exceeded: ${ratio.toFixed(2)} > ${limits.maxDecompressionRatio}).`,
                'format',
              ),
            );
            return cb();
          }
          cb(null, chunk);
        },
      });
      gunzip.on('error', (e: Error) => fail(archiveRejected(archivePath, undefined, `It is corrupt or not a tar.gz archive (${e.message}).`, 'format')));
      input
        .pipe(gunzip)
        .pipe(ratioCheck)
        .pipe(parser as unknown as NodeJS.WritableStream);
    } else {
      input.pipe(parser as unknown as NodeJS.WritableStream);
    }

    const finish = (): ArchiveScan => {
      if (root === undefined) throw archiveRejected(archivePath, undefined, 'It contains no entries.', 'format');
      if (manifests.length !== 1) {
        throw archiveRejected(
          archivePath,
          `${root}/manifest.json`,
          manifests.length === 0
            ? 'the archive has no manifest.json at its top level.'
            : `the archive has ${manifests.length} manifests; exactly one is allowed.`,
          'manifest',
        );
      }
      const manifestBytes = manifests[0];
      let manifest: unknown;
      try {
        manifest = JSON.parse(manifestBytes.toString('utf8'));
      } catch {
        throw archiveRejected(archivePath, `${root}/manifest.json`, 'the manifest is not valid JSON.', 'manifest');
      }
      if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
        throw archiveRejected(archivePath, `${root}/manifest.json`, 'the manifest is not a JSON object.', 'manifest');
      }
      const m = manifest as Record<string, unknown>;
      if (m.schemaVersion !== 1)
        throw archiveRejected(archivePath, `${root}/manifest.json`, `unsupported manifest schemaVersion ${String(m.schemaVersion)} (expected 1).`, 'manifest');
      if (m.archiveRoot !== root)
        throw archiveRejected(archivePath, `${root}/manifest.json`, `the manifest names archiveRoot "${String(m.archiveRoot)}", not "${root}".`, 'manifest');
      // No entry may live beneath a symbolic link: extracting it would write through the link.
      for (const key of seen) {
        for (let parent = posix.dirname(key); parent !== '.' && parent !== root; parent = posix.dirname(parent)) {
          if (symlinkPaths.has(parent)) throw archiveRejected(archivePath, key, `it lies beneath the symbolic link "${parent}".`, 'link');
        }
      }
      const stateDir = manifestStateDir(m);
      const externalSymbolicLinks = pendingLinks
        .filter((link) => isExternalLink(link, stateDir))
        .map((link) => ({ entryPath: link.rawPath, linkpath: link.linkpath }));
      return {
        archivePath,
        archiveSha256: archiveHash.digest('hex'),
        archiveSize,
        archiveRoot: root,
        manifest: m,
        manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'),
        entries,
        externalSymbolicLinks,
        totalBytes,
      };
    };
  });
}

function manifestStateDir(manifest: Record<string, unknown>): string | undefined {
  const paths = manifest.paths as Record<string, unknown> | undefined;
  if (paths && typeof paths.stateDir === 'string') return paths.stateDir;
  const assets = Array.isArray(manifest.assets) ? (manifest.assets as Array<Record<string, unknown>>) : [];
  const state = assets.find((a) => a && a.kind === 'state' && typeof a.sourcePath === 'string');
  return state ? (state.sourcePath as string) : undefined;
}

/** OpenClaw's rule: a link is external when its target lies outside the state dir. */
function isExternalLink(link: PendingLink, stateDir: string | undefined): boolean {
  if (stateDir === undefined) return link.linkpath.startsWith('/');
  const target = link.linkpath.startsWith('/')
    ? posix.normalize(link.linkpath)
    : '/' + posix.normalize(posix.join(posix.dirname(link.relative), link.linkpath)).slice(PAYLOAD_PREFIX.length + 1);
  const rel = posix.relative(stateDir, target);
  return rel === '..' || rel.startsWith('../') || posix.isAbsolute(rel);
}
