import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { gzip } from 'node:zlib';

/**
 * gzip on several threads: the input is cut into blocks that are compressed concurrently on
 * libuv's thread pool and emitted in order as consecutive gzip members (RFC 1952 allows several;
 * gunzip, GNU tar and node-tar — hence `openclaw backup verify` — read them as one stream).
 * Single-threaded zlib level 1 manages ~60 MB/s here, which made gzip the bottleneck of a backup.
 * Memory stays bounded: at most `concurrency` blocks are in flight.
 */
export class ParallelGzip extends Transform {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private readonly inFlight: Array<Promise<Buffer>> = [];

  constructor(
    private readonly level = 1,
    private readonly blockBytes = 1024 * 1024,
    private readonly concurrency = Math.max(2, Math.min(4, availableParallelism())),
  ) {
    super();
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
    const block = Buffer.concat(this.buffered, this.bufferedBytes);
    this.buffered = [];
    this.bufferedBytes = 0;
    const job = new Promise<Buffer>((resolve, reject) => gzip(block, { level: this.level }, (err, out) => (err ? reject(err) : resolve(out))));
    job.catch(() => undefined);
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
