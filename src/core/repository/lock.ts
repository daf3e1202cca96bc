import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { OcmError } from '../errors';

/**
 * Repository locks, so two writers never corrupt it: a backup holds a shared lock for its whole
 * run (many backups may run at once: everything they write has a unique name), prune and repair
 * an exclusive one (they delete, so nothing else may be running). A lock is a file in `locks/`
 * with its holder's pid, host and purpose, touched every minute while held; it is stale when its
 * process is gone (same host) or it has not been touched for 30 minutes. Stale locks are removed
 * with a warning; `ocm check` reports them.
 */

export interface LockInfo {
  pid: number;
  host: string;
  createdAt: string;
  exclusive: boolean;
  purpose: string;
}

export interface HeldLock {
  readonly file: string;
  release(): Promise<void>;
}

const STALE_MS = 30 * 60_000;
const REFRESH_MS = 60_000;

export function locksDir(repoRoot: string): string {
  return join(repoRoot, 'locks');
}

export async function listLocks(repoRoot: string): Promise<Array<LockInfo & { file: string; stale: boolean; mtimeMs: number }>> {
  const dir = locksDir(repoRoot);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: Array<LockInfo & { file: string; stale: boolean; mtimeMs: number }> = [];
  for (const name of names.filter((n) => n.endsWith('.lock'))) {
    const file = join(dir, name);
    try {
      const [text, st] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
      const info = JSON.parse(text) as LockInfo;
      out.push({ ...info, file, mtimeMs: st.mtimeMs, stale: isStale(info, st.mtimeMs) });
    } catch {
      // Being written or removed right now: a lock without readable content counts when fresh.
      const st = await fs.stat(file).catch(() => undefined);
      if (st)
        out.push({
          pid: 0,
          host: '?',
          createdAt: '',
          exclusive: true,
          purpose: 'unknown',
          file,
          mtimeMs: st.mtimeMs,
          stale: Date.now() - st.mtimeMs > STALE_MS,
        });
    }
  }
  return out;
}

function isStale(info: LockInfo, mtimeMs: number): boolean {
  if (Date.now() - mtimeMs > STALE_MS) return true;
  if (info.host === hostname() && info.pid > 0) {
    try {
      process.kill(info.pid, 0);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
  return false;
}

/**
 * Takes a lock, waiting up to `waitMs` for conflicting holders. Stale locks are removed (and
 * reported through `onStale`).
 */
export async function acquireLock(
  repoRoot: string,
  options: { exclusive: boolean; purpose: string; waitMs?: number; signal?: AbortSignal; onStale?: (lock: LockInfo) => void },
): Promise<HeldLock> {
  const dir = locksDir(repoRoot);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const info: LockInfo = { pid: process.pid, host: hostname(), createdAt: new Date().toISOString(), exclusive: options.exclusive, purpose: options.purpose };
  const deadline = Date.now() + (options.waitMs ?? 60_000);
  for (;;) {
    const file = join(dir, `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}.lock`);
    await fs.writeFile(file, JSON.stringify(info), { mode: 0o600, flag: 'wx' });
    const others = (await listLocks(repoRoot)).filter((l) => l.file !== file);
    for (const s of others.filter((l) => l.stale)) {
      await fs.rm(s.file, { force: true });
      options.onStale?.(s);
    }
    const blocking = others.filter((l) => !l.stale && (options.exclusive || l.exclusive));
    if (blocking.length === 0) return holdLock(file);
    await fs.rm(file, { force: true });
    if (options.signal?.aborted) throw new OcmError('cancelled', 'Cancelled while waiting for the backup repository lock.');
    if (Date.now() > deadline) {
      const b = blocking[0];
      throw new OcmError(
        'conflict',
        `The backup repository is busy: ${b.purpose} (pid ${b.pid} on ${b.host}, since ${b.createdAt}) holds ${b.exclusive ? 'an exclusive' : 'a'} lock. Retry when it has finished; a lock whose process is gone is removed automatically (or after 30 minutes).`,
        { lock: b.file, pid: b.pid, host: b.host },
      );
    }
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 400));
  }
}

function holdLock(file: string): HeldLock {
  const timer = setInterval(() => {
    const now = new Date();
    fs.utimes(file, now, now).catch(() => undefined);
  }, REFRESH_MS);
  timer.unref();
  let released = false;
  return {
    file,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await fs.rm(file, { force: true });
    },
  };
}

/** Runs `fn` under a lock. */
export async function withLock<T>(repoRoot: string, options: Parameters<typeof acquireLock>[1], fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(repoRoot, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
