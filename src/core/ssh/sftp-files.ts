/**
 * SFTP building blocks shared by the SSH transport's file operations and its atomic write: one
 * guarded request, file types and stats from SFTP attributes, open → work → close on a handle, and
 * the exists check that tells a folder from a file.
 */
import type { OpenMode, SFTPWrapper, Stats } from 'ssh2';
import { isOcmError } from '../errors';
import type { FileStat } from '../transport/types';
import type { NodeConnection } from './connection';
import { guard, type GuardContext } from './sftp-guard';

export function fileType(mode: number): FileStat['type'] {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'directory';
    case 0o120000:
      return 'symlink';
    default:
      return 'other';
  }
}

export function toFileStat(attrs: Stats): FileStat {
  return { type: fileType(attrs.mode), size: attrs.size, mtimeMs: attrs.mtime * 1000, mode: attrs.mode & 0o7777, uid: attrs.uid, gid: attrs.gid };
}

/** One guarded SFTP request. */
export function sftpCall<T>(connection: NodeConnection, ctx: GuardContext, start: (done: (err: unknown, value?: T) => void) => void): Promise<T> {
  return guard<T>(connection, ctx, (done) => start(done));
}

/** Opens `path`, runs `work` with the handle, closes it (also on failure). */
export async function withHandle<T>(
  sftp: SFTPWrapper,
  connection: NodeConnection,
  ctx: GuardContext,
  path: string,
  flags: OpenMode,
  mode: number | undefined,
  work: (handle: Buffer) => Promise<T>,
): Promise<T> {
  const handle = await sftpCall<Buffer>(connection, { ...ctx, path }, (done) =>
    mode === undefined ? sftp.open(path, flags, done) : sftp.open(path, flags, { mode }, done),
  );
  let result: T;
  try {
    result = await work(handle);
  } catch (e) {
    if (!connection.closed)
      await sftpCall(connection, { ...ctx, signal: undefined, timeoutMs: 5000 } as GuardContext, (done) => sftp.close(handle, done)).catch(() => undefined);
    throw e;
  }
  const closing = sftpCall(connection, { ...ctx, path }, (done) => sftp.close(handle, done));
  if (flags === 'r') {
    // Nothing to lose on a read handle: don't spend a round trip waiting for its close.
    closing.catch(() => undefined);
  } else {
    await closing;
  }
  return result;
}

/** `directory`, true (exists, not a directory) or false. */
export async function statExists(sftp: SFTPWrapper, connection: NodeConnection, ctx: GuardContext, path: string): Promise<'directory' | boolean> {
  try {
    const attrs = await sftpCall<Stats>(connection, { ...ctx, path }, (done) => sftp.stat(path, done));
    return fileType(attrs.mode) === 'directory' ? 'directory' : true;
  } catch (e) {
    if (isOcmError(e, 'notFound')) return false;
    throw e;
  }
}
