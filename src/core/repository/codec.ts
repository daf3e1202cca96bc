import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { OcmError } from '../errors';
import { fzstd } from '../vendor';

/**
 * How one object's bytes are stored. The codec is recorded per object in the pack index, so a
 * repository written by a runtime with zstd (Node ≥ 22.15, VS Code's Electron) stays readable by
 * one without it (the CLI on Node 20): zstd is then decoded with fzstd (pure JS, decode only).
 * Data that does not compress (already compressed media, random bytes) is stored as it is.
 */
export type Codec = 'zstd' | 'deflate' | 'none';

type ZstdZlib = {
  zstdCompress?: (buf: Buffer, opts: object, cb: (e: Error | null, out: Buffer) => void) => void;
  zstdCompressSync?: (buf: Buffer, opts: object) => Buffer;
  zstdDecompressSync?: (buf: Buffer) => Buffer;
  constants: Record<string, number>;
};
const z = zlib as unknown as ZstdZlib;

const deflateRaw = promisify(zlib.deflateRaw);
const zstdCompress = z.zstdCompress ? promisify(z.zstdCompress) : undefined;

/** The codec new objects get on this runtime. */
export function preferredCodec(): Codec {
  return zstdCompress ? 'zstd' : 'deflate';
}

/** Below this size compression is not worth a thread-pool round trip. */
const MIN_COMPRESS = 64;
/** Largest zlib output buffer asked for (objects are at most 8 MiB: the chunker's maximum). */
const MAX_OUTPUT_CHUNK = 8 * 1024 * 1024;
/**
 * Objects up to this size are compressed synchronously: zlib's async call (a stream, a thread-pool
 * round trip, a callback) cost 3–7× the CPU of the sync call for 1–20 KB notes and 2× for 64 KiB
 * database blocks (measured on Node 20 and 24, deflate and zstd), and a first snapshot is mostly
 * such objects. Larger chunks stay on the thread pool, where they overlap with hashing and parsing.
 */
const SYNC_MAX = 128 * 1024;

/**
 * Compresses objects up to SYNC_MAX in place and larger ones on the thread pool (zlib's async
 * calls), so hashing and parsing go on meanwhile.
 * Keeps the raw bytes when compression saves less than 1/16.
 */
export async function encode(raw: Buffer, codec: Codec = preferredCodec()): Promise<{ codec: Codec; data: Buffer }> {
  if (codec === 'none' || raw.length < MIN_COMPRESS) return { codec: 'none', data: raw };
  // zstd level 1: on notes as small as level 3 (within 10 %) and on 64 KiB database blocks of hex
  // text 2.2× as fast with the same size (310 against 142 MB/s here, Node 24).
  // One output buffer about the input's size: zlib's default 16 KiB chunkSize cuts a 1 MiB
  // chunk's output into dozens of buffers (one thread-pool round trip and allocation each) that
  // are then concatenated again; ~20 % less CPU and wall for deflate here.
  const chunkSize = Math.min(Math.max(raw.length, 16 * 1024), MAX_OUTPUT_CHUNK);
  const used: Codec = codec === 'zstd' && zstdCompress ? 'zstd' : 'deflate';
  const zstdOptions = { chunkSize, params: { [z.constants.ZSTD_c_compressionLevel ?? 100]: 1 } };
  const sync = raw.length <= SYNC_MAX;
  const packed =
    used === 'zstd'
      ? sync && z.zstdCompressSync
        ? z.zstdCompressSync(raw, zstdOptions)
        : await zstdCompress!(raw, zstdOptions)
      : sync
        ? zlib.deflateRawSync(raw, { level: 1, chunkSize })
        : await deflateRaw(raw, { level: 1, chunkSize });
  if (packed.length > raw.length - (raw.length >> 4)) return { codec: 'none', data: raw };
  return { codec: used, data: packed };
}

export function decode(codec: Codec, data: Buffer, rawLength: number): Buffer {
  let out: Buffer;
  if (codec === 'none') out = data;
  else if (codec === 'deflate') out = zlib.inflateRawSync(data, { maxOutputLength: Math.max(rawLength, 1) });
  else if (codec === 'zstd') out = z.zstdDecompressSync ? z.zstdDecompressSync(data) : Buffer.from(fzstd().decompress(data));
  else throw new OcmError('unsupported', `This repository uses codec "${String(codec)}", which this version of ocm cannot read. Update ocm.`);
  if (out.length !== rawLength)
    throw new OcmError('failed', `An object decoded to ${out.length} bytes instead of ${rawLength}: the repository is damaged. Run "ocm check --read-data".`);
  return out;
}
