/**
 * The SSH transport's atomic write: temp file in the target's folder → mode/owner of the original →
 * data → fsync → close → posix-rename over the target (see Transport.writeFileAtomic). Requests that
 * don't depend on each other are pipelined on the SFTP channel (the server handles them in order),
 * so a small file costs four round trips; a symlink costs two more: its fully resolved target (SFTP
 * realpath) is replaced, with the temp file beside it, and the link stays.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import { OcmError, isOcmError } from '../errors';
import type { WriteOptions } from '../transport/types';
import type { NodeConnection } from './connection';
import type { Logger } from './logger';
import type { GuardContext } from './sftp-guard';
import { fileType, sftpCall, statExists, toFileStat } from './sftp-files';
import { writeAll } from './sftp-io';

/** Temp file names of atomic writes of `path`: `.<name>.ocm-<12 hex>.tmp`, beside it. */
export function tempPathFor(path: string): string {
  return posix.join(posix.dirname(path), `.${posix.basename(path)}.ocm-${randomBytes(6).toString('hex')}.tmp`);
}

/** Is `name` (in the same folder) a temp file of an atomic write of `path`? */
export function isTempNameOf(path: string, name: string): boolean {
  const prefix = `.${posix.basename(path)}.ocm-`;
  return name.startsWith(prefix) && /^[0-9a-f]{12}\.tmp$/.test(name.slice(prefix.length));
}

export interface AtomicWriteNode {
  nodeId: string;
  logger: Logger;
  /** The connection died before the temp file of `dest` could be removed (a later write sweeps it). */
  leftBehind(dest: string): void;
}

