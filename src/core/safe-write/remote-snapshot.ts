import { isOcmError, OcmError } from '../errors';
import { sha256Hex } from '../history/store';
import { DEFAULT_MAX_READ_BYTES, readFileBounded } from '../transport/read-bounded';
import type { FileStat, Transport } from '../transport/types';

/** The exact bytes of a remote file at one moment, with its stat and hash. */
export interface RemoteSnapshot {
  content: Buffer;
  sha256: string;
  stat: FileStat;
}

export interface SnapshotOptions {
  /** Largest file read (default DEFAULT_MAX_READ_BYTES, 64 MiB); larger ones fail with invalidInput. */
  maxBytes?: number;
  /** Appended to the too-large message: how the caller's user can raise the limit. */
  raiseHint?: string;
}

/**
 * Reads a remote file and the stat that goes with those bytes; undefined when it does not exist.
 * If the file changes between stat and read (an agent writing it), it is read again so the stat
 * and the bytes describe the same version. Only regular files up to `maxBytes` are read (a
 * symlink to /dev/zero or a multi-GB log would otherwise be read into memory without end).
 */
export async function snapshotRemote(
  transport: Transport,
  remotePath: string,
  signal?: AbortSignal,
  options: SnapshotOptions = {},
): Promise<RemoteSnapshot | undefined> {
  const opts = signal ? { signal } : {};
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_READ_BYTES;
  let last: RemoteSnapshot | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = await transport.statOrUndefined(remotePath, opts);
    if (!before) return undefined;
    if (before.type === 'directory') {
      throw new OcmError('invalidInput', `${remotePath} on ${transport.nodeId} is a folder, not a file. Choose a file.`, {
        nodeId: transport.nodeId,
        remotePath,
      });
    }
    let content: Buffer;
    try {
      content = await readFileBounded(transport, remotePath, maxBytes, {
        ...opts,
        stat: before,
        ...(options.raiseHint ? { raiseHint: options.raiseHint } : {}),
      });
    } catch (e) {
      if (isOcmError(e, 'notFound')) return undefined; // deleted between stat and read
      throw e;
    }
    const after = (await transport.statOrUndefined(remotePath, opts)) ?? before;
    last = { content, sha256: sha256Hex(content), stat: after };
    if (after.size === content.length && after.mtimeMs === before.mtimeMs && after.size === before.size) return last;
  }
  return last;
}
