import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { chunkBuffer, FILE_CHUNKER, TREE_CHUNKER } from '../../../src/core/repository/chunker';
import { decode, encode } from '../../../src/core/repository/codec';
import { checkRepository } from '../../../src/core/repository/check';
import { REPOSITORY_FORMAT, type Snapshot, type SnapshotEntry } from '../../../src/core/repository/format';
import { ingestBuffer } from '../../../src/core/repository/ingest';
import { acquireLock, listLocks } from '../../../src/core/repository/lock';
import { packPath } from '../../../src/core/repository/packs';
import { pruneRepository } from '../../../src/core/repository/prune';
import { Repository } from '../../../src/core/repository/repository';
import { applyRetention } from '../../../src/core/repository/retention';
import { newSnapshotId, writeTree } from '../../../src/core/repository/snapshots';
import { isOcmError } from '../../../src/core/errors';
import { fzstd } from '../../../src/core/vendor';

/** The repository without any node: objects, packs, snapshots, check, retention, prune, locks. */

let root: string;
let repo: Repository;
beforeEach(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'ocm-repo-unit-'));
  repo = await Repository.open(join(root, 'repository'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** A snapshot of `files` (path → content) written straight into the repository. */
async function snapshotOf(nodeId: string, files: Record<string, string | Buffer>, createdAt = new Date(), extra: Partial<Snapshot> = {}): Promise<Snapshot> {
  await repo.objects.load();
  const session = repo.objects.startWrite();
  const entries: SnapshotEntry[] = [];
  for (const [path, data] of Object.entries(files)) {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
    entries.push({ path, type: 'file', size: buf.length, mode: 0o600, ...(await ingestBuffer(session, buf)) });
  }
  const tree = await writeTree(session, entries);
  await session.commit();
  const snap: Snapshot = {
    formatVersion: REPOSITORY_FORMAT,
    id: newSnapshotId(createdAt),
    nodeId,
    createdAt: createdAt.toISOString(),
    openclawVersion: null,
    capture: { method: 'own', sqlite: 'none', fullRescan: false },
    options: { includeTranscripts: false, configOnly: false },
    sourcePaths: { workspaceDirs: [], agentDirs: [], agentRoots: [] },
    assets: [],
    skipped: [],
    externalSymbolicLinks: [],
    platform: 'linux',
    parent: null,
    pinned: false,
    tags: [],
    entryCount: entries.length,
    totalSize: entries.reduce((n, e) => n + e.size, 0),
    tree,
    warnings: [],
    ...extra,
  };
  await repo.writeSnapshot(snap);
  return snap;
}

async function packBytes(): Promise<number> {
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (e.name.endsWith('.pack')) total += (await fs.stat(join(d, e.name))).size;
    }
  };
  await walk(join(repo.root, 'packs'));
  return total;
}

