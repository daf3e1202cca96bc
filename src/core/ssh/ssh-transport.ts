/**
 * The Transport of nodes reached over SSH: the pooled connection, its exec sessions and SFTP
 * channel behind the one interface everything above the transport is written against.
 */
import { posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { ClientChannel, SFTPWrapper, Stats } from 'ssh2';
import { OcmError, isOcmError } from '../errors';
import { shellQuote } from '../transport/shell-quote';
import type { DirEntry, ExecOptions, ExecResult, ExecStream, ExecStreamOptions, FileStat, OpOptions, Transport, WriteOptions } from '../transport/types';
import { isTempNameOf, writeAtomically } from './atomic-write';
import type { ConnectTarget } from './connect-target';
import type { ConnectionSettings, NodeConnection } from './connection';
import { channelError, connectionLostError } from './error-map';
import { remoteCommand } from './remote-command';
import { fileType, sftpCall, statExists, toFileStat, withHandle } from './sftp-files';
import { guard, type GuardContext } from './sftp-guard';
import { readToEnd, writeAll } from './sftp-io';
import { execOnce, isChannelOpenFailure, loggable, openExecChannel, streamChannel } from './ssh-exec';
import { endWritable, writeWithBackpressure } from './transfer-streams';

/**
 * Where a transport gets its connections (the SshPool): named here, narrowly, because pool.ts
 * creates SshTransports and importing SshPool back would make an import circle.
 */
export interface ConnectionSource {
  readonly settings: ConnectionSettings & { execTimeoutMs: number; staleTempMs: number };
  acquire(target: ConnectTarget, signal?: AbortSignal): Promise<NodeConnection>;
  release(target: ConnectTarget, connection: NodeConnection): void;
  closeNode(target: ConnectTarget): Promise<void>;
}

/**
 * Transport over one pooled SSH connection per node: commands over exec channels (at most
 * MaxSessions − 2 at once), files over the connection's single SFTP channel. Every call settles:
 * result, mapped error, timeout, `disconnected` when the link drops, or `cancelled`.
 *
 * This class holds the pool, sessions and logging; the work is in small modules: ssh-exec.ts
 * (commands), remote-command.ts (what reaches the node's shell), sftp-files.ts (SFTP requests),
 * atomic-write.ts (writeFileAtomic) and transfer-streams.ts (the local end of downloads).
 */
export class SshTransport implements Transport {
  readonly kind = 'ssh' as const;
  readonly nodeId: string;

  constructor(
    private readonly pool: ConnectionSource,
    readonly target: ConnectTarget,
  ) {
    this.nodeId = target.nodeId;
  }

  private get settings(): ConnectionSource['settings'] {
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
              return await execOnce(connection, remote, options, ctx, started);
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
      this.settings.logger.debug(
        `ssh ${this.nodeId}: exec ${loggable(command, options.env)} → exit ${result.exitCode ?? result.signal} in ${result.durationMs} ms`,
      );
      return result;
    } catch (e) {
      this.settings.logger.debug(`ssh ${this.nodeId}: exec ${loggable(command, options.env)} failed after ${Date.now() - started} ms: ${(e as Error).message}`);
      throw e;
    }
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
      channel = await openExecChannel(connection, remote, openCtx);
    } catch (e) {
      release?.();
      this.pool.release(this.target, connection);
      throw e;
    }
    this.settings.logger.debug(`ssh ${this.nodeId}: exec (stream) ${loggable(command, options.env)}`);
    const releaseSession = release;
    return streamChannel(connection, channel, remote, options, ctx, (summary) => {
      releaseSession();
      this.pool.release(this.target, connection);
      this.settings.logger.debug(`ssh ${this.nodeId}: exec (stream) ${loggable(command, options.env)} → ${summary}`);
    });
  }

  // ---- files ----

  async stat(path: string, options: OpOptions = {}): Promise<FileStat> {
    const ctx = this.ctx('stat', path, options, this.settings.opTimeoutMs);
    return this.withSftp(ctx, async (sftp, connection) => toFileStat(await sftpCall<Stats>(connection, ctx, (done) => sftp.stat(path, done))));
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
      const list = await sftpCall<{ filename: string; attrs: Stats }[]>(connection, ctx, (done) => sftp.readdir(path, done));
      return list
        .filter((entry) => entry.filename !== '.' && entry.filename !== '..')
        .map((entry) => ({
          name: entry.filename,
          type: fileType(entry.attrs.mode),
          size: entry.attrs.size,
          mtimeMs: entry.attrs.mtime * 1000,
          mode: entry.attrs.mode & 0o7777,
        }));
    });
  }

  async readFile(path: string, options: OpOptions = {}): Promise<Buffer> {
    const ctx = this.ctx('read', path, options, this.settings.opTimeoutMs);
    return this.withSftp(ctx, async (sftp, connection) => {
      const chunks: Buffer[] = [];
      await withHandle(sftp, connection, ctx, path, 'r', undefined, (handle) => readToEnd(connection, sftp, handle, ctx, (chunk) => void chunks.push(chunk)));
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
        withHandle(sftp, connection, ctx, remotePath, 'r', undefined, (handle) =>
          readToEnd(connection, sftp, handle, ctx, (chunk) => {
            if (destinationError)
              throw new OcmError(
                'failed',
                `Writing the download of ${remotePath} failed here: ${destinationError.message}. Check the local disk.`,
                { nodeId: this.nodeId },
                { cause: destinationError },
              );
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
      withHandle(sftp, connection, ctx, remotePath, 'w', options.mode ?? 0o644, async (handle) => {
        try {
          await writeAll(connection, sftp, handle, ctx, source);
        } catch (e) {
          if (isOcmError(e)) throw e;
          // The source stream failed (its own error, not the node's).
          throw new OcmError(
            'failed',
            `Reading the data to upload to ${remotePath} failed: ${(e as Error).message}. ${remotePath} on node "${this.nodeId}" is incomplete; upload again.`,
            { nodeId: this.nodeId, path: remotePath },
            { cause: e },
          );
        }
      }),
    );
  }

  /** See atomic-write.ts: temp file beside the target, fsync, posix-rename; symlinks are written through. */
  async writeFileAtomic(path: string, data: Uint8Array, options: WriteOptions = {}): Promise<void> {
    const ctx = this.ctx('write', path, options, this.settings.opTimeoutMs);
    const started = Date.now();
    const node = { nodeId: this.nodeId, logger: this.settings.logger, leftBehind: (dest: string) => this.swept.delete(dest) };
    const dest = await this.withSftp(ctx, (sftp, connection) => writeAtomically(sftp, connection, ctx, path, data, options, node));
    this.settings.logger.debug(
      `ssh ${this.nodeId}: wrote ${path}${dest === path ? '' : ` (through the symlink, to ${dest})`} (${data.byteLength} bytes, atomic) in ${Date.now() - started} ms`,
    );
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
        await sftpCall(connection, ctx, (done) => sftp.ext_openssh_rename(from, to, done));
        return;
      }
      if ((await statExists(sftp, connection, ctx, to)) === true) {
        throw new OcmError('exists', `${to} already exists on node "${this.nodeId}". Remove it first or rename with overwrite.`, {
          nodeId: this.nodeId,
          path: to,
        });
      }
      await sftpCall(connection, ctx, (done) => sftp.rename(from, to, done));
    });
  }

  async remove(path: string, options: OpOptions & { recursive?: boolean } = {}): Promise<void> {
    const ctx = this.ctx('remove', path, options, this.settings.opTimeoutMs);
    const isDirectory = await this.withSftp(ctx, async (sftp, connection) => {
      const attrs = await sftpCall<Stats>(connection, ctx, (done) => sftp.lstat(path, done));
      if (fileType(attrs.mode) !== 'directory') {
        await sftpCall(connection, ctx, (done) => sftp.unlink(path, done));
        return false;
      }
      if (!options.recursive) {
        await sftpCall(connection, ctx, (done) => sftp.rmdir(path, done)).catch((e: unknown) => {
          if (isOcmError(e, 'failed'))
            throw new OcmError(
              'conflict',
              `${path} on node "${this.nodeId}" is a directory that is not empty. Remove its contents first or remove recursively.`,
              { nodeId: this.nodeId, path },
            );
          throw e;
        });
        return false;
      }
      return true;
    });
    if (isDirectory) {
      // One `rm -rf` beats thousands of SFTP round trips.
      const result = await this.exec(`rm -rf -- ${shellQuote(path)}`, { ...options, timeoutMs: options.timeoutMs ?? this.settings.execTimeoutMs });
      if (result.exitCode !== 0)
        throw new OcmError(
          /ermission denied/.test(result.stderr) ? 'permission' : 'failed',
          `Removing ${path} on node "${this.nodeId}" failed: ${result.stderr.trim()}. Check the permissions inside it.`,
          { nodeId: this.nodeId, path },
        );
    }
  }

  async mkdir(path: string, options: OpOptions & { recursive?: boolean; mode?: number } = {}): Promise<void> {
    const ctx = this.ctx('mkdir', path, options, this.settings.opTimeoutMs);
    const attrs = { mode: options.mode ?? 0o755 };
    await this.withSftp(ctx, async (sftp, connection) => {
      const make = (dir: string): Promise<void> => sftpCall<void>(connection, { ...ctx, path: dir }, (done) => sftp.mkdir(dir, attrs, (err) => done(err)));
      if (!options.recursive) {
        await make(path).catch(async (e: unknown) => {
          if (isOcmError(e, 'failed') && (await statExists(sftp, connection, ctx, path)) !== false) {
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
        const exists = await statExists(sftp, connection, ctx, dir);
        if (exists === 'directory' || exists === true) {
          if (exists === true)
            throw new OcmError('exists', `${dir} on node "${this.nodeId}" exists and is not a directory.`, { nodeId: this.nodeId, path: dir });
          break;
        }
        missing.unshift(dir);
        dir = posix.dirname(dir);
      }
      for (const d of missing) {
        await make(d).catch(async (e: unknown) => {
          if ((await statExists(sftp, connection, ctx, d)) === 'directory') return; // made concurrently
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
}
