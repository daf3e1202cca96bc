import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { OcmError } from '../errors';
import { encode, type Codec } from './codec';

/**
 * Compression of new objects on worker threads, in batches of ~1 MiB, so it runs beside the
 * capture's main thread (parsing the stream, hashing, chunking) instead of inside it. Compressed
 * in place, small objects (notes, 64 KiB database blocks) were the largest share of a first
 * snapshot's main-thread time (deflate at 55–130 MB/s on Node 20) while the other core waited;
 * one zlib thread-pool call per object costs 3–7× the CPU (see codec.ts), one message per batch
 * does not. Large chunks go too (a batch of one): zlib's async calls also cost the main thread
 * their callbacks (~0.4 s of a first snapshot on Node 24).
 *
 * The worker's code is a string (`eval`): it runs the same under tsx, in the CLI bundle and in
 * VS Code's extension host, with no file to ship. A worker that dies fails the objects it held
 * (the backup then fails and keeps no snapshot; the next batch starts a new worker); where no
 * worker can be started at all, objects are compressed in place as before.
 */

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const zlib = require('node:zlib');
const level = zlib.constants.ZSTD_c_compressionLevel;
parentPort.on('message', (m) => {
  try {
    const outs = [];
    const codecs = [];
    let total = 0;
    for (let i = 0; i < m.lengths.length; i++) {
      const raw = new Uint8Array(m.buf, m.offsets[i], m.lengths[i]);
      let data = null;
      if (m.codec !== 'none' && raw.length >= 64) {
        const packed = m.codec === 'zstd' && zlib.zstdCompressSync
          ? zlib.zstdCompressSync(raw, { params: { [level]: 1 } })
          : zlib.deflateRawSync(raw, { level: 1 });
        if (packed.length <= raw.length - (raw.length >> 4)) data = packed;
      }
      codecs.push(data ? (m.codec === 'zstd' && zlib.zstdCompressSync ? 'zstd' : 'deflate') : 'none');
      outs.push(data);
      if (data) total += data.length;
    }
    const out = new ArrayBuffer(total);
    const view = new Uint8Array(out);
    const offsets = [];
    let at = 0;
    for (const data of outs) {
      offsets.push(at);
      if (data) { view.set(data, at); at += data.length; }
    }
    parentPort.postMessage({ seq: m.seq, codecs, offsets, lengths: outs.map((d) => (d ? d.length : 0)), out }, [out]);
  } catch (e) {
    parentPort.postMessage({ seq: m.seq, error: String(e && e.message || e) });
  }
});
`;

/** A batch is sent once it holds this many bytes (or at the next turn of the event loop). */
const BATCH_BYTES = 1024 * 1024;
/** An idle worker is stopped after this long (the extension host lives on; the CLI exits anyway: unref). */
const IDLE_MS = 30_000;

interface Pending {
  raw: Buffer;
  resolve: (v: { codec: Codec; data: Buffer }) => void;
  reject: (e: unknown) => void;
}

interface Reply {
  seq: number;
  error?: string;
  codecs?: Codec[];
  offsets?: number[];
  lengths?: number[];
  out?: ArrayBuffer;
}

class CodecWorker {
  private readonly sent = new Map<number, Pending[]>();
  private seq = 0;
  private idle: NodeJS.Timeout | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly onGone: (w: CodecWorker) => void,
  ) {
    worker.on('message', (m: Reply) => this.settle(m));
    worker.on('error', (e: Error) => this.fail(e));
    worker.on('exit', (code) => this.fail(new Error(`the compression worker exited (${code})`)));
    // Held open only while it has work (adding a 'message' listener refs it: unref after them).
    worker.unref();
  }

  get load(): number {
    return this.sent.size;
  }

  send(batch: Pending[], codec: Codec): void {
    const seq = ++this.seq;
    const total = batch.reduce((n, p) => n + p.raw.length, 0);
    const buf = new ArrayBuffer(total);
    const view = new Uint8Array(buf);
    const offsets: number[] = [];
    let at = 0;
    for (const p of batch) {
      offsets.push(at);
      view.set(p.raw, at);
      at += p.raw.length;
    }
    this.sent.set(seq, batch);
    this.worker.ref();
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    this.worker.postMessage({ seq, codec, buf, offsets, lengths: batch.map((p) => p.raw.length) }, [buf]);
  }

  private settle(m: Reply): void {
    const batch = this.sent.get(m.seq);
    if (!batch) return;
    this.sent.delete(m.seq);
    if (m.error !== undefined || !m.out || !m.codecs || !m.offsets || !m.lengths) {
      const e = new OcmError('failed', `Compressing backup objects failed: ${m.error ?? 'no result'}.`);
      for (const p of batch) p.reject(e);
    } else {
      const out = m.out;
      batch.forEach((p, i) => {
        const codec = m.codecs![i]!;
        p.resolve(codec === 'none' ? { codec, data: p.raw } : { codec, data: Buffer.from(out, m.offsets![i]!, m.lengths![i]!) });
      });
    }
    if (this.sent.size === 0) {
      this.worker.unref();
      this.idle = setTimeout(() => void this.worker.terminate(), IDLE_MS);
      this.idle.unref();
    }
  }

  private fail(e: Error): void {
    this.onGone(this);
    const err = new OcmError('failed', `Compressing backup objects failed: ${e.message}. Run the backup again.`);
    for (const batch of this.sent.values()) for (const p of batch) p.reject(err);
    this.sent.clear();
    if (this.idle) clearTimeout(this.idle);
  }
}

/** Hands small objects to worker threads in batches; everything else goes to `encode`. */
export class CodecPool {
  private readonly workers: CodecWorker[] = [];
  private batch: Pending[] = [];
  private batchBytes = 0;
  private scheduled = false;
  /** Set once a worker could not be started: compress in place from then on. */
  private broken = false;

  constructor(
    private readonly size = Math.max(1, Math.min(3, availableParallelism() - 1)),
    /** The worker's code (tests give one that fails). */
    private readonly source = WORKER_SOURCE,
  ) {}

  encode(raw: Buffer, codec: Codec): Promise<{ codec: Codec; data: Buffer }> {
    if (this.broken || codec === 'none') return encode(raw, codec);
    return new Promise((resolve, reject) => {
      this.batch.push({ raw, resolve, reject });
      this.batchBytes += raw.length;
      if (this.batchBytes >= BATCH_BYTES) this.flush(codec);
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush(codec));
      }
    });
  }

  private flush(codec: Codec): void {
    this.scheduled = false;
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    this.batchBytes = 0;
    const worker = this.pick();
    if (!worker) {
      for (const p of batch) encode(p.raw, codec).then(p.resolve, p.reject);
      return;
    }
    worker.send(batch, codec);
  }

  private pick(): CodecWorker | undefined {
    if (this.workers.length < this.size && !this.workers.some((w) => w.load === 0)) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- node:worker_threads only when a backup compresses
        const { Worker: WorkerClass } = require('node:worker_threads') as typeof import('node:worker_threads');
        this.workers.push(new CodecWorker(new WorkerClass(this.source, { eval: true }), (w) => this.forget(w)));
      } catch {
        this.broken = true;
      }
    }
    return this.workers.reduce<CodecWorker | undefined>((best, w) => (!best || w.load < best.load ? w : best), undefined);
  }

  private forget(w: CodecWorker): void {
    const i = this.workers.indexOf(w);
    if (i >= 0) this.workers.splice(i, 1);
  }
}

let shared: CodecPool | undefined;
/** The process's pool (workers start on first use). */
export function codecPool(): CodecPool {
  return (shared ??= new CodecPool());
}
