import type { SFTPWrapper } from 'ssh2';
import type { NodeConnection } from './connection';
import { guard, type GuardContext } from './sftp-guard';

/**
 * Pipelined SFTP reads and writes: several requests in flight (one at a time is bound by the
 * round trip), each as large as OpenSSH allows (limits@openssh.com: 261,120 bytes; ssh2's
 * default 32 KB halves throughput). Each request is guarded, so a dead link fails the transfer.
 */
export const SFTP_CHUNK = 261_120;
const MAX_READS_IN_FLIGHT = 16;
const MAX_WRITES_IN_FLIGHT = 8;

const ignore = (): void => undefined;

/** Reads an open handle from offset 0 to EOF, handing chunks to `sink` in order. Returns the byte count. */
export async function readToEnd(
  connection: NodeConnection,
  sftp: SFTPWrapper,
  handle: Buffer,
  ctx: GuardContext,
  sink: (chunk: Buffer) => void | Promise<void>,
): Promise<number> {
  const readAt = (offset: number, length: number): { offset: number; length: number; data: Promise<Buffer> } => {
    const data = guard<Buffer>(connection, ctx, (done) => {
      const buffer = Buffer.allocUnsafe(length);
      sftp.read(handle, buffer, 0, length, offset, (err, bytesRead) => done(err, err ? undefined : buffer.subarray(0, bytesRead)));
    });
    data.catch(ignore); // awaited in order below; later ones may be abandoned after an error or EOF
    return { offset, length, data };
  };
  const queue: { offset: number; length: number; data: Promise<Buffer> }[] = [];
  let nextOffset = 0;
  let window = 2; // small files finish in one round; large ones open up to MAX_READS_IN_FLIGHT
  let total = 0;
  const fill = (): void => {
    while (queue.length < window) {
      queue.push(readAt(nextOffset, SFTP_CHUNK));
      nextOffset += SFTP_CHUNK;
    }
  };
  fill();
  while (queue.length > 0) {
    const request = queue.shift()!;
    const data = await request.data;
    if (data.length === 0) break; // EOF: requests still queued lie beyond it
    total += data.length;
    await sink(data);
    if (data.length < request.length) {
      // A short read: fetch the rest of this range before anything after it (usually EOF).
      queue.unshift(readAt(request.offset + data.length, request.length - data.length));
    } else {
      window = Math.min(MAX_READS_IN_FLIGHT, window * 2);
    }
    fill();
  }
  return total;
}

/** Writes `source` to an open handle from offset 0, several chunks in flight. Returns the byte count. */
export async function writeAll(
  connection: NodeConnection,
  sftp: SFTPWrapper,
  handle: Buffer,
  ctx: GuardContext,
  source: Uint8Array | AsyncIterable<Uint8Array | string>,
): Promise<number> {
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let position = 0;
  const writeChunk = async (chunk: Buffer): Promise<void> => {
    const offset = position;
    position += chunk.length;
    const p = guard<void>(connection, ctx, (done) => sftp.write(handle, chunk, 0, chunk.length, offset, (err) => done(err)));
    const tracked = p.then(
      () => void inFlight.delete(tracked),
      (e: unknown) => {
        inFlight.delete(tracked);
        failure ??= e;
      },
    );
    inFlight.add(tracked);
    while (inFlight.size >= MAX_WRITES_IN_FLIGHT) await Promise.race(inFlight);
    if (failure) throw failure;
  };
  if (source instanceof Uint8Array) {
    const buffer = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    for (let offset = 0; offset < buffer.length; offset += SFTP_CHUNK) await writeChunk(buffer.subarray(offset, offset + SFTP_CHUNK));
  } else {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const piece of source) {
      const chunk = typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      pending.push(chunk);
      pendingBytes += chunk.length;
      while (pendingBytes >= SFTP_CHUNK) {
        const joined = Buffer.concat(pending);
        await writeChunk(joined.subarray(0, SFTP_CHUNK));
        pending = [joined.subarray(SFTP_CHUNK)];
        pendingBytes = pending[0]!.length;
      }
    }
    if (pendingBytes > 0) await writeChunk(Buffer.concat(pending));
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  return position;
}
