import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a local file atomically: a temp file in the same folder, fsync, rename over the target.
 * A reader (or a crash) sees the old bytes or the new bytes, never a partial file; `durable` also
 * fsyncs the folder, so the new name itself survives a power cut (the backup repository needs it).
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array, mode = 0o600, options: { durable?: boolean } = {}): Promise<void> {
  const dir = dirname(target);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temp, target);
  } catch (e) {
    await fs.rm(temp, { force: true });
    throw e;
  }
  if (options.durable) await fsyncDir(dir);
}

/**
 * Puts a file's bytes on the disk (a file written through a stream, before its name or an index
 * that points at it is published).
 */
export async function fsyncFile(path: string): Promise<void> {
  const handle = await fs.open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename or create in `dir` survive a crash (the folder's entry list reaches the disk). */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (e) {
    // Some filesystems (and Windows) refuse to fsync a folder; the rename itself is still atomic.
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    await handle?.close();
  }
}
