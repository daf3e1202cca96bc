import { createHash, randomBytes, type Hash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { OcmError } from '../errors';
import { fsyncDir } from '../fs-atomic';
import { decode, encode, type Codec } from './codec';
import type { BlobLocation } from './format';

/**
 * Pack files: thousands of small objects must not become thousands of files. A pack is
 * `OCMPACK1`, the stored objects back to back, a JSON trailer listing them
 * ([id, offset, length, rawLength, codec]), the trailer's length (4 bytes, big-endian) and
 * `OCMPACK1` again, so the index can be rebuilt from the packs alone. It is written under a
 * `.partial` name, fsynced, then renamed to `packs/<xx>/<sha256 of the file>.pack`.
 */

export const PACK_MAGIC = Buffer.from('OCMPACK1');
/** Target pack size; a pack closes at the first object past it. */
export const PACK_TARGET = 16 * 1024 * 1024;
/** Objects compressed at once (thread pool); bounds memory to about this many chunks. */
const IN_FLIGHT = 8;
/**
 * Small objects are gathered into one write of about this size: a write per object cost a
 * thread-pool round trip each (2,900 objects of a first snapshot left the main thread idle ~0.6 s).
 */
const WRITE_BATCH = 1024 * 1024;

export type PackBlob = [id: string, offset: number, length: number, rawLength: number, codec: Codec];

export function packPath(repoRoot: string, pack: string): string {
  return join(repoRoot, 'packs', pack.slice(0, 2), `${pack}.pack`);
}

export const PARTIAL_PACK = /^\.[0-9a-f]{16}\.pack\.partial$/;

interface OpenPack {
  file: string;
  handle: fs.FileHandle;
  hash: Hash;
  /** Logical size: bytes written plus bytes buffered. */
  size: number;
  written: number;
  buffered: Buffer[];
  bufferedBytes: number;
  blobs: PackBlob[];
}

/** Writes objects into packs; `finish` returns the packs written with their blobs. */
export class PackWriter {
  private current: OpenPack | undefined;
  private readonly done: Array<{ pack: string; blobs: PackBlob[] }> = [];
  private queue: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  private failure: unknown;
  /** Bytes of stored (compressed) object data written. */
  storedBytes = 0;
  objectsWritten = 0;

  constructor(
    private readonly repoRoot: string,
    private readonly codec?: Codec,
  ) {}

  /**
   * Queues one object (its id already checked: sha256 of `raw`). Resolves once it is queued;
   * compression runs on the thread pool, writes keep the order of the calls.
   */
  async add(id: string, raw: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.inFlight >= IN_FLIGHT) await new Promise<void>((r) => this.waiters.push(r));
    this.inFlight++;
    const encoded = encode(raw, this.codec);
    encoded.catch(() => undefined);
    this.queue = this.queue.then(async () => {
      try {
        if (this.failure) return;
        const { codec, data } = await encoded;
        await this.write(id, data, raw.length, codec);
      } catch (e) {
        this.failure ??= e;
      } finally {
        this.inFlight--;
        this.waiters.shift()?.();
      }
    });
  }

  /** Queues an object that is already encoded (repack copies stored bytes without re-compressing). */
  async addEncoded(id: string, data: Buffer, rawLength: number, codec: Codec): Promise<void> {
    if (this.failure) throw this.failure;
    this.queue = this.queue.then(async () => {
      try {
        if (!this.failure) await this.write(id, data, rawLength, codec);
      } catch (e) {
        this.failure ??= e;
      }
    });
    await this.queue;
  }

  private async write(id: string, data: Buffer, rawLength: number, codec: Codec): Promise<void> {
    const pack = this.current ?? (this.current = await this.open());
    pack.blobs.push([id, pack.size, data.length, rawLength, codec]);
    await this.append(pack, data);
    this.storedBytes += data.length;
    this.objectsWritten++;
    if (pack.size >= PACK_TARGET) await this.close();
  }

  private async open(): Promise<OpenPack> {
    const dir = join(this.repoRoot, 'packs');
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `.${randomBytes(8).toString('hex')}.pack.partial`);
    const handle = await fs.open(file, 'wx', 0o600);
    const pack: OpenPack = { file, handle, hash: createHash('sha256'), size: 0, written: 0, buffered: [], bufferedBytes: 0, blobs: [] };
    await this.append(pack, PACK_MAGIC);
    return pack;
  }

  private async append(pack: OpenPack, data: Buffer): Promise<void> {
    pack.hash.update(data);
    pack.buffered.push(data);
    pack.bufferedBytes += data.length;
    pack.size += data.length;
    if (pack.bufferedBytes >= WRITE_BATCH) await this.flush(pack);
  }

  private async flush(pack: OpenPack): Promise<void> {
    if (pack.bufferedBytes === 0) return;
    const data = pack.buffered.length === 1 ? pack.buffered[0]! : Buffer.concat(pack.buffered, pack.bufferedBytes);
    pack.buffered = [];
    pack.bufferedBytes = 0;
    for (let done = 0; done < data.length;) {
      const { bytesWritten } = await pack.handle.write(data, done, data.length - done, pack.written + done);
      done += bytesWritten;
    }
    pack.written += data.length;
  }

  private async close(): Promise<void> {
    const pack = this.current;
    if (!pack) return;
    this.current = undefined;
    const trailer = Buffer.from(JSON.stringify(pack.blobs));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(trailer.length);
    await this.append(pack, Buffer.concat([trailer, len, PACK_MAGIC]));
    await this.flush(pack);
    await pack.handle.sync();
    await pack.handle.close();
    const name = pack.hash.digest('hex');
    const final = packPath(this.repoRoot, name);
    await fs.mkdir(join(this.repoRoot, 'packs', name.slice(0, 2)), { recursive: true, mode: 0o700 });
    await fs.rename(pack.file, final);
    await fsyncDir(join(this.repoRoot, 'packs', name.slice(0, 2)));
    this.done.push({ pack: name, blobs: pack.blobs });
  }

  /** Waits for every queued object, closes the open pack and returns what was written. */
  async finish(): Promise<Array<{ pack: string; blobs: PackBlob[] }>> {
    await this.queue;
    if (this.failure) throw this.failure;
    await this.close();
    return this.done;
  }

  /** Drops the open pack (its partial file is removed); finished packs stay for reuse or prune. */
  async abort(): Promise<void> {
    this.failure ??= new OcmError('cancelled', 'The pack writer was stopped.');
    await this.queue.catch(() => undefined);
    const pack = this.current;
    this.current = undefined;
    if (pack) {
      await pack.handle.close().catch(() => undefined);
      await fs.rm(pack.file, { force: true });
    }
  }
}

