import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs, type Stats } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OcmError, type OcmErrorKind } from '../errors';
import { envPrefix } from './shell-quote';
import { BoundedBuffer } from './bounded-buffer';
import type { DirEntry, ExecOptions, ExecResult, ExecStream, ExecStreamOptions, FileStat, OpOptions, Transport, WriteOptions } from './types';

const DEFAULT_EXEC_TIMEOUT_MS = 120_000;
const DEFAULT_FS_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/** Time a process group gets between SIGTERM and SIGKILL when we stop it. */
const KILL_GRACE_MS = 1_000;

export interface LocalTransportOptions {
  /** Node id used in messages (default `local`). */
  nodeId?: string;
  /** Default timeout for exec/execStream (ms). */
  execTimeoutMs?: number;
  /** Default timeout for file operations (ms). */
  fsTimeoutMs?: number;
}

/**
 * Transport for a node that is this machine: commands through `/bin/sh -c`, files through node:fs.
 * Behaves like the SSH transport (same error kinds, atomic writes that keep mode and owner), so
 * everything above it can be tested without sshd and a `host: local` node needs no SSH server.
 */
export class LocalTransport implements Transport {
  readonly nodeId: string;
  readonly kind = 'local' as const;
  private readonly execTimeoutMs: number;
  private readonly fsTimeoutMs: number;

  constructor(options: LocalTransportOptions = {}) {
    this.nodeId = options.nodeId ?? 'local';
    this.execTimeoutMs = options.execTimeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
    this.fsTimeoutMs = options.fsTimeoutMs ?? DEFAULT_FS_TIMEOUT_MS;
  }

  // ---------------------------------------------------------------- commands

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    throwIfAborted(options.signal, this.nodeId, command);
    const started = Date.now();
    const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const child = spawnShell(envPrefix(options.env) + command);
    const stdout = new BoundedBuffer(maxBytes);
    const stderr = new BoundedBuffer(maxBytes);
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    feedStdin(child, options.stdin);

