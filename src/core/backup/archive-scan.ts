import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ReadEntry } from 'tar';
import { OcmError } from '../errors';
import { tar } from '../vendor';
import { archiveRejected, DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits, type ArchiveScan, type ScanOptions } from './archive-rules';
import { ScanLedger } from './archive-scan-ledger';

export {
  archiveRejected,
  checkArchivePath,
  DEFAULT_ARCHIVE_LIMITS,
  PAYLOAD_PREFIX,
  type ArchiveLimits,
  type ArchiveScan,
  type ScanOptions,
} from './archive-rules';

/**
 * Streams a backup archive once (no extraction, nothing written anywhere) and checks that it is
 * safe and shaped like OpenClaw's: one top-level folder, exactly one `<root>/manifest.json`, the
 * payload under `<root>/payload/posix/`, no absolute or `..` paths, no links escaping the root,
 * only files, folders and links, and bounded sizes (decompression bombs). Every file is hashed on
 * the way, so the same pass yields the index entries.
 */

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
 * archive sha256 and size are those of the bytes read from `input`. The streams and their
 * failures live here; what each entry must be is the ledger's (archive-scan-ledger.ts).
 */
export async function scanArchiveStream(input: Readable, archivePath: string, options: StreamScanOptions = {}): Promise<ArchiveScan> {
  const limits: ArchiveLimits = { ...DEFAULT_ARCHIVE_LIMITS, ...options.limits };
  const signal = options.signal;
  if (signal?.aborted) throw new OcmError('cancelled', 'Archive check was cancelled.');
  const ledger = new ScanLedger(archivePath, limits);
  const archiveHash = createHash('sha256');
  let archiveSize = 0;
  let failure: OcmError | undefined;

  return await new Promise<ArchiveScan>((resolve, reject) => {
    // 256 KiB output chunks: with zlib's default 16 KiB the per-chunk stream overhead on this thread costs more than the inflating.
    const gunzip = options.inflateOffThread ? createGunzip({ chunkSize: 256 * 1024 }) : undefined;
    const parser = new (tar().Parser)({ strict: true, maxDecompressionRatio: limits.maxDecompressionRatio, maxMetaEntrySize: 1024 * 1024 });
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
    const corrupt = (why: string): OcmError => archiveRejected(archivePath, undefined, `It is corrupt or not a tar.gz archive (${why}).`, 'format');

    input.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT')
        fail(new OcmError('notFound', `Backup archive ${archivePath} does not exist. Check the path or list backups with "ocm backups".`, { archivePath }));
      else fail(archiveRejected(archivePath, undefined, `It could not be read: ${e.message}.`, 'read'));
    });
    input.on('data', (chunk: Buffer) => {
      archiveHash.update(chunk);
      archiveSize += chunk.length;
    });
    parser.on('warn', (code: string, message: string | Error) => fail(corrupt(`${code}: ${message instanceof Error ? message.message : message}`)));
    parser.on('error', (e: Error) => fail(corrupt(e.message)));
    parser.on('abort', (e: Error) =>
      fail(archiveRejected(archivePath, undefined, `It is corrupt, truncated or a decompression bomb (${e.message}).`, 'format')),
    );
    parser.on('ignoredEntry', (entry: ReadEntry) =>
      fail(archiveRejected(archivePath, entry.path, `unsupported entry type ${entry.type}; backups contain only files, folders and links.`, 'type')),
    );
    parser.on('entry', (entry: ReadEntry) => {
      if (failure) return entry.resume();
      try {
        ledger.take(entry);
      } catch (e) {
        fail(e as OcmError);
      }
    });
    parser.on('end', () => {
      if (failure) return;
      signal?.removeEventListener('abort', onAbort);
      try {
        resolve(ledger.finish(archiveHash.digest('hex'), archiveSize));
      } catch (e) {
        fail(e as OcmError);
      }
    });
    if (gunzip) {
      gunzip.on('error', (e: Error) => fail(corrupt(e.message)));
      input
        .pipe(gunzip)
        .pipe(
          ratioGuard(
            limits.maxDecompressionRatio,
            () => archiveSize,
            (ratio) =>
              fail(
                archiveRejected(
                  archivePath,
                  undefined,
                  `It is corrupt, truncated or a decompression bomb (max decompression ratio exceeded: ${ratio.toFixed(2)} > ${limits.maxDecompressionRatio}).`,
                  'format',
                ),
              ),
          ),
        )
        .pipe(parser as unknown as NodeJS.WritableStream);
    } else {
      input.pipe(parser as unknown as NodeJS.WritableStream);
    }
  });
}

/** node-tar checks the decompression ratio only when it inflates itself: the same check on zlib's output. */
function ratioGuard(maxRatio: number, compressedBytes: () => number, exceeded: (ratio: number) => void): Transform {
  let inflated = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      inflated += chunk.length;
      const ratio = inflated / Math.max(1, compressedBytes());
      if (ratio > maxRatio) {
        exceeded(ratio);
        return cb();
      }
      cb(null, chunk);
    },
  });
}