describe('repository', () => {
  it('is owner-only and stores identical files once, across nodes', async () => {
    assert.equal((await fs.stat(repo.root)).mode & 0o777, 0o700);
    const big = randomBytes(200_000);
    await snapshotOf('a', { '/s/SOUL.md': 'template soul\n', '/s/big.bin': big });
    const before = await packBytes();
    const b = await snapshotOf('b', { '/t/SOUL.md': 'template soul\n', '/t/big.bin': big });
    assert.ok((await packBytes()) - before < 4096, 'the second node adds only its entry list');
    assert.equal((await repo.readFiles(b, ['/t/big.bin'])).get('/t/big.bin')?.equals(big), true);
  });

  it('a grown large file stores only the chunks after the change', async () => {
    const base = randomBytes(6 * 1024 * 1024);
    await snapshotOf('a', { '/log.jsonl': base });
    const before = await packBytes();
    const grown = Buffer.concat([base, randomBytes(100_000)]);
    const s = await snapshotOf('a', { '/log.jsonl': grown });
    assert.ok((await packBytes()) - before < 2.5 * FILE_CHUNKER.avgSize, `grew by ${(await packBytes()) - before}`);
    assert.ok((await repo.readFiles(s, ['/log.jsonl'])).get('/log.jsonl')?.equals(grown));
  });

  it('chunking is content-defined: an insertion changes only the chunks around it', () => {
    const data = randomBytes(16 * 1024 * 1024);
    const ids = (b: Buffer): string[] => chunkBuffer(b, FILE_CHUNKER).map((c) => createHash('sha256').update(c).digest('hex'));
    const a = ids(data);
    const b = ids(Buffer.concat([data.subarray(0, 5_000_000), Buffer.from('inserted'), data.subarray(5_000_000)]));
    const shared = b.filter((id) => a.includes(id)).length;
    assert.ok(a.length >= 8, `${a.length} chunks`);
    assert.ok(shared >= a.length - 3, `${shared} of ${a.length} chunks shared`);
  });

  it('cut points are pinned: a release that moved them would store every large file again', () => {
    // Pseudo-random bytes from sha256 in counter mode, so the data is the same on every machine.
    const data = (n: number, seed: number): Buffer =>
      Buffer.concat(Array.from({ length: Math.ceil(n / 32) }, (_, i) => createHash('sha256').update(`${seed}:${i}`).digest())).subarray(0, n);
    const lengths = chunkBuffer(data(12 * 1024 * 1024, 7), FILE_CHUNKER).map((c) => c.length);
    assert.deepEqual(lengths, [1215246, 1282411, 1157281, 1521254, 1185331, 1283172, 1354017, 1124246, 1347320, 1112634]);
    const tree = chunkBuffer(data(200 * 1024, 11), TREE_CHUNKER).map((c) => c.length);
    assert.equal(tree.length, 20);
    assert.equal(createHash('sha256').update(JSON.stringify(tree)).digest('hex').slice(0, 16), '9fb9b4af7622332d');
  });

  it('codecs: incompressible data is stored as is; zstd objects decode without zlib zstd (fzstd)', async () => {
    const text = Buffer.from('memory '.repeat(2000));
    const packed = await encode(text);
    assert.notEqual(packed.codec, 'none');
    assert.ok(decode(packed.codec, packed.data, text.length).equals(text));
    assert.equal((await encode(randomBytes(10_000))).codec, 'none');
    const zz = zlib as unknown as { zstdCompressSync?: (b: Buffer) => Buffer };
    if (zz.zstdCompressSync) assert.ok(Buffer.from(fzstd().decompress(zz.zstdCompressSync(text))).equals(text));
    assert.throws(() => decode('deflate', Buffer.from('garbage'), 10));
  });

  it('check --read-data names the snapshot and the file behind a flipped byte', async () => {
    const s = await snapshotOf('n1', { '/w/MEMORY.md': 'remember the tea\n'.repeat(100), '/w/SOUL.md': 'soul\n'.repeat(50) });
    assert.equal((await checkRepository(repo, { readData: true })).ok, true);
    const memory = (await repo.readEntries(s)).find((e) => e.path === '/w/MEMORY.md')!;
    const loc = repo.objects.location(memory.sha256!)!;
    const file = packPath(repo.root, loc.pack);
    const bytes = await fs.readFile(file);
    bytes[loc.offset + 2] ^= 0xff;
    await fs.writeFile(file, bytes);
    const structural = await checkRepository(repo);
    assert.equal(structural.ok, true, 'the structure is still fine');
    const full = await checkRepository(repo, { readData: true });
    assert.equal(full.ok, false);
    assert.deepEqual(full.damaged, [{ snapshot: `n1/${s.id}`, files: ['/w/MEMORY.md'] }]);
    await assert.rejects(repo.readFiles(s, ['/w/MEMORY.md']), (e: unknown) => isOcmError(e, 'failed') && /damaged/.test(e.message));
    assert.equal((await repo.readFiles(s, ['/w/SOUL.md'])).get('/w/SOUL.md')?.toString(), 'soul\n'.repeat(50));
  });

  it('a write killed before its index leaves no snapshot; check passes; prune removes the leftovers', async () => {
    await repo.objects.load();
    const session = repo.objects.startWrite();
    await session.put(randomBytes(300_000));
    await session.abort();
    const partial = join(repo.root, 'packs', '.0123456789abcdef.pack.partial');
    await fs.writeFile(partial, 'half a pack');
    assert.equal((await repo.listSnapshots()).length, 0);
    const checked = await checkRepository(repo);
    assert.equal(checked.ok, true);
    assert.equal(checked.partialPacks, 1);
    await snapshotOf('n1', { '/a': 'a' });
    await pruneRepository(repo, { policy: { last: 5 } });
    await assert.rejects(fs.stat(partial));
  });

  it('prune: --dry-run changes nothing; a real prune frees what only forgotten snapshots used, keeps pins, check passes', async () => {
    const day = (n: number): Date => new Date(Date.UTC(2026, 10, n, 3));
    const keep: Snapshot[] = [];
    for (let i = 1; i <= 6; i++) {
      const s = await snapshotOf('n1', { '/shared.md': 'shared\n', [`/day${i}.bin`]: randomBytes(50_000) }, day(i), i === 1 ? { pinned: true } : {});
      if (i === 1 || i >= 5) keep.push(s);
    }
    const bytesBefore = await packBytes();
    const dry = await pruneRepository(repo, { policy: { last: 2 }, dryRun: true });
    assert.equal(dry.removed.length, 3);
    assert.ok(dry.bytesFreed > 100_000);
    assert.equal((await repo.listSnapshots()).length, 6);
    assert.equal(await packBytes(), bytesBefore);
    const real = await pruneRepository(repo, { policy: { last: 2 } });
    assert.equal(real.removed.length, 3);
    assert.deepEqual((await repo.listSnapshots()).map((s) => s.id).sort(), keep.map((s) => s.id).sort());
    assert.ok((await packBytes()) < bytesBefore - 100_000, 'space freed');
    assert.equal((await checkRepository(repo, { readData: true })).ok, true);
    for (const s of keep) {
      const files = await repo.readFiles(s, ['/shared.md']);
      assert.equal(files.get('/shared.md')?.toString(), 'shared\n');
    }
  });

  it('retention: hourly/daily/weekly/monthly buckets keep the newest of each, per node', () => {
    const mk = (nodeId: string, iso: string): Snapshot => ({ nodeId, id: iso.replace(/:/g, '-'), createdAt: iso, pinned: false }) as Snapshot;
    const list = [
      mk('a', '2026-11-30T10:45:00.000Z'),
      mk('a', '2026-11-30T10:15:00.000Z'),
      mk('a', '2026-11-30T09:30:00.000Z'),
      mk('a', '2026-11-29T23:00:00.000Z'),
      mk('a', '2026-11-01T12:00:00.000Z'),
      mk('b', '2026-11-30T10:00:00.000Z'),
    ];
    const hourly = applyRetention(list, { hourly: 2 });
    assert.deepEqual(
      hourly.keep.filter((k) => k.snapshot.nodeId === 'a').map((k) => k.snapshot.createdAt),
      ['2026-11-30T10:45:00.000Z', '2026-11-30T09:30:00.000Z'],
    );
    assert.ok(
      hourly.keep.some((k) => k.snapshot.nodeId === 'b'),
      'per node',
    );
    const daily = applyRetention(list, { daily: 3 });
    assert.deepEqual(
      daily.keep.filter((k) => k.snapshot.nodeId === 'a').map((k) => k.snapshot.createdAt),
      ['2026-11-30T10:45:00.000Z', '2026-11-29T23:00:00.000Z', '2026-11-01T12:00:00.000Z'],
    );
    assert.equal(applyRetention(list, { monthly: 1 }).keep.filter((k) => k.snapshot.nodeId === 'a').length, 1);
    assert.throws(
      () => applyRetention(list, {}),
      (e: unknown) => isOcmError(e, 'invalidInput'),
    );
    assert.throws(
      () => applyRetention(list, { last: -1 }),
      (e: unknown) => isOcmError(e, 'invalidInput'),
    );
  });

  it('locks: backups share, prune is exclusive; a dead holder is stale and taken over', async () => {
    const a = await acquireLock(repo.root, { exclusive: false, purpose: 'backup a' });
    const b = await acquireLock(repo.root, { exclusive: false, purpose: 'backup b' });
    await assert.rejects(
      acquireLock(repo.root, { exclusive: true, purpose: 'prune', waitMs: 300 }),
      (e: unknown) => isOcmError(e, 'conflict') && /backup/.test(e.message),
    );
    await a.release();
    await b.release();
    const dead = join(repo.root, 'locks', 'dead.lock');
    await fs.writeFile(
      dead,
      JSON.stringify({ pid: 999_999_999, host: (await import('node:os')).hostname(), createdAt: '', exclusive: true, purpose: 'prune' }),
    );
    assert.equal((await listLocks(repo.root)).find((l) => l.file === dead)?.stale, true);
    const stale: string[] = [];
    const x = await acquireLock(repo.root, { exclusive: true, purpose: 'prune', onStale: (l) => stale.push(l.purpose) });
    assert.deepEqual(stale, ['prune']);
    await x.release();
    assert.deepEqual(await fs.readdir(join(repo.root, 'locks')), []);
  });

  it('ids from outside are checked: no path leaves the repository', async () => {
    await assert.rejects(repo.readSnapshot('../../etc', 'x'), (e: unknown) => isOcmError(e, 'invalidInput'));
    await assert.rejects(repo.readSnapshot('n1', '../../../.ssh/id_ed25519'), (e: unknown) => isOcmError(e, 'invalidInput'));
    await assert.rejects(repo.resolve('n1/nothing'), (e: unknown) => isOcmError(e, 'notFound'));
  });

  it('many index files are folded into one; a newer format is refused with a clear message', async () => {
    for (let i = 0; i < 5; i++) await snapshotOf('n1', { [`/f${i}`]: `content ${i}` });
    await repo.objects.consolidate(3);
    assert.equal((await fs.readdir(join(repo.root, 'index'))).filter((n) => n.endsWith('.json')).length, 1);
    assert.equal((await checkRepository(repo, { readData: true })).ok, true);
    await fs.writeFile(join(repo.root, 'config.json'), JSON.stringify({ formatVersion: 99 }));
    await assert.rejects(Repository.open(repo.root), (e: unknown) => isOcmError(e, 'unsupported') && /Update ocm/.test(e.message));
  });
});