    const stop = watchProcess(child, {
      timeoutMs: options.timeoutMs ?? this.execTimeoutMs,
      signal: options.signal,
    });
    try {
      const { code, signal } = await stop.exited;
      const reason = stop.reason();
      if (reason) throw this.stoppedError(reason, command, options.timeoutMs ?? this.execTimeoutMs);
      const result: ExecResult = {
        exitCode: code,
        stdout: stdout.text(),
        stderr: stderr.text(),
        durationMs: Date.now() - started,
      };
      if (signal) result.signal = signal;
      if (stdout.truncated || stderr.truncated) result.truncated = true;
      return result;
    } finally {
      stop.dispose();
    }
  }

  async execStream(command: string, options: ExecStreamOptions = {}): Promise<ExecStream> {
    throwIfAborted(options.signal, this.nodeId, command);
    const child = spawnShell(envPrefix(options.env) + command);
    const stderr = new BoundedBuffer(DEFAULT_MAX_OUTPUT_BYTES);
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    if (options.stdin instanceof Readable) {
      options.stdin.on('error', () => child.stdin!.destroy());
      child.stdin!.on('error', () => undefined); // EPIPE when the command exits early
      options.stdin.pipe(child.stdin!);
    } else {
      feedStdin(child, options.stdin);
    }
    const timeoutMs = options.timeoutMs ?? this.execTimeoutMs;
    const stop = watchProcess(child, { timeoutMs, signal: options.signal });
    const done = stop.exited.then(({ code, signal }) => {
      stop.dispose();
      const reason = stop.reason();
      if (reason && reason !== 'cancelledByCaller') throw this.stoppedError(reason, command, timeoutMs);
      const out: { exitCode: number | null; signal?: string; stderr: string } = { exitCode: code, stderr: stderr.text() };
      if (signal) out.signal = signal;
      return out;
    });
    // Avoid an unhandled rejection when the caller only reads stdout and never awaits `done`.
    done.catch(() => undefined);
    return {
      stdout: child.stdout!,
      done,
      cancel: () => stop.kill('cancelledByCaller'),
    };
  }

  private stoppedError(reason: StopReason, command: string, timeoutMs: number): OcmError {
    const short = command.length > 120 ? `${command.slice(0, 117)}...` : command;
    if (reason === 'timeout') {
      return new OcmError(
        'timeout',
        `Command on ${this.nodeId} did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped: ${short}. Retry with a longer timeout or check what blocks it.`,
        { nodeId: this.nodeId, timeoutMs },
      );
    }
    return new OcmError('cancelled', `Command on ${this.nodeId} was cancelled: ${short}.`, { nodeId: this.nodeId });
  }

  // ---------------------------------------------------------------- files

  async stat(path: string, options: OpOptions = {}): Promise<FileStat> {
    return this.guard('stat', path, options, async () => toFileStat(await statFollowing(path)));
  }

  async statOrUndefined(path: string, options: OpOptions = {}): Promise<FileStat | undefined> {
    try {
      return await this.stat(path, options);
    } catch (e) {
      if (e instanceof OcmError && e.kind === 'notFound') return undefined;
      throw e;
    }
  }

  async readdir(path: string, options: OpOptions = {}): Promise<DirEntry[]> {
    return this.guard('list', path, options, async () => {
      const dirents = await fs.readdir(path, { withFileTypes: true });
      const entries = await Promise.all(
        dirents.map(async (dirent): Promise<DirEntry | undefined> => {
          try {
            const st = await fs.lstat(join(path, dirent.name));
            return { name: dirent.name, type: typeOf(st), size: st.size, mtimeMs: Math.floor(st.mtimeMs), mode: st.mode & 0o7777 };
          } catch {
            return undefined; // removed between readdir and lstat
          }
        }),
      );
      return entries.filter((e): e is DirEntry => e !== undefined);
    });
  }

  async readFile(path: string, options: OpOptions = {}): Promise<Buffer> {
    return this.guard('read', path, options, () => fs.readFile(path, options.signal ? { signal: options.signal } : {}));
  }

  async writeFileAtomic(path: string, data: Uint8Array, options: WriteOptions = {}): Promise<void> {
    return this.guard('write', path, options, async () => {
      // Write through a symlink to its target, as an in-place editor would; renaming over the link
      // itself would replace the link with a plain file.
      const target = await realTarget(path);
      const existing = await fs.stat(target).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return undefined;
        throw e;
      });
      if (existing && options.exclusive) throw fsError({ code: 'EEXIST' }, 'write', path, this.nodeId);
      if (!existing && options.mustExist) throw fsError({ code: 'ENOENT' }, 'write', path, this.nodeId);
      if (existing && !existing.isFile()) {
        throw new OcmError('invalidInput', `Cannot write ${path} on ${this.nodeId}: it is not a regular file. Choose a file path.`, {
          nodeId: this.nodeId,
          path,
        });
      }

      const mode = existing ? existing.mode & 0o7777 : (options.mode ?? 0o644);
      const temp = join(dirname(target), `.${basename(target)}.ocm-${randomBytes(6).toString('hex')}.tmp`);
      const handle = await fs.open(temp, 'wx', 0o600);
      let committed = false;
      try {
        try {
          await handle.writeFile(data);
          // open() applies the umask; set the exact bits (and owner) before the file becomes visible.
          await handle.chmod(mode);
          if (existing) await keepOwner(handle, existing);
          await handle.sync();
        } finally {
          await handle.close();
        }
        options.signal?.throwIfAborted();
        if (options.exclusive) {
          // link() fails with EEXIST if someone created the file meanwhile: no silent overwrite.
          await fs.link(temp, target);
          await fs.unlink(temp);
        } else {
          await fs.rename(temp, target);
        }
        committed = true;
        await syncDirectory(dirname(target));
      } finally {
        if (!committed) await fs.rm(temp, { force: true }).catch(() => undefined);
      }
    });
  }

  async rename(from: string, to: string, options: OpOptions & { overwrite?: boolean } = {}): Promise<void> {
    return this.guard('rename', from, options, async () => {
      await fs.lstat(from); // a missing source is reported as such, before any target check
      if (!options.overwrite) {
        const there = await fs.lstat(to).catch(() => undefined);
        if (there) throw fsError({ code: 'EEXIST' }, 'rename', to, this.nodeId);
      }
      try {
        await fs.rename(from, to);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        // Name the path that is actually missing.
        if (err.code === 'ENOENT' && (await fs.lstat(from).catch(() => undefined))) throw fsError(err, 'rename', dirname(to), this.nodeId);
        throw err;
      }
    });
  }

  async remove(path: string, options: OpOptions & { recursive?: boolean } = {}): Promise<void> {
    return this.guard('remove', path, options, async () => {
      const st = await fs.lstat(path);
      if (st.isDirectory()) {
        if (options.recursive) await fs.rm(path, { recursive: true, force: false });
        else await fs.rmdir(path);
      } else {
        await fs.unlink(path);
      }
    });
  }

  async mkdir(path: string, options: OpOptions & { recursive?: boolean; mode?: number } = {}): Promise<void> {
    return this.guard('mkdir', path, options, async () => {
      await fs.mkdir(path, { recursive: Boolean(options.recursive), mode: options.mode ?? 0o755 });
    });
  }

  async download(remotePath: string, destination: Writable, options: OpOptions = {}): Promise<void> {
    return this.guard('read', remotePath, { ...options, timeoutMs: options.timeoutMs ?? 0 }, async () => {
      await fs.access(remotePath); // a clear notFound before any bytes move
      await pipeline(createReadStream(remotePath), destination, options.signal ? { signal: options.signal } : {});
    });
  }

  async upload(source: Readable, remotePath: string, options: OpOptions & { mode?: number } = {}): Promise<void> {
    return this.guard('write', remotePath, { ...options, timeoutMs: options.timeoutMs ?? 0 }, async () => {
      await pipeline(source, createWriteStream(remotePath, { mode: options.mode ?? 0o644 }), options.signal ? { signal: options.signal } : {});
    });
  }

  async connectTcp(port: number, options: OpOptions & { host?: string } = {}): Promise<Socket> {
    const host = options.host ?? '127.0.0.1';
    throwIfAborted(options.signal, this.nodeId, `connect ${host}:${port}`);
    const timeoutMs = options.timeoutMs ?? this.fsTimeoutMs;
    return new Promise<Socket>((resolve, reject) => {
      const socket = netConnect({ host, port });
      const fail = (err: OcmError): void => {
        cleanup();
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(
        () =>
          fail(
            new OcmError('timeout', `Connecting to ${host}:${port} on ${this.nodeId} timed out after ${timeoutMs} ms. Check that the service listens there.`, {
              nodeId: this.nodeId,
              port,
            }),
          ),
        timeoutMs,
      );
      const onAbort = (): void =>
        fail(new OcmError('cancelled', `Connecting to ${host}:${port} on ${this.nodeId} was cancelled.`, { nodeId: this.nodeId, port }));
      const onError = (e: NodeJS.ErrnoException): void =>
        fail(
          new OcmError(
            'unreachable',
            `Cannot connect to ${host}:${port} on ${this.nodeId} (${e.code ?? e.message}). Check that the service is running and listening on that port.`,
            { nodeId: this.nodeId, port, code: e.code },
          ),
        );
      const cleanup = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        socket.off('error', onError);
        socket.off('connect', onConnect);
      };
      const onConnect = (): void => {
        cleanup();
        resolve(socket);
      };
      socket.once('connect', onConnect);
      socket.once('error', onError);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async close(): Promise<void> {
    // Nothing pooled: every command is its own process.
  }

  /**
   * Runs one file operation with the transport's timeout and the caller's AbortSignal, mapping
   * node:fs errors to OcmErrors that name the path. A timeout of 0 means none (streams).
   */
  private async guard<T>(op: FsOp, path: string, options: OpOptions, work: () => Promise<T>): Promise<T> {
    throwIfAborted(options.signal, this.nodeId, `${op} ${path}`);
    const timeoutMs = options.timeoutMs ?? this.fsTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const limits = new Promise<never>((_, reject) => {
      if (timeoutMs > 0) {
        timer = setTimeout(
          () =>
            reject(
              new OcmError('timeout', `${opVerb(op)} ${path} on ${this.nodeId} took longer than ${timeoutMs} ms. Check the disk or retry.`, {
                nodeId: this.nodeId,
                path,
              }),
            ),
          timeoutMs,
        );
      }
      if (options.signal) {
        onAbort = () => reject(new OcmError('cancelled', `${opVerb(op)} ${path} on ${this.nodeId} was cancelled.`, { nodeId: this.nodeId, path }));
        options.signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    limits.catch(() => undefined);
    try {
      return await Promise.race([work(), limits]);
    } catch (e) {
      if (e instanceof OcmError) throw e;
      const err = e as NodeJS.ErrnoException;
      if (err.name === 'AbortError' || err.code === 'ABORT_ERR') {
        throw new OcmError('cancelled', `${opVerb(op)} ${path} on ${this.nodeId} was cancelled.`, { nodeId: this.nodeId, path });
      }
      throw fsError(err, op, err.path && op !== 'rename' ? String(err.path) : path, this.nodeId);
    } finally {
      if (timer) clearTimeout(timer);
      if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    }
  }
}

// ------------------------------------------------------------------ helpers

type FsOp = 'stat' | 'list' | 'read' | 'write' | 'rename' | 'remove' | 'mkdir';

function opVerb(op: FsOp): string {
  return {
    stat: 'Reading the status of',
    list: 'Listing',
    read: 'Reading',
    write: 'Writing',
    rename: 'Renaming',
    remove: 'Removing',
    mkdir: 'Creating folder',
  }[op];
}

/** Maps a node:fs error code to an OcmError whose message names the path and says what to do. */
export function fsError(err: { code?: string; message?: string }, op: FsOp, path: string, nodeId: string): OcmError {
  const details = { nodeId, path, code: err.code };
  const what = `${opVerb(op)} ${path} on ${nodeId}`;
  const table: Record<string, [OcmErrorKind, string]> = {
    ENOENT: ['notFound', `${what} failed: it does not exist. Check the path (or create the file/folder first).`],
    ENOTDIR: ['notFound', `${what} failed: a part of the path is not a folder. Check the path.`],
    EACCES: ['permission', `${what} failed: permission denied. Check the file's owner and mode, or connect as a user allowed to ${op} it.`],
    EPERM: ['permission', `${what} failed: operation not permitted. Check the file's owner and mode, or connect as a user allowed to ${op} it.`],
    EROFS: ['permission', `${what} failed: the file system is read-only.`],
    EEXIST: ['exists', `${what} failed: ${path} already exists. Choose another name or allow overwriting.`],
    ENOTEMPTY: ['invalidInput', `${what} failed: the folder is not empty. Remove it recursively if that is what you want.`],
    EISDIR: ['invalidInput', `${what} failed: it is a folder, not a file.`],
    ENOSPC: ['failed', `${what} failed: no space left on the device. Free some space and retry.`],
  };
  const hit = err.code ? table[err.code] : undefined;
  if (hit) return new OcmError(hit[0], hit[1], details, { cause: err });
  return new OcmError('failed', `${what} failed: ${err.message ?? err.code ?? 'unknown error'}.`, details, { cause: err });
}

function throwIfAborted(signal: AbortSignal | undefined, nodeId: string, what: string): void {
  if (signal?.aborted) throw new OcmError('cancelled', `Cancelled before it started on ${nodeId}: ${what}.`, { nodeId });
}

function typeOf(st: Stats): FileStat['type'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

function toFileStat(st: Stats): FileStat {
  return { type: typeOf(st), size: st.size, mtimeMs: Math.floor(st.mtimeMs), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

/** stat() that follows symlinks like SFTP's stat, but reports a dangling link as a symlink. */
async function statFollowing(path: string): Promise<Stats> {
  try {
    return await fs.stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      const link = await fs.lstat(path).catch(() => undefined);
      if (link?.isSymbolicLink()) return link;
    }
    throw e;
  }
}

/**
 * Where a write of `path` must land: `path` itself, or for a symlink its fully resolved target,
 * also when that target does not exist yet (a dangling link gets its target created, not replaced
 * by a plain file). Links in the folders above are resolved too.
 */
async function realTarget(path: string): Promise<string> {
  let current = path;
  for (let hops = 0; ; hops++) {
    const st = await fs.lstat(current).catch(() => undefined);
    if (!st?.isSymbolicLink()) break;
    if (hops >= 40) throw Object.assign(new Error(`too many levels of symbolic links at ${path}`), { code: 'ELOOP' });
    current = resolve(dirname(current), await fs.readlink(current));
  }
  if (current === path) return path;
  const dir = await fs.realpath(dirname(current)).catch(() => dirname(current));
  return join(dir, basename(current));
}

/** Gives the replacement file the old file's owner and group: root can; others may change the group. */
async function keepOwner(handle: fs.FileHandle, existing: Stats): Promise<void> {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const mine = await handle.stat();
  if (mine.uid === existing.uid && mine.gid === existing.gid) return;
  try {
    if (isRoot) await handle.chown(existing.uid, existing.gid);
    else if (mine.gid !== existing.gid) await handle.chown(mine.uid, existing.gid);
  } catch {
    // Not permitted (group we are not in): the file keeps our group; mode is still kept.
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // Makes the rename itself durable; some file systems refuse fsync on a directory, which is fine.
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* best effort */
  }
}

function spawnShell(commandLine: string): ChildProcess {
  // detached: the shell leads its own process group, so a timeout or cancel can stop the whole tree.
  return spawn('/bin/sh', ['-c', commandLine], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
}

function feedStdin(child: ChildProcess, stdin: string | Uint8Array | undefined): void {
  child.stdin!.on('error', () => undefined); // EPIPE when the command does not read its input
  if (stdin !== undefined) child.stdin!.end(stdin);
  else child.stdin!.end();
}

type StopReason = 'timeout' | 'cancelled' | 'cancelledByCaller';

interface ProcessWatch {
  exited: Promise<{ code: number | null; signal: string | null }>;
  reason(): StopReason | undefined;
  kill(reason: StopReason): void;
  dispose(): void;
}

/** Enforces the timeout and AbortSignal on a child: stops its whole process group, TERM then KILL. */
function watchProcess(child: ChildProcess, limits: { timeoutMs: number; signal: AbortSignal | undefined }): ProcessWatch {
  let reason: StopReason | undefined;
  let exitedFlag = false;
  let killTimer: NodeJS.Timeout | undefined;
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
    child.once('error', (e) => {
      exitedFlag = true;
      reject(new OcmError('failed', `Cannot start /bin/sh: ${e.message}. Check that /bin/sh exists.`, {}, { cause: e }));
    });
    child.once('close', (code, signal) => {
      exitedFlag = true;
      resolve({ code, signal });
    });
  });
  const killGroup = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {
        /* already gone */
      }
    }
  };
  const kill = (why: StopReason): void => {
    if (exitedFlag || reason) return;
    reason = why;
    killGroup('SIGTERM');
    killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    killTimer.unref();
  };
  const timer = limits.timeoutMs > 0 ? setTimeout(() => kill('timeout'), limits.timeoutMs) : undefined;
  const onAbort = (): void => kill('cancelled');
  limits.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    exited,
    reason: () => reason,
    kill,
    dispose: () => {
      if (timer) clearTimeout(timer);
      limits.signal?.removeEventListener('abort', onAbort);
      // A grandchild that ignored SIGTERM and kept the pipes open: make sure it goes.
      if (reason && killTimer) {
        clearTimeout(killTimer);
        killGroup('SIGKILL');
      }
    },
  };
}
