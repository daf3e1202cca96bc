import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';

/**
 * gzip on several threads: the input is cut into blocks that are compressed concurrently on
 * libuv's thread pool and emitted in order as consecutive gzip members (RFC 1952 allows several;
 * gunzip, GNU tar and node-tar — hence `openclaw backup verify` — read them as one stream).
 * Single-threaded zlib level 1 manages ~60 MB/s here, which made gzip the bottleneck of a backup.
 * Memory stays bounded: at most `concurrency` blocks are in flight.
 *
 * Blocks that do not compress (SQLite pages full of random ids, images, already compressed
 * files) are not run through deflate at all: a few small samples of each block are deflated
 * first, and when they save less than `storeBelowSaving` the block is written as *stored*
 * deflate blocks (RFC 1951 BTYPE 00: the bytes verbatim, 5 bytes of framing per 64 KiB) with
 * the gzip CRC-32 — still plain gzip that every reader accepts, at the cost of a memory copy.
 */
export class ParallelGzip extends Transform {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private readonly inFlight: Array<Promise<Buffer>> = [];
  /** Block buffers reused once their job is done: fewer large allocations, fewer GCs forced by external memory. */
  private readonly pool: Buffer[] = [];
  /** Blocks written as stored members / compressed members (for tests and benchmarks). */
  storedBlocks = 0;
  deflatedBlocks = 0;

  constructor(
    private readonly level = 1,
    private readonly blockBytes = 1024 * 1024,
    private readonly concurrency = Math.max(2, Math.min(4, availableParallelism())),
    /** A block is stored when its samples deflate to more than (1 - this) of their size. */
    private readonly storeBelowSaving = 0.1,
  ) {
    // Take whole chunks without a drain wait after each one (blocks are cut at blockBytes anyway).
    super({ writableHighWaterMark: 256 * 1024 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes < this.blockBytes) return callback();
    this.startBlock();
    this.drainTo(this.concurrency - 1).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.bufferedBytes > 0) this.startBlock();
    this.drainTo(0).then(() => callback(), callback);
  }

  private startBlock(): void {
    let buffer = this.pool.pop();
    if (!buffer || buffer.length < this.bufferedBytes) buffer = Buffer.allocUnsafeSlow(Math.max(this.blockBytes, this.bufferedBytes));
    let at = 0;
    for (const chunk of this.buffered) at += chunk.copy(buffer, at);
    const block = buffer.subarray(0, at);
    this.buffered = [];
    this.bufferedBytes = 0;
    let job: Promise<Buffer>;
    if (this.level > 0 && !incompressible(block, this.storeBelowSaving)) {
      this.deflatedBlocks++;
      // Output chunks of a quarter block: typically one per member (zlib's default 16 KiB means many small buffers and a concat).
      const chunkSize = Math.max(64 * 1024, Math.ceil(block.length / 4));
      job = new Promise<Buffer>((resolve, reject) => zlib.gzip(block, { level: this.level, chunkSize }, (err, out) => (err ? reject(err) : resolve(out))));
    } else {
      this.storedBlocks++;
      job = storedMember(block);
    }
    const reuse = (): void => {
      if (this.pool.length < this.concurrency + 1) this.pool.push(buffer);
    };
    job.then(reuse, () => undefined);
    this.inFlight.push(job);
  }

  /** Emits finished blocks in order until at most `limit` are still in flight. */
  private async drainTo(limit: number): Promise<void> {
    while (this.inFlight.length > limit) {
      const out = await this.inFlight.shift()!;
      this.push(out);
    }
  }
}

const SAMPLES = 4;
const SAMPLE_BYTES = 4096;

/** Deflates a few 4 KiB samples spread over the block (in one call): do they save less than `minSaving`? */
export function incompressible(block: Buffer, minSaving: number): boolean {
  if (block.length < SAMPLES * SAMPLE_BYTES * 2) return false;
  const step = Math.floor((block.length - SAMPLE_BYTES) / (SAMPLES - 1));
  const samples = Buffer.concat(Array.from({ length: SAMPLES }, (_, i) => block.subarray(i * step, i * step + SAMPLE_BYTES)));
  return zlib.deflateRawSync(samples, { level: 1 }).length > samples.length * (1 - minSaving);
}

const crc32: ((data: Uint8Array, value?: number) => number) | undefined = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
const STORED_MAX = 65535;
/** gzip header: magic, CM=8 (deflate), no flags, mtime 0, XFL 0, OS 255 (unknown). */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

/** One gzip member holding `data` in stored deflate blocks (no compression). */
export function storedMember(data: Buffer): Promise<Buffer> {
  if (!crc32) {
    // Node without zlib.crc32 (< 20.15): zlib's own level 0 writes the same format.
    return new Promise<Buffer>((resolve, reject) => zlib.gzip(data, { level: 0 }, (err, out) => (err ? reject(err) : resolve(out))));
  }
  const blocks = Math.max(1, Math.ceil(data.length / STORED_MAX));
  const out = Buffer.allocUnsafe(GZIP_HEADER.length + blocks * 5 + data.length + 8);
  let at = GZIP_HEADER.copy(out, 0);
  for (let i = 0; i < blocks; i++) {
    const piece = data.subarray(i * STORED_MAX, (i + 1) * STORED_MAX);
    out[at] = i === blocks - 1 ? 1 : 0; // BFINAL on the last block, BTYPE 00
    out.writeUInt16LE(piece.length, at + 1);
    out.writeUInt16LE(~piece.length & 0xffff, at + 3);
    at += 5;
    at += piece.copy(out, at);
  }
  out.writeUInt32LE(crc32(data) >>> 0, at);
  out.writeUInt32LE(data.length >>> 0, at + 4);
  return Promise.resolve(out);
}