/** Reads and decodes one object, checking it against its id. */
export async function readBlob(repoRoot: string, id: string, loc: BlobLocation): Promise<Buffer> {
  const data = await readRange(packPath(repoRoot, loc.pack), loc.offset, loc.length);
  let raw: Buffer;
  try {
    raw = decode(loc.codec, data, loc.rawLength);
  } catch (e) {
    if (e instanceof OcmError && e.kind === 'unsupported') throw e;
    throw damaged(id, loc);
  }
  if (createHash('sha256').update(raw).digest('hex') !== id) throw damaged(id, loc);
  return raw;
}

function damaged(id: string, loc: BlobLocation): OcmError {
  return new OcmError(
    'failed',
    `Object ${id.slice(0, 12)} in pack ${loc.pack.slice(0, 12)} is damaged (its content does not match its hash). Run "ocm check --read-data" to see which snapshots and files it affects.`,
    {
      object: id,
      pack: loc.pack,
    },
  );
}

export async function readRange(file: string, offset: number, length: number): Promise<Buffer> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new OcmError('notFound', `Pack ${file} is missing from the backup repository. Run "ocm check".`, { file });
    throw e;
  }
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, offset);
    if (bytesRead !== length) throw new OcmError('failed', `Pack ${file} is truncated. Run "ocm check".`, { file });
    return buf;
  } finally {
    await handle.close();
  }
}

/** The blob list a pack's trailer declares (check and index rebuild). */
export async function readPackTrailer(file: string): Promise<PackBlob[]> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size < PACK_MAGIC.length * 2 + 4) throw new Error('too short');
    const tail = Buffer.alloc(12);
    await handle.read(tail, 0, 12, size - 12);
    if (!tail.subarray(4).equals(PACK_MAGIC)) throw new Error('no trailer magic');
    const len = tail.readUInt32BE(0);
    if (len > size - 20) throw new Error('bad trailer length');
    const trailer = Buffer.alloc(len);
    await handle.read(trailer, 0, len, size - 12 - len);
    const blobs = JSON.parse(trailer.toString('utf8')) as PackBlob[];
    if (!Array.isArray(blobs)) throw new Error('bad trailer');
    return blobs;
  } finally {
    await handle.close();
  }
}
