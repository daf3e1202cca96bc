import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { PassThrough, Readable, type Writable } from 'node:stream';
import type { ClientChannel, OpenMode, SFTPWrapper, Stats } from 'ssh2';
import { OcmError, isOcmError } from '../errors';
import { redactSecrets } from '../redact';
import { shellQuote } from '../transport/shell-quote';
import type { DirEntry, ExecOptions, ExecResult, ExecStream, ExecStreamOptions, FileStat, OpOptions, Transport, WriteOptions } from '../transport/types';
import type { ConnectTarget } from './connect-target';
import type { NodeConnection } from './connection';
import { cancelledError, channelError, connectionLostError, timeoutError } from './error-map';
import type { SshPool } from './pool';
import { remoteCommand, type RemoteCommand } from './remote-command';
import { guard, type GuardContext } from './sftp-guard';
import { readToEnd, writeAll } from './sftp-io';
import { BoundedBuffer } from '../transport/bounded-buffer';

const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
const STREAM_STDERR_BYTES = 1024 * 1024;

function fileType(mode: number): FileStat['type'] {
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

function toFileStat(attrs: Stats): FileStat {
  return { type: fileType(attrs.mode), size: attrs.size, mtimeMs: attrs.mtime * 1000, mode: attrs.mode & 0o7777, uid: attrs.uid, gid: attrs.gid };
}

/** What a log line may show of a command: no env values (tokens live there), secrets masked. */
function loggable(command: string, env: Record<string, string> | undefined): string {
  const keys = env ? Object.keys(env) : [];
  return `${keys.length ? `[env ${keys.join(',')}] ` : ''}${redactSecrets(command)}`;
}

/** Temp file names of atomic writes of `path`: `.<name>.ocm-<12 hex>.tmp`, beside it. */
function tempPathFor(path: string): string {
  return posix.join(posix.dirname(path), `.${posix.basename(path)}.ocm-${randomBytes(6).toString('hex')}.tmp`);
}

/** Is `name` (in the same folder) a temp file of an atomic write of `path`? */
function isTempNameOf(path: string, name: string): boolean {
  const prefix = `.${posix.basename(path)}.ocm-`;
  return name.startsWith(prefix) && /^[0-9a-f]{12}\.tmp$/.test(name.slice(prefix.length));
}

const isChannelOpenFailure = (e: unknown): boolean => e instanceof Error && !isOcmError(e) && /open failure|Channel open/i.test(e.message);

/**
 * Transport over one pooled SSH connection per node: commands over exec channels (at most
 * MaxSessions − 2 at once), files over the connection's single SFTP channel. Every call settles:
 * result, mapped error, timeout, `disconnected` when the link drops, or `cancelled`.
 */
export class SshTransport implements Transport {
  readonly kind = 'ssh' as const;
  readonly nodeId: string;

  constructor(
    private readonly pool: SshPool,
    readonly target: ConnectTarget,
  ) {
    this.nodeId = target.nodeId;
  }

  private get settings(): SshPool['settings'] {
    return this.pool.settings;
  }

  private ctx(op: string, path: string | undefined, options: OpOptions, defaultTimeoutMs: number): GuardContext {
    const ctx: GuardContext = { nodeId: this.nodeId, op, timeoutMs: options.timeoutMs ?? defaultTimeoutMs };
    if (path !== undefined) ctx.path = path;
    if (options.signal) ctx.signal = options.signal;
    return ctx;
  }

  private async withConnection<T>(signal: AbortSignal | undefined, work: (connection: NodeConnection) => Promise<T>): Promise<T> {
    const connection = await this.pool.acquire(this.target, signal);
    try {
      return await work(connection);
    } finally {
      this.pool.release(this.target, connection);
    }
  }

  private withSftp<T>(ctx: GuardContext, work: (sftp: SFTPWrapper, connection: NodeConnection) => Promise<T>): Promise<T> {
    return this.withConnection(ctx.signal, async (connection) => {
      const sftp = await connection.sftp(ctx.signal);
      ctx.sftp = true;
      return work(sftp, connection);
    });
  }

  /** One guarded SFTP request. */
  private call<T>(connection: NodeConnection, ctx: GuardContext, start: (done: (err: unknown, value?: T) => void) => void): Promise<T> {
    return guard<T>(connection, ctx, (done) => start(done));
  }

  private async acquireSession(connection: NodeConnection, ctx: GuardContext): Promise<() => void> {
    try {
      return await connection.sessions.acquire(ctx.signal);
    } catch (e) {
      if (isOcmError(e)) throw e;
      throw connectionLostError(ctx, connection.closeReason);
    }
  }

  // ---- commands ----

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const ctx = this.ctx('exec', undefined, options, this.settings.execTimeoutMs);
    const started = Date.now();
    try {
      const result = await this.withConnection(options.signal, async (connection) => {
        const release = await this.acquireSession(connection, ctx);
        const remote = remoteCommand(command, options.env, options.stdin !== undefined);
        try {
          for (let attempt = 1; ; attempt++) {
            try {
              return await this.execOnce(connection, remote, options, ctx, started);
            } catch (e) {
              // sshd may not have freed a just-closed session yet: retry the open briefly.
              if (attempt >= 3 || !isChannelOpenFailure((e as { cause?: unknown }).cause)) throw e;
              await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
            }
          }
        } finally {
          release();
        }
      });
      this.settings.logger.debug(`ssh ${this.nodeId}: exec ${loggable(command, options.env)} → exit ${result.exitCode ?? result.signal} in ${result.durationMs} ms`);
      return result;
    } catch (e) {
      this.settings.logger.debug(`ssh ${this.nodeId}: exec ${loggable(command, options.env)} failed after ${Date.now() - started} ms: ${(e as Error).message}`);
      throw e;
    }
  }

  private execOnce(connection: NodeConnection, remote: RemoteCommand, options: ExecOptions, ctx: GuardContext, started: number): Promise<ExecResult> {
    let channel: ClientChannel | undefined;
    return guard<ExecResult>(
      connection,
      ctx,
      (done, isAbandoned) => {
        connection.client.exec(remote.request, (err, ch) => {
          if (err) return done(err);
          if (isAbandoned()) return void ch.close();
          channel = ch;
          const stdout = new BoundedBuffer(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
          const stderr = new BoundedBuffer(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
          let exitCode: number | null = null;
          let signal: string | undefined;
          ch.on('data', (chunk: Buffer) => stdout.push(chunk));
          ch.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
          ch.on('exit', (code: number | null, signalName?: string) => {
            if (typeof code === 'number') exitCode = code;
            else if (signalName) signal = signalName;
          });
          ch.on('error', () => undefined); // surfaces as close / connection loss
          // The exit status may arrive after stdout ends: only `close` means everything is in.
          ch.on('close', () => {
            const result: ExecResult = { exitCode, stdout: stdout.text(), stderr: stderr.text(), durationMs: Date.now() - started };
            if (signal) result.signal = signal;
            if (stdout.truncated || stderr.truncated) result.truncated = true;
            done(undefined, result);
          });
          // The script travels on stdin (see remote-command.ts), the caller's bytes after it.
          if (options.stdin !== undefined) ch.end(Buffer.concat([remote.preamble, typeof options.stdin === 'string' ? Buffer.from(options.stdin) : options.stdin]));
          else ch.end(remote.preamble);
        });
      },
      {
        abandon: () => stopChannel(channel),
        mapError: channelError,
      },
    );
  }

  async execStream(command: string, options: ExecStreamOptions = {}): Promise<ExecStream> {
    const ctx = this.ctx('exec', undefined, options, 0);
    const openCtx = { ...ctx, timeoutMs: this.settings.opTimeoutMs };
    const connection = await this.pool.acquire(this.target, options.signal);
    let release: (() => void) | undefined;
    let channel: ClientChannel;
    const remote = remoteCommand(command, options.env, options.stdin !== undefined);
    try {
      release = await this.acquireSession(connection, openCtx);
      channel = await guard<ClientChannel>(
        connection,
        openCtx,
        (done, isAbandoned) =>
          connection.client.exec(remote.request, (err, ch) => {
            if (err) return done(err);
            if (isAbandoned()) return void ch.close();
            done(undefined, ch);
          }),
        { mapError: channelError },
      );
    } catch (e) {
      release?.();
      this.pool.release(this.target, connection);
      throw e;
    }
    const started = Date.now();
    this.settings.logger.debug(`ssh ${this.nodeId}: exec (stream) ${loggable(command, options.env)}`);
    const stdout = new PassThrough();
    channel.pipe(stdout);
    const stderr = new BoundedBuffer(STREAM_STDERR_BYTES);
    channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    channel.on('error', () => undefined);
    let exitCode: number | null = null;
    let exitSignal: string | undefined;
    channel.on('exit', (code: number | null, signalName?: string) => {
      if (typeof code === 'number') exitCode = code;
      else if (signalName) exitSignal = signalName;
    });
    const done = new Promise<{ exitCode: number | null; signal?: string; stderr: string }>((resolve, reject) => {
      let finished = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err?: OcmError): void => {
        if (finished) return;
        finished = true;
        if (timer) clearTimeout(timer);
        unsubscribe();
        options.signal?.removeEventListener('abort', onAbort);
        release!();
        this.pool.release(this.target, connection);
        this.settings.logger.debug(`ssh ${this.nodeId}: exec (stream) ${loggable(command, options.env)} → ${err ? err.kind : `exit ${exitCode ?? exitSignal}`} in ${Date.now() - started} ms`);
        if (err) {
          stdout.destroy(err);
          reject(err);
        } else {
          const out: { exitCode: number | null; signal?: string; stderr: string } = { exitCode, stderr: stderr.text() };
          if (exitSignal) out.signal = exitSignal;
          resolve(out);
        }
      };
      const onAbort = (): void => {
        stopChannel(channel);
        finish(cancelledError(ctx));
      };
      const unsubscribe = connection.onClose((reason) => finish(connectionLostError(ctx, reason)));
      channel.on('close', () => finish());
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs && options.timeoutMs > 0) {
        timer = setTimeout(() => {
          stopChannel(channel);
          finish(timeoutError(ctx, options.timeoutMs!));
        }, options.timeoutMs);
      }
    });
    done.catch(() => undefined); // callers that only read stdout still see the error there
    // The script travels on stdin (see remote-command.ts), the caller's stdin after it.
    const stdin = options.stdin;
    if (stdin instanceof Readable) {
      channel.write(remote.preamble);
      stdin.on('error', () => channel.end());
      stdin.pipe(channel);
    } else if (stdin !== undefined) {
      channel.end(Buffer.concat([remote.preamble, typeof stdin === 'string' ? Buffer.from(stdin) : stdin]));
    } else {
      channel.end(remote.preamble);
    }
    return { stdout, done, cancel: () => stopChannel(channel) };
  }

  // ---- files ----

  async stat(path: string, options: OpOptions = {}): Promise<FileStat> {
    const ctx = this.ctx('stat', path, options, this.settings.opTimeoutMs);
    return this.withSftp(ctx, async (sftp, connection) => toFileStat(await this.call<Stats>(connection, ctx, (done) => sftp.stat(path, done))));
  }

  async statOrUndefined(path: string, options: OpOptions = {}): Promise<FileStat | undefined> {
    try {
      return await this.stat(path, options);
    } catch (e) {
      if (isOcmError(e, 'notFound')) return undefined;
      throw e;
    }
  }

  async readdir(path: string, options: OpOptions = {}): Promise<DirEntry[]> {
    const ctx = this.ctx('list', path, options, this.settings.opTimeoutMs);
    return this.withSftp(ctx, async (sftp, connection) => {
      const list = await this.call<{ filename: string; attrs: Stats }[]>(connection, ctx, (done) => sftp.readdir(path, done));
      return list
        .filter((entry) => entry.filename !== '.' && entry.filename !== '..')
        .map((entry) => ({ name: entry.filename, type: fileType(entry.attrs.mode), size: entry.attrs.size, mtimeMs: entry.attrs.mtime * 1000, mode: entry.attrs.mode & 0o7777 }));
    });
  }

  async readFile(path: string, options: OpOptions = {}): Promise<Buffer> {
    const ctx = this.ctx('read', path, options, this.settings.opTimeoutMs);
    return this.withSftp(ctx, async (sftp, connection) => {
      const chunks: Buffer[] = [];
      await this.withHandle(sftp, connection, ctx, path, 'r', undefined, (handle) => readToEnd(connection, sftp, handle, ctx, (chunk) => void chunks.push(chunk)));
      return Buffer.concat(chunks);
    });
  }

  async download(remotePath: string, destination: Writable, options: OpOptions = {}): Promise<void> {
    // The timeout applies to each request: a large file may take long, a stalled one fails.
    const ctx = this.ctx('read', remotePath, options, this.settings.opTimeoutMs);
    // A failing destination must stop the transfer, not crash the process with an unhandled 'error'.
    let destinationError: Error | undefined;
    const onError = (e: Error): void => {
      destinationError ??= e;
    };
    destination.on('error', onError);
    try {
      await this.withSftp(ctx, (sftp, connection) =>
        this.withHandle(sftp, connection, ctx, remotePath, 'r', undefined, (handle) =>
          readToEnd(connection, sftp, handle, ctx, (chunk) => {
            if (destinationError) throw new OcmError('failed', `Writing the download of ${remotePath} failed here: ${destinationError.message}. Check the local disk.`, { nodeId: this.nodeId }, { cause: destinationError });
            return writeWithBackpressure(destination, chunk, ctx);
          }),
        ),
      );
      await endWritable(destination);
    } finally {
      destination.off('error', onError);
    }
  }

  async upload(source: Readable, remotePath: string, options: OpOptions & { mode?: number } = {}): Promise<void> {
    const ctx = this.ctx('write', remotePath, options, this.settings.opTimeoutMs);
    await this.withSftp(ctx, (sftp, connection) =>
      this.withHandle(sftp, connection, ctx, remotePath, 'w', options.mode ?? 0o644, async (handle) => {
        try {
          await writeAll(connection, sftp, handle, ctx, source);
        } catch (e) {
          if (isOcmError(e)) throw e;
          // The source stream failed (its own error, not the node's).
          throw new OcmError('failed', `Reading the data to upload to ${remotePath} failed: ${(e as Error).message}. ${remotePath} on node "${this.nodeId}" is incomplete; upload again.`, { nodeId: this.nodeId, path: remotePath }, { cause: e });
        }
      }),
    );
  }

  /**
   * Temp file in the same folder → mode/owner of the original → data → fsync → close →
   * posix-rename over the target. Requests that don't depend on each other are pipelined on the
   * SFTP channel (the server handles them in order), so a small file costs four round trips.
   * A symlink costs two more: its target (SFTP realpath) is replaced, with the temp file beside it.
   */
  async writeFileAtomic(path: string, data: Uint8Array, options: WriteOptions = {}): Promise<void> {
    const ctx = this.ctx('write', path, options, this.settings.opTimeoutMs);
    const started = Date.now();
    const fail = (kind: 'exists' | 'notFound' | 'invalidInput', message: string): OcmError => new OcmError(kind, message, { nodeId: this.nodeId, path });
    let dest = path;
    await this.withSftp(ctx, async (sftp, connection) => {
      const call = <T>(start: (done: (err: unknown, value?: T) => void) => void, c: GuardContext = ctx): Promise<T> => this.call<T>(connection, c, start);
      const cleanup = async (temp: string, openHandle: Buffer | undefined): Promise<void> => {
        if (connection.closed) {
          // A dead link cannot clean up: the temp name says what it is, and a later write of this
          // file sweeps it once it is old enough.
          this.swept.delete(dest);
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
        if (current && options.exclusive) throw fail('exists', `${path} already exists on node "${this.nodeId}". Choose another name or remove it first.`);
        if (!current && options.mustExist) throw fail('notFound', `${path} does not exist on node "${this.nodeId}" (it was expected to). Check the path; it may have been moved or deleted.`);
        if (current && current.type === 'directory') throw fail('invalidInput', `${path} on node "${this.nodeId}" is a directory, not a file. Pick a file path.`);
        const mode = current ? current.mode : (options.mode ?? 0o644);
        // Round trip 2: mode (set explicitly: open() applies the umask), owner, data.
        const steps: Promise<unknown>[] = [call((done) => sftp.fchmod(h, mode, done))];
        if (current?.uid !== undefined && current.gid !== undefined) {
          // Keep the owner where the node allows it (same user, or a group we belong to).
          steps.push(
            call((done) => sftp.fchown(h, current.uid!, current.gid!, done)).catch((e: unknown) => {
              if (!isOcmError(e, 'permission') && !isOcmError(e, 'failed')) throw e;
              this.settings.logger.debug(`ssh ${this.nodeId}: could not keep owner ${current.uid}:${current.gid} of ${path} (${(e as Error).message})`);
            }),
          );
        }
        steps.push(writeAll(connection, sftp, h, ctx, data));
        await Promise.all(steps);
        // Round trip 3: fsync, then close (issued together; the server answers in order).
        const syncing = call((done) => sftp.ext_openssh_fsync(h, done)).catch((e: unknown) => {
          if (!isOcmError(e, 'unsupported')) throw e;
          this.settings.logger.info(`ssh ${this.nodeId}: the SFTP server lacks fsync@openssh.com; ${path} is renamed into place without an fsync`);
        });
        const closing = syncing.then(() => call((done) => sftp.close(h, done)));
        closed = true;
        await closing;
        // Round trip 4: the rename.
        if (options.exclusive) {
          // Plain SFTP rename refuses to replace an existing file: exactly what exclusive needs.
          await call((done) => sftp.rename(temp, dest, done)).catch(async (e: unknown) => {
            if ((await this.statExists(sftp, connection, ctx, dest)) !== false) throw fail('exists', `${path} appeared on node "${this.nodeId}" while writing. Choose another name or remove it first.`);
            throw e;
          });
        } else {
          await call((done) => sftp.ext_openssh_rename(temp, dest, done)).catch((e: unknown) => {
            if (isOcmError(e, 'unsupported')) {
              throw new OcmError('unsupported', `The SFTP server of node "${this.nodeId}" lacks posix-rename@openssh.com, so ${path} cannot be replaced atomically. Use OpenSSH's sftp server (Subsystem sftp internal-sftp) on the node.`, { nodeId: this.nodeId, path });
            }
            throw e;
          });
        }
      } catch (e) {
        await cleanup(temp, closed ? undefined : h);
        throw e;
      }
    });
    this.settings.logger.debug(`ssh ${this.nodeId}: wrote ${path}${dest === path ? '' : ` (through the symlink, to ${dest})`} (${data.byteLength} bytes, atomic) in ${Date.now() - started} ms`);
    this.sweepStaleTemps(dest);
  }

  /** Paths whose folder was already swept on this transport (once per file: a sweep lists the folder). */
  private readonly swept = new Set<string>();

  /**
   * In the background after a successful atomic write: removes temp files of earlier writes of
   * the same file that a dropped connection left behind (old enough not to be another writer's).
   * Once per file per transport, so a folder is listed at most once however often the file is saved.
   */
  private sweepStaleTemps(path: string): void {
    if (this.swept.has(path)) return;
    this.swept.add(path);
    const folder = posix.dirname(path);
    const sweep = async (): Promise<void> => {
      const cutoffMs = Date.now() - this.settings.staleTempMs;
      const stale = (await this.readdir(folder, { timeoutMs: 10_000 })).filter((e) => isTempNameOf(path, e.name) && e.type === 'file' && e.mtimeMs <= cutoffMs);
      for (const e of stale) await this.remove(posix.join(folder, e.name), { timeoutMs: 10_000 });
      if (stale.length) this.settings.logger.info(`ssh ${this.nodeId}: removed ${stale.length} temp file(s) of interrupted writes of ${path}`);
    };
    sweep().catch((e: unknown) => this.settings.logger.debug(`ssh ${this.nodeId}: temp sweep in ${folder} skipped (${(e as Error).message})`));
  }

  async rename(from: string, to: string, options: OpOptions & { overwrite?: boolean } = {}): Promise<void> {
    const ctx = this.ctx('rename', from, options, this.settings.opTimeoutMs);
    await this.withSftp(ctx, async (sftp, connection) => {
      if (options.overwrite) {
        await this.call(connection, ctx, (done) => sftp.ext_openssh_rename(from, to, done));
        return;
      }
      if ((await this.statExists(sftp, connection, ctx, to)) === true) {
        throw new OcmError('exists', `${to} already exists on node "${this.nodeId}". Remove it first or rename with overwrite.`, { nodeId: this.nodeId, path: to });
      }
      await this.call(connection, ctx, (done) => sftp.rename(from, to, done));
    });
  }

  async remove(path: string, options: OpOptions & { recursive?: boolean } = {}): Promise<void> {
    const ctx = this.ctx('remove', path, options, this.settings.opTimeoutMs);
    const isDirectory = await this.withSftp(ctx, async (sftp, connection) => {
      const attrs = await this.call<Stats>(connection, ctx, (done) => sftp.lstat(path, done));
      if (fileType(attrs.mode) !== 'directory') {
        await this.call(connection, ctx, (done) => sftp.unlink(path, done));
        return false;
      }
      if (!options.recursive) {
        await this.call(connection, ctx, (done) => sftp.rmdir(path, done)).catch((e: unknown) => {
          if (isOcmError(e, 'failed')) throw new OcmError('conflict', `${path} on node "${this.nodeId}" is a directory that is not empty. Remove its contents first or remove recursively.`, { nodeId: this.nodeId, path });
          throw e;
        });
        return false;
      }
      return true;
    });
    if (isDirectory) {
      // One `rm -rf` beats thousands of SFTP round trips.
      const result = await this.exec(`rm -rf -- ${shellQuote(path)}`, { ...options, timeoutMs: options.timeoutMs ?? this.settings.execTimeoutMs });
      if (result.exitCode !== 0) throw new OcmError(/ermission denied/.test(result.stderr) ? 'permission' : 'failed', `Removing ${path} on node "${this.nodeId}" failed: ${result.stderr.trim()}. Check the permissions inside it.`, { nodeId: this.nodeId, path });
    }
  }

  async mkdir(path: string, options: OpOptions & { recursive?: boolean; mode?: number } = {}): Promise<void> {
    const ctx = this.ctx('mkdir', path, options, this.settings.opTimeoutMs);
    const attrs = { mode: options.mode ?? 0o755 };
    await this.withSftp(ctx, async (sftp, connection) => {
      const make = (dir: string): Promise<void> => this.call<void>(connection, { ...ctx, path: dir }, (done) => sftp.mkdir(dir, attrs, (err) => done(err)));
      if (!options.recursive) {
        await make(path).catch(async (e: unknown) => {
          if (isOcmError(e, 'failed') && (await this.statExists(sftp, connection, ctx, path)) !== false) {
            throw new OcmError('exists', `${path} already exists on node "${this.nodeId}".`, { nodeId: this.nodeId, path });
          }
          throw e;
        });
        return;
      }
      // Walk down from the deepest existing ancestor.
      const missing: string[] = [];
      let dir = posix.normalize(path);
      while (dir !== '/' && dir !== '.') {
        const exists = await this.statExists(sftp, connection, ctx, dir);
        if (exists === 'directory' || exists === true) {
          if (exists === true) throw new OcmError('exists', `${dir} on node "${this.nodeId}" exists and is not a directory.`, { nodeId: this.nodeId, path: dir });
          break;
        }
        missing.unshift(dir);
        dir = posix.dirname(dir);
      }
      for (const d of missing) {
        await make(d).catch(async (e: unknown) => {
          if ((await this.statExists(sftp, connection, ctx, d)) === 'directory') return; // made concurrently
          throw e;
        });
      }
    });
  }

  async connectTcp(port: number, options: OpOptions & { host?: string } = {}): Promise<NodeJS.ReadWriteStream & { destroy(): void }> {
    const host = options.host ?? '127.0.0.1';
    const ctx = this.ctx(`connect to ${host}:${port}`, undefined, options, this.settings.opTimeoutMs);
    return this.withConnection(options.signal, (connection) =>
      guard<ClientChannel>(
        connection,
        ctx,
        (done, isAbandoned) =>
          connection.client.forwardOut('127.0.0.1', 0, host, port, (err, channel) => {
            if (err) return done(err);
            if (isAbandoned()) return void channel.close();
            // The caller owns the stream; it dies with the connection.
            connection.onClose(() => channel.destroy());
            done(undefined, channel);
          }),
        { mapError: channelError },
      ),
    );
  }

  async close(): Promise<void> {
    await this.pool.closeNode(this.target);
  }

  // ---- helpers ----

  /** Opens `path`, runs `work` with the handle, closes it (also on failure). */
  private async withHandle<T>(sftp: SFTPWrapper, connection: NodeConnection, ctx: GuardContext, path: string, flags: OpenMode, mode: number | undefined, work: (handle: Buffer) => Promise<T>): Promise<T> {
    const handle = await this.call<Buffer>(connection, { ...ctx, path }, (done) => (mode === undefined ? sftp.open(path, flags, done) : sftp.open(path, flags, { mode }, done)));
    let result: T;
    try {
      result = await work(handle);
    } catch (e) {
      if (!connection.closed) await this.call(connection, { ...ctx, signal: undefined, timeoutMs: 5000 } as GuardContext, (done) => sftp.close(handle, done)).catch(() => undefined);
      throw e;
    }
    const closing = this.call(connection, { ...ctx, path }, (done) => sftp.close(handle, done));
    if (flags === 'r') {
      // Nothing to lose on a read handle: don't spend a round trip waiting for its close.
      closing.catch(() => undefined);
    } else {
      await closing;
    }
    return result;
  }

  /** `directory`, true (exists, not a directory) or false. */
  private async statExists(sftp: SFTPWrapper, connection: NodeConnection, ctx: GuardContext, path: string): Promise<'directory' | boolean> {
    try {
      const attrs = await this.call<Stats>(connection, { ...ctx, path }, (done) => sftp.stat(path, done));
      return fileType(attrs.mode) === 'directory' ? 'directory' : true;
    } catch (e) {
      if (isOcmError(e, 'notFound')) return false;
      throw e;
    }
  }
}

/** Ask the remote command to stop, then close the channel (sshd then tears down the session). */
function stopChannel(channel: ClientChannel | undefined): void {
  if (!channel) return;
  // Channel.signal() refuses once stdin is ended (always, for us): send the request directly.
  // OpenSSH killpg()s the session's process group, so `sh -c` children die too.
  const raw = channel as unknown as { outgoing?: { id: number; state: string }; _client?: { _protocol?: { signal(id: number, name: string): void } } };
  try {
    if (raw.outgoing && (raw.outgoing.state === 'open' || raw.outgoing.state === 'eof')) raw._client?._protocol?.signal(raw.outgoing.id, 'KILL');
  } catch {
    // Channel already closing.
  }
  try {
    channel.close();
  } catch {
    // Already closed.
  }
}

function writeWithBackpressure(destination: Writable, chunk: Buffer, ctx: GuardContext): Promise<void> | void {
  if (destination.destroyed) throw new OcmError('cancelled', `The destination of ${ctx.path} was closed before the download finished.`, { nodeId: ctx.nodeId });
  if (destination.write(chunk)) return;
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      destination.off('drain', onDrain);
      destination.off('error', onError);
      destination.off('close', onClose);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(new OcmError('failed', `Writing the download of ${ctx.path} failed here: ${e.message}. Check the local disk.`, { nodeId: ctx.nodeId }, { cause: e }));
    };
    const onClose = (): void => {
      cleanup();
      reject(new OcmError('cancelled', `The destination of ${ctx.path} was closed before the download finished.`, { nodeId: ctx.nodeId }));
    };
    destination.on('drain', onDrain);
    destination.on('error', onError);
    destination.on('close', onClose);
  });
}

function endWritable(destination: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    destination.once('error', reject);
    destination.end(() => {
      destination.off('error', reject);
      resolve();
    });
  });
}

