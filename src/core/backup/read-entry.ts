import { createReadStream } from 'node:fs';
import type { ReadEntry } from 'tar';
import { OcmError } from '../errors';
import { tar } from '../vendor';
import { checkArchivePath, DEFAULT_ARCHIVE_LIMITS, PAYLOAD_PREFIX } from './archive-scan';

export interface ReadArchiveOptions {
  /** Refuse entries larger than this (default 256 MiB): they are read into memory. */
  maxBytes?: number;
  signal?: AbortSignal;
}

/**
 * Reads one file out of an archive into memory, streaming and stopping as soon as it has been read.
 * `entryPath` is the absolute source path as in the index (`/home/u/.openclaw/openclaw.json`) or a
 * raw archive path (`<root>/payload/posix/...`). Nothing is written to disk.
 */
export async function readArchiveFile(archivePath: string, entryPath: string, options: ReadArchiveOptions = {}): Promise<Buffer> {
  const found = await readArchiveFiles(archivePath, [entryPath], options);
  const data = found.get(entryPath);
  if (!data)
    throw new OcmError('notFound', `${entryPath} is not a file in backup archive ${archivePath}. Open the backup's file list to see what it contains.`, {
      archivePath,
      entryPath,
    });
  return data;
}

/**
 * Reads several files in one pass (e.g. both sides of a diff); paths not found as files are absent
 * from the result. Stops reading once all were found.
 */
export async function readArchiveFiles(archivePath: string, entryPaths: readonly string[], options: ReadArchiveOptions = {}): Promise<Map<string, Buffer>> {
  const result = new Map<string, Buffer>();
  const hardlinks = new Map<string, string>();
  await readPass(archivePath, new Set(entryPaths), options, result, hardlinks);
  if (hardlinks.size > 0) {
    // A hard link's bytes live in the earlier entry it names: read those in a second pass.
    const targets = await readArchiveFiles(archivePath, [...new Set(hardlinks.values())], options);
    for (const [wanted, target] of hardlinks) {
      const data = targets.get(target);
      if (data) result.set(wanted, data);
    }
  }
  return result;
}

function readPass(
  archivePath: string,
  wanted: Set<string>,
  options: ReadArchiveOptions,
  result: Map<string, Buffer>,
  hardlinks: Map<string, string>,
): Promise<void> {
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  const remaining = new Set(wanted);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let root: string | undefined;
    const input = createReadStream(archivePath);
    const parser = new (tar().Parser)({ maxDecompressionRatio: DEFAULT_ARCHIVE_LIMITS.maxDecompressionRatio });
    const done = (err?: Error): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      input.destroy();
      if (err) reject(err);
      else resolve();
    };
    const onAbort = (): void => done(new OcmError('cancelled', 'Reading from the backup archive was cancelled.'));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    input.on('error', (e: NodeJS.ErrnoException) =>
      done(e.code === 'ENOENT' ? new OcmError('notFound', `Backup archive ${archivePath} does not exist.`, { archivePath }) : e),
    );
    const corrupt = (message: string): void =>
      done(new OcmError('failed', `Backup archive ${archivePath} could not be read (${message}). Run "ocm verify" on it.`, { archivePath }));
    parser.on('error', (e: Error) => corrupt(e.message));
    parser.on('abort', (e: Error) => corrupt(e.message));
    parser.on('entry', (entry: ReadEntry) => {
      if (settled) return entry.resume();
      const checked = checkArchivePath(entry.path);
      if (!checked.ok) return entry.resume();
      root ??= checked.segments[0];
      const raw = checked.segments.join('/');
      const prefix = `${root}/${PAYLOAD_PREFIX}`;
      const sourcePath = raw.startsWith(prefix + '/') ? raw.slice(prefix.length) : undefined;
      const key = remaining.has(raw) ? raw : sourcePath !== undefined && remaining.has(sourcePath) ? sourcePath : undefined;
      if (key === undefined) return entry.resume();
      remaining.delete(key);
      if (entry.type === 'Link' && entry.linkpath) {
        const t = checkArchivePath(entry.linkpath);
        if (t.ok) hardlinks.set(key, t.segments[0] === root ? t.segments.join('/') : [root, ...t.segments].join('/'));
        entry.resume();
      } else if (entry.type === 'SymbolicLink') {
        entry.resume();
        return done(
          new OcmError('unsupported', `${key} is a symbolic link to ${entry.linkpath ?? '?'} in this backup; open its target instead.`, {
            archivePath,
            entryPath: key,
            linkTarget: entry.linkpath,
          }),
        );
      } else if (entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile') {
        if ((entry.size ?? 0) > maxBytes) {
          entry.resume();
          return done(
            new OcmError('unsupported', `${key} is ${entry.size} bytes, too large to open from the backup (limit ${maxBytes}).`, {
              archivePath,
              entryPath: key,
            }),
          );
        }
        const parts: Buffer[] = [];
        entry.on('data', (c: Buffer) => parts.push(c));
        entry.on('end', () => {
          result.set(key, Buffer.concat(parts));
          if (remaining.size === 0) done();
        });
        return;
      } else {
        entry.resume();
      }
      if (remaining.size === 0) done();
    });
    parser.on('end', () => done());
    input.pipe(parser as unknown as NodeJS.WritableStream);
  });
}
