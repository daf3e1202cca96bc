import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { OcmError } from './errors';

/**
 * One writer at a time for a file several ocm processes share (nodes.json, the trust store, a
 * backup repository): the CLI, the connection keeper and the extension may all read-modify-write
 * the same JSON file, and without a lock the last writer silently drops the others' changes.
 *
 *   await withFileLock(file, async () => { const data = await read(file); ...; await writeFileAtomic(file, ...); });
 *
 * Inside one process, callers for the same file queue on a promise chain. Across processes the
 * lock is a file `<file>.lock` created with O_EXCL, holding {pid, hostname, createdAt}. A lock
 * whose pid is dead on this host, or whose file was not touched for `staleMs` (its holder
 * touches it while it runs), is taken over. Waiting is bounded by `timeoutMs`, then the call
 * fails with a `timeout` OcmError naming the holder and the lock file. `fn` must not take the same
 * lock again (it would wait for itself). Re-read the file inside `fn`: what was read before the
 * lock may be stale.
 */

export interface FileLockOptions {
  /** How long to wait for another holder before failing. Default 10 s. */
  timeoutMs?: number;
  /** A lock file untouched this long is abandoned (its holder hung or died on another host). Default 30 s. */
  staleMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_STALE_MS = 30_000;

interface LockOwner {
  pid: number;
  hostname: string;
  createdAt: string;
  /** Random, so a holder only ever removes its own lock file. */
  token: string;
}

/** Tail of the in-process queue per lock file. */
const queues = new Map<string, Promise<void>>();

export function lockPathFor(file: string): string {
  return `${resolve(file)}.lock`;
}

export async function withFileLock<T>(file: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const lockPath = lockPathFor(file);
  const previous = queues.get(lockPath) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((r) => (done = r));
  const tail = previous.then(() => mine);
  queues.set(lockPath, tail);
  try {
    await previous;
    const release = await acquire(lockPath, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.staleMs ?? DEFAULT_STALE_MS);
    try {
      return await fn();
    } finally {
      await release();
    }
  } finally {
    done();
    if (queues.get(lockPath) === tail) queues.delete(lockPath);
  }
}

async function acquire(lockPath: string, timeoutMs: number, staleMs: number): Promise<() => Promise<void>> {
  await fs.mkdir(dirname(lockPath), { recursive: true, mode: 0o700 });
  const owner: LockOwner = { pid: process.pid, hostname: hostname(), createdAt: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  const text = JSON.stringify(owner) + '\n';
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    if (await tryCreate(lockPath, text)) break;
    if (await takeOverIfStale(lockPath, staleMs)) continue;
    if (Date.now() >= deadline) throw await busyError(lockPath, timeoutMs);
    await sleep(Math.min(delay + Math.random() * delay, Math.max(1, deadline - Date.now())));
    delay = Math.min(delay * 2, 100);
  }
  // Keep the lock fresh while fn runs, so a long holder is not mistaken for a hung one.
  const heartbeat = setInterval(
    () => {
      const now = new Date();
      void fs.utimes(lockPath, now, now).catch(() => undefined);
    },
    Math.max(50, Math.floor(staleMs / 3)),
  );
  heartbeat.unref();
  return async () => {
    clearInterval(heartbeat);
    // Only our own lock file: if it was taken over meanwhile (we hung past staleMs) it is not ours.
    if ((await readOwner(lockPath))?.token === owner.token) await fs.rm(lockPath, { force: true });
  };
}

async function tryCreate(lockPath: string, text: string): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(lockPath, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new OcmError(
      'failed',
      `Cannot create the lock file ${lockPath}: ${(e as Error).message}. Check the permissions of its folder.`,
      { lockPath },
      { cause: e },
    );
  }
  try {
    await handle.writeFile(text);
  } catch (e) {
    // An empty lock file would hold everyone off until it is stale: take it back.
    await handle.close().catch(() => undefined);
    await fs.rm(lockPath, { force: true });
    throw new OcmError(
      'failed',
      `Cannot write the lock file ${lockPath}: ${(e as Error).message}. Check the free space and permissions of its folder.`,
      { lockPath },
      { cause: e },
    );
  }
  await handle.close();
  return true;
}

/** Removes the lock file when its holder is gone; true when it was removed (or had vanished). */
async function takeOverIfStale(lockPath: string, staleMs: number): Promise<boolean> {
  let seen: { ino: number; mtimeMs: number };
  try {
    seen = await fs.stat(lockPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
  const owner = await readOwner(lockPath);
  const age = Date.now() - seen.mtimeMs;
  const dead = owner !== undefined && owner.hostname === hostname() && !pidAlive(owner.pid);
  // A half-written lock (its creator is between open and write) is young: wait for it.
  const abandoned = age > staleMs;
  if (!dead && !abandoned) return false;
  // Move it aside, then check it was the file judged stale: another process may have taken it
  // over and created a fresh lock in between, which must then be put back.
  const aside = `${lockPath}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await fs.rename(lockPath, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
  const moved = await fs.stat(aside);
  if (moved.ino !== seen.ino) {
    await fs.link(aside, lockPath).catch(() => undefined);
  }
  await fs.rm(aside, { force: true });
  return true;
}

async function readOwner(lockPath: string): Promise<LockOwner | undefined> {
  try {
    const parsed = JSON.parse(await fs.readFile(lockPath, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid === 'number' && typeof parsed.hostname === 'string') {
      return { pid: parsed.pid, hostname: parsed.hostname, createdAt: String(parsed.createdAt ?? ''), token: String(parsed.token ?? '') };
    }
  } catch {
    // missing or half-written
  }
  return undefined;
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function busyError(lockPath: string, timeoutMs: number): Promise<OcmError> {
  const owner = await readOwner(lockPath);
  const who = owner ? `process ${owner.pid} on ${owner.hostname} (since ${owner.createdAt})` : 'another process';
  return new OcmError(
    'timeout',
    `${lockPath} is held by ${who}; waited ${Math.round(timeoutMs / 1000)} s for it. Try again when that ocm command (or VS Code window) has finished; if no ocm process is running, delete ${lockPath}.`,
    { lockPath, ...(owner ? { pid: owner.pid, hostname: owner.hostname, createdAt: owner.createdAt } : {}) },
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
