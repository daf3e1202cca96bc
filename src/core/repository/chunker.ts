import { createHash } from 'node:crypto';

/**
 * Content-defined chunking (FastCDC: a gear rolling hash with normalized chunking), so that a
 * grown transcript or a SQLite database with a few changed pages stores only the chunks around
 * the change instead of the whole file again. No well-kept npm package does this (the CDC
 * packages on the registry are unmaintained WASM ports), so it lives here: ~80 lines, pure JS.
 *
 * The gear table is derived from a fixed seed with sha256, so chunk boundaries are stable across
 * releases and machines; the parameters are recorded in the repository's config.
 */

export interface ChunkerParams {
  minSize: number;
  avgSize: number;
  maxSize: number;
}

/** Files: ~1 MiB average, as restic; files smaller than `minSize` are one object. */
export const FILE_CHUNKER: ChunkerParams = { minSize: 512 * 1024, avgSize: 1024 * 1024, maxSize: 8 * 1024 * 1024 };
/**
 * SQLite databases: fixed 64 KiB chunks. A database changes page by page in place (pages are 4 KiB
 * and aligned), so fixed chunks align with pages and a changed page rewrites 64 KiB, not the ~1 MiB
 * around it; content-defined cuts buy nothing for data that never shifts.
 */
export const SQLITE_CHUNKER: ChunkerParams = { minSize: 64 * 1024, avgSize: 64 * 1024, maxSize: 64 * 1024 };
/** Snapshot entry lists (NDJSON): finer, so a changed entry rewrites ~8 KiB, not the list. */
export const TREE_CHUNKER: ChunkerParams = { minSize: 2 * 1024, avgSize: 8 * 1024, maxSize: 32 * 1024 };

let gearTable: Int32Array | undefined;
/** The gear table as int32: the rolling hash stays a small integer for V8 (a uint32 above 2^31 is a heap number), same low bits. */
function gear(): Int32Array {
  if (gearTable) return gearTable;
  const table = new Int32Array(256);
  for (let i = 0; i < 256; i += 8) {
    const block = createHash('sha256')
      .update(`ocm-fastcdc-gear-${i / 8}`)
      .digest();
    for (let j = 0; j < 8; j++) table[i + j] = block.readInt32LE(j * 4);
  }
  return (gearTable = table);
}

function masks(avg: number): { small: number; large: number } {
  const bits = Math.round(Math.log2(avg));
  // Normalized chunking: harder to cut before the average size, easier after it.
  const small = (2 ** Math.min(bits + 2, 31) - 1) << 0;
  const large = 2 ** Math.max(bits - 2, 1) - 1;
  return { small: small >>> 0, large: large >>> 0 };
}

/**
 * Streaming chunker: `push` bytes as they arrive, get back the chunks completed so far; `end`
 * returns the last one. Memory: at most `maxSize` plus one pushed buffer.
 */
export class Chunker {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** Bytes of the pending chunk already scanned for a cut point. */
  private scanned = 0;
  private hash = 0;
  private readonly small: number;
  private readonly large: number;

  constructor(private readonly params: ChunkerParams = FILE_CHUNKER) {
    ({ small: this.small, large: this.large } = masks(params.avgSize));
  }

  push(data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.pending.push(data);
    this.pendingLength += data.length;
    while (this.pendingLength - this.scanned > 0) {
      const cut = this.findCut();
      if (cut < 0) break;
      out.push(this.take(cut));
    }
    return out;
  }

  end(): Buffer | undefined {
    if (this.pendingLength === 0) return undefined;
    return this.take(this.pendingLength);
  }

  /** Scans the unscanned bytes (across the pending buffers, no copying); returns a cut length or -1. */
  private findCut(): number {
    const { minSize, avgSize, maxSize } = this.params;
    if (this.pendingLength < minSize) {
      this.scanned = this.pendingLength;
      return -1;
    }
    const table = gear();
    let h = this.hash;
    let pos = Math.max(this.scanned, minSize);
    const end = Math.min(this.pendingLength, maxSize);
    let base = 0;
    for (const buf of this.pending) {
      if (base + buf.length <= pos) {
        base += buf.length;
        continue;
      }
      const stop = Math.min(buf.length, end - base);
      // Two loops instead of a mask chosen per byte: the hard mask before the average size, the easy one after it.
      const small = this.small;
      const large = this.large;
      const smallStop = Math.min(stop, avgSize - base);
      let i = pos - base;
      for (; i < smallStop; i++) {
        h = ((h << 1) + table[buf[i]!]!) | 0;
        if ((h & small) === 0) return this.cutAt(base + i + 1);
      }
      for (; i < stop; i++) {
        h = ((h << 1) + table[buf[i]!]!) | 0;
        if ((h & large) === 0) return this.cutAt(base + i + 1);
      }
      pos = base + stop;
      base += buf.length;
      if (pos >= end) break;
    }
    if (end === maxSize) return this.cutAt(maxSize);
    this.hash = h;
    this.scanned = pos;
    return -1;
  }

  private cutAt(length: number): number {
    this.hash = 0;
    this.scanned = 0;
    return length;
  }

  /** The first `length` pending bytes as one new buffer (one copy); the rest stays as views of the pushed buffers. */
  private take(length: number): Buffer {
    const chunk = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const buf = this.pending[0]!;
      const n = Math.min(buf.length, length - filled);
      buf.copy(chunk, filled, 0, n);
      filled += n;
      if (n === buf.length) this.pending.shift();
      else this.pending[0] = buf.subarray(n);
    }
    this.pendingLength -= length;
    this.hash = 0;
    this.scanned = 0;
    return chunk;
  }
}

/** Chunks a whole buffer (tests, snapshot entry lists). */
export function chunkBuffer(data: Buffer, params: ChunkerParams): Buffer[] {
  const c = new Chunker(params);
  const out = c.push(data);
  const last = c.end();
  if (last) out.push(last);
  return out;
}
