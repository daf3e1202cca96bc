import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { isOcmError, OcmError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import type { Codec } from './codec';
import { IndexFileSchema, REPOSITORY_FORMAT, type BlobLocation, type IndexFile } from './format';
import { PackWriter, readBlob, type PackBlob } from './packs';

/**
 * The content-addressed object store: which object (sha256 of its content) lives where, from the
 * index files, and writing new objects. Objects already stored — by this node's parent snapshot,
 * another agent, another node — are never stored twice. A write session's packs are complete
 * and fsynced before its index file is published; its objects count only once that index exists.
 */
export class ObjectStore {
  private readonly locations = new Map<string, BlobLocation>();
  /** Index files read (name → superseded by a newer consolidated one). */
  private readonly indexFiles = new Set<string>();
  private loaded = false;

  constructor(readonly root: string) {}

  get indexDir(): string {
    return join(this.root, 'index');
  }

  /** Reads every index file (again: other writers may have added some). */
  async load(): Promise<void> {
    let names: string[];
    try {
      names = (await fs.readdir(this.indexDir)).filter((n) => /^[0-9a-f]{64}\.json$/.test(n));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      names = [];
    }
    const files = await Promise.all(names.map(async (n) => ({ name: n.slice(0, -5), file: await readIndexFile(join(this.indexDir, n)) })));
    const superseded = new Set(files.flatMap((f) => f.file?.supersedes ?? []));
    this.locations.clear();
    this.indexFiles.clear();
    for (const { name, file } of files) {
      if (!file || superseded.has(name)) continue;
      this.indexFiles.add(name);
      for (const p of file.packs)
        for (const [id, offset, length, rawLength, codec] of p.blobs) this.locations.set(id, { pack: p.pack, offset, length, rawLength, codec });
    }
    this.loaded = true;
  }

  async ensureLoaded(): Promise<void> {
    if (!this.loaded) await this.load();
  }

  has(id: string): boolean {
    return this.locations.has(id);
  }

  location(id: string): BlobLocation | undefined {
    return this.locations.get(id);
  }

  /** Every object and where it is. */
  entries(): IterableIterator<[string, BlobLocation]> {
    return this.locations.entries();
  }

  get indexNames(): string[] {
    return [...this.indexFiles];
  }

  /**
   * Reads one object. The index this process loaded may be stale (a long-lived process such as the
   * extension, while a CLI backup added objects or a prune repacked them): an unknown object or a
   * pack that is gone makes it read the index files again and retry once.
   */
  async read(id: string): Promise<Buffer> {
    await this.ensureLoaded();
    let loc = this.locations.get(id);
    if (!loc) {
      await this.load();
      loc = this.locations.get(id);
    }
    if (!loc) {
      throw new OcmError('notFound', `Object ${id.slice(0, 12)} is not in the backup repository (damaged or pruned). Run "ocm check".`, { object: id });
    }
    try {
      return await readBlob(this.root, id, loc);
    } catch (e) {
      if (!isOcmError(e, 'notFound')) throw e;
      await this.load();
      const moved = this.locations.get(id);
      if (!moved || moved.pack === loc.pack) throw e;
      return readBlob(this.root, id, moved);
    }
  }

  startWrite(codec?: Codec): WriteSession {
    return new WriteSession(this, codec);
  }

  /** Publishes an index file for packs that are already complete on disk. */
  async publishIndex(packs: Array<{ pack: string; blobs: PackBlob[] }>, supersedes: string[] = []): Promise<string | undefined> {
    if (packs.length === 0 && supersedes.length === 0) return undefined;
    const file: IndexFile = { formatVersion: REPOSITORY_FORMAT, packs, supersedes };
    const text = JSON.stringify(file);
    const name = createHash('sha256').update(text).digest('hex');
    await fs.mkdir(this.indexDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(this.indexDir, `${name}.json`), text, 0o600, { durable: true });
    for (const p of packs)
      for (const [id, offset, length, rawLength, codec] of p.blobs) this.locations.set(id, { pack: p.pack, offset, length, rawLength, codec });
    this.indexFiles.add(name);
    for (const s of supersedes) this.indexFiles.delete(s);
    return name;
  }

  /**
   * Folds many index files into one (listing a month of 15-minute snapshots must not read
   * thousands of files): the new index supersedes the old ones, which are removed after it is
   * durable. Safe alongside other writers: only files that were read are superseded.
   */
  async consolidate(threshold = 64): Promise<boolean> {
    await this.load();
    const names = this.indexNames;
    if (names.length < threshold) return false;
    const byPack = new Map<string, PackBlob[]>();
    for (const [id, loc] of this.locations) {
      const list = byPack.get(loc.pack) ?? [];
      list.push([id, loc.offset, loc.length, loc.rawLength, loc.codec]);
      byPack.set(loc.pack, list);
    }
    await this.publishIndex(
      [...byPack].map(([pack, blobs]) => ({ pack, blobs })),
      names,
    );
    await Promise.all(names.map((n) => fs.rm(join(this.indexDir, `${n}.json`), { force: true })));
    return true;
  }
}

/** Objects written by one backup: deduplicated against the store and against themselves. */
export class WriteSession {
  private readonly writer: PackWriter;
  private readonly pending = new Set<string>();
  /** Objects this session found already stored (dedup hits) and wrote. */
  reused = 0;
  written = 0;
  rawBytesWritten = 0;

  constructor(
    private readonly store: ObjectStore,
    codec?: Codec,
  ) {
    this.writer = new PackWriter(store.root, codec);
  }

  get storedBytes(): number {
    return this.writer.storedBytes;
  }

  /** Stores `raw` unless an object with its hash exists; returns the id. */
  async put(raw: Buffer, knownId?: string): Promise<string> {
    const id = knownId ?? createHash('sha256').update(raw).digest('hex');
    await this.putWithId(id, raw);
    return id;
  }

  /** `id` must be the sha256 of `raw` (callers that hashed already). */
  async putWithId(id: string, raw: Buffer): Promise<void> {
    if (this.store.has(id) || this.pending.has(id)) {
      this.reused++;
      return;
    }
    this.pending.add(id);
    this.written++;
    this.rawBytesWritten += raw.length;
    await this.writer.add(id, raw);
  }

  has(id: string): boolean {
    return this.store.has(id) || this.pending.has(id);
  }

  /** Completes the packs and publishes their index: from here on the objects exist. */
  async commit(): Promise<void> {
    const packs = await this.writer.finish();
    await this.store.publishIndex(packs);
  }

  async abort(): Promise<void> {
    await this.writer.abort();
  }
}

async function readIndexFile(path: string): Promise<IndexFile | undefined> {
  try {
    const parsed = IndexFileSchema.safeParse(JSON.parse(await fs.readFile(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