/** Replaces `path` (for a symlink: its target) atomically; resolves with the path actually replaced. */
export async function writeAtomically(
  sftp: SFTPWrapper,
  connection: NodeConnection,
  ctx: GuardContext,
  path: string,
  data: Uint8Array,
  options: WriteOptions,
  node: AtomicWriteNode,
): Promise<string> {
  const fail = (kind: 'exists' | 'notFound' | 'invalidInput', message: string): OcmError => new OcmError(kind, message, { nodeId: node.nodeId, path });
  let dest = path;
  const call = <T>(start: (done: (err: unknown, value?: T) => void) => void, c: GuardContext = ctx): Promise<T> => sftpCall<T>(connection, c, start);
  const cleanup = async (temp: string, openHandle: Buffer | undefined): Promise<void> => {
    if (connection.closed) {
      // A dead link cannot clean up: the temp name says what it is, and a later write of this
      // file sweeps it once it is old enough.
      node.leftBehind(dest);
      return;
    }
    const quick = { ...ctx, signal: undefined, timeoutMs: 5000 } as GuardContext;
    if (openHandle) await call((done) => sftp.close(openHandle, done), quick).catch(() => undefined);
    await call((done) => sftp.unlink(temp, done), quick).catch(() => undefined);
  };
  // Round trip 1: what is there now (and whether `path` itself is a symlink), and a private
  // (0600) temp file beside `file` to write into.
  const begin = async (file: string, checkLink: boolean) => {
    const temp = tempPathFor(file);
    const linking = checkLink
      ? call<Stats>((done) => sftp.lstat(path, done)).then(
          (attrs) => fileType(attrs.mode) === 'symlink',
          (e: unknown) => {
            if (isOcmError(e, 'notFound')) return false;
            throw e;
          },
        )
      : Promise.resolve(false);
    const statting = call<Stats>((done) => sftp.stat(file, done)).then(
      (attrs) => toFileStat(attrs),
      (e: unknown) => {
        if (isOcmError(e, 'notFound')) return undefined;
        throw e;
      },
    );
    const opening = call<Buffer>((done) => sftp.open(temp, 'wx', { mode: 0o600 }, done), { ...ctx, path: temp });
    const [isLink, existing, handle] = await Promise.allSettled([linking, statting, opening]);
    return { temp, isLink, existing, handle };
  };
  let step = await begin(path, true);
  if (step.isLink.status === 'rejected' || step.isLink.value) {
    if (step.handle.status === 'fulfilled') await cleanup(step.temp, step.handle.value);
    if (step.isLink.status === 'rejected') throw step.isLink.reason;
    // A symlink (a config kept in a dotfiles repo): write through to its fully resolved target,
    // atomically there. A rename onto the link would replace it with a plain file and leave
    // the target with the old bytes.
    dest = await call<string>((done) => sftp.realpath(path, done));
    step = await begin(dest, false);
  }
  const { temp, existing, handle } = step;
  if (handle.status === 'rejected') {
    if (existing.status === 'rejected') throw existing.reason;
    throw handle.reason;
  }
  const h = handle.value;
  let closed = false;
  try {
    if (existing.status === 'rejected') throw existing.reason;
    const current = existing.value;
    if (current && options.exclusive) throw fail('exists', `${path} already exists on node "${node.nodeId}". Choose another name or remove it first.`);
    if (!current && options.mustExist)
      throw fail('notFound', `${path} does not exist on node "${node.nodeId}" (it was expected to). Check the path; it may have been moved or deleted.`);
    if (current && current.type === 'directory') throw fail('invalidInput', `${path} on node "${node.nodeId}" is a directory, not a file. Pick a file path.`);
    const mode = current ? current.mode : (options.mode ?? 0o644);
    // Round trip 2: mode (set explicitly: open() applies the umask), owner, data.
    const steps: Promise<unknown>[] = [call((done) => sftp.fchmod(h, mode, done))];
    if (current?.uid !== undefined && current.gid !== undefined) {
      // Keep the owner where the node allows it (same user, or a group we belong to).
      steps.push(
        call((done) => sftp.fchown(h, current.uid!, current.gid!, done)).catch((e: unknown) => {
          if (!isOcmError(e, 'permission') && !isOcmError(e, 'failed')) throw e;
          node.logger.debug(`ssh ${node.nodeId}: could not keep owner ${current.uid}:${current.gid} of ${path} (${(e as Error).message})`);
        }),
      );
    }
    steps.push(writeAll(connection, sftp, h, ctx, data));
    await Promise.all(steps);
    // Round trip 3: fsync, then close (issued together; the server answers in order).
    const syncing = call((done) => sftp.ext_openssh_fsync(h, done)).catch((e: unknown) => {
      if (!isOcmError(e, 'unsupported')) throw e;
      node.logger.info(`ssh ${node.nodeId}: the SFTP server lacks fsync@openssh.com; ${path} is renamed into place without an fsync`);
    });
    const closing = syncing.then(() => call((done) => sftp.close(h, done)));
    closed = true;
    await closing;
    // Round trip 4: the rename.
    if (options.exclusive) {
      // Plain SFTP rename refuses to replace an existing file: exactly what exclusive needs.
      await call((done) => sftp.rename(temp, dest, done)).catch(async (e: unknown) => {
        if ((await statExists(sftp, connection, ctx, dest)) !== false)
          throw fail('exists', `${path} appeared on node "${node.nodeId}" while writing. Choose another name or remove it first.`);
        throw e;
      });
    } else {
      await call((done) => sftp.ext_openssh_rename(temp, dest, done)).catch((e: unknown) => {
        if (isOcmError(e, 'unsupported')) {
          throw new OcmError(
            'unsupported',
            `The SFTP server of node "${node.nodeId}" lacks posix-rename@openssh.com, so ${path} cannot be replaced atomically. Use OpenSSH's sftp server (Subsystem sftp internal-sftp) on the node.`,
            { nodeId: node.nodeId, path },
          );
        }
        throw e;
      });
    }
  } catch (e) {
    await cleanup(temp, closed ? undefined : h);
    throw e;
  }
  return dest;
}
