import { Writable } from 'node:stream';
import { OcmError, isOcmError } from '../errors';
import type { FileStat, OpOptions, Transport } from './types';

/**
 * Reads a whole node file into memory, but never more than `maxBytes`: `Transport.readFile` reads
 * to EOF, so a symlink to /dev/zero or a multi-GB log would exhaust this process (and, in the
 * connection keeper, go on reading after the command gave up). Devices, FIFOs and sockets are
 * refused before a byte is read, a file larger than the limit is refused from its stat, and a
 * file that grows past the limit while it is read (or lies about its size, as /proc files do) is
 * cut off: the transfer is cancelled on the node as soon as the limit is passed.
 */

const MiB = 1024 * 1024;

/** What `ocm cat` and the editor read at most by default. */
export const DEFAULT_MAX_READ_BYTES = 64 * MiB;

export interface ReadBoundedOptions extends OpOptions {
  /**
   * The file's stat when the caller has just taken it (saves a round trip), or `'skip'` to read
   * without one (only the cap then protects, and a FIFO blocks until the timeout).
   */
  stat?: FileStat | 'skip';
  /** Appended to the too-large message: how to raise the limit where the caller has a way. */
  raiseHint?: string;
}

/** `1.5 MiB`, `64 MiB`, `812 bytes`. */
export function formatLimit(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < MiB) return `${Math.round((bytes / 1024) * 10) / 10} KiB`;
  if (bytes < 1024 * MiB) return `${Math.round((bytes / MiB) * 10) / 10} MiB`;
  return `${Math.round((bytes / (1024 * MiB)) * 10) / 10} GiB`;
}

export function tooLargeError(transport: Pick<Transport, 'nodeId'>, path: string, maxBytes: number, size: number | undefined, raiseHint?: string): OcmError {
  const how = size !== undefined ? `is ${formatLimit(size)}` : 'holds more than that';
  return new OcmError(
    'invalidInput',
    `${path} on ${transport.nodeId} ${how}, over the limit of ${formatLimit(maxBytes)} that ocm reads into memory at once. ${raiseHint ?? 'Look at it on the node instead (less, tail).'}`,
    { nodeId: transport.nodeId, path, maxBytes, ...(size !== undefined ? { size } : {}), tooLarge: true },
  );
}

export function notRegularError(transport: Pick<Transport, 'nodeId'>, path: string, type: FileStat['type']): OcmError {
  const what = type === 'directory' ? 'a folder' : 'not a regular file (a device, FIFO or socket)';
  return new OcmError('invalidInput', `${path} on ${transport.nodeId} is ${what}; ocm only reads regular files. Choose a file.`, {
    nodeId: transport.nodeId,
    path,
    type,
  });
}

/** True for the error readFileBounded throws when a file is over its limit. */
export function isTooLarge(e: unknown): e is OcmError {
  return isOcmError(e, 'invalidInput') && e.details.tooLarge === true;
}

/** Reads `path` (following symlinks) up to `maxBytes`; larger files and non-regular files fail with invalidInput. */
export async function readFileBounded(transport: Transport, path: string, maxBytes: number, options: ReadBoundedOptions = {}): Promise<Buffer> {
  const { stat: known, raiseHint, ...op } = options;
  const stat = known === 'skip' ? undefined : (known ?? (await transport.stat(path, op)));
  if (stat && stat.type !== 'file') throw notRegularError(transport, path, stat.type);
  if (stat && stat.size > maxBytes) throw tooLargeError(transport, path, maxBytes, stat.size, raiseHint);

  const stop = new AbortController();
  const signal = op.signal ? AbortSignal.any([op.signal, stop.signal]) : stop.signal;
  const chunks: Buffer[] = [];
  let total = 0;
  let over = false;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!over) {
        total += chunk.length;
        if (total > maxBytes) {
          over = true;
          chunks.length = 0;
          stop.abort();
        } else chunks.push(chunk);
      }
      done();
    },
  });
  try {
    await transport.download(path, sink, { ...op, signal });
  } catch (e) {
    if (over) throw tooLargeError(transport, path, maxBytes, undefined, raiseHint);
    throw e;
  }
  if (over) throw tooLargeError(transport, path, maxBytes, undefined, raiseHint);
  return Buffer.concat(chunks, total);
}
