import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
/** The old .tar.gz store, now only read to import its backups into the repository. */
import { LegacyStore as BackupStore, readIndexFile, serializeIndex } from '../../../src/core/backup/legacy-store';
import { BACKUP_INDEX_FORMAT, type BackupIndex } from '../../../src/core/backup/types';
import { recordSyncs } from '../../support/sync-recorder';

let home: string;
let store: BackupStore;
beforeEach(async () => {
  home = await fs.mkdtemp(join(tmpdir(), 'ocm-store-'));
  store = new BackupStore(join(home, 'backups'));
});
afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

function indexBody(nodeId: string, createdAt: string, entries = 3): Omit<BackupIndex, 'id' | 'archiveFile'> {
  return {
    formatVersion: BACKUP_INDEX_FORMAT,
    nodeId,
    createdAt,
    engine: 'ocm',
    openclawVersion: '2026.9.6',
    archiveSha256: 'a'.repeat(64),
    archiveSize: 10,
    archiveRoot: 'root',
    manifestSha256: 'b'.repeat(64),
    options: { includeTranscripts: false, configOnly: false },
    sourcePaths: { stateDir: '/s', configPath: '/s/openclaw.json', workspaceDirs: ['/s/workspace'], agentDirs: [] },
    pinned: false,
    externalSymbolicLinks: [],
    entries: Array.from({ length: entries }, (_, i) => ({ path: `/s/f${i}`, type: 'file' as const, size: i, mode: 0o600, sha256: 'c'.repeat(64) })),
  };
}

async function addBackup(nodeId: string, createdAt: string, base = createdAt.replace(/:/g, '-')): Promise<BackupIndex> {
  const partial = await store.createPartial(nodeId);
  await fs.writeFile(partial, 'archive bytes');
  return store.publish(partial, base, indexBody(nodeId, createdAt));
}

describe('BackupStore', () => {
  it('publishes owner-only archives and indexes, never overwriting a name', async () => {
    const a = await addBackup('n1', '2026-01-01T00:00:00.000Z', 'same');
    const b = await addBackup('n1', '2026-01-02T00:00:00.000Z', 'same');
    assert.equal(a.id, 'same');
    assert.equal(b.id, 'same-2');
    const dir = store.nodeDir('n1');
    assert.equal((await fs.stat(store.root)).mode & 0o777, 0o700);
    assert.equal((await fs.stat(dir)).mode & 0o777, 0o700);
    for (const name of await fs.readdir(dir)) assert.equal((await fs.stat(join(dir, name))).mode & 0o777, 0o600, name);
    assert.deepEqual((await fs.readdir(dir)).sort(), ['same-2.index.json', 'same-2.tar.gz', 'same.index.json', 'same.tar.gz'], 'no partial files left');
    assert.equal(await fs.readFile(store.archivePath(a), 'utf8'), 'archive bytes');
  });

  it('the archive bytes are fsynced before its name and index are published, and the folder after', async () => {
    const partial = await store.createPartial('n1');
    await fs.writeFile(partial, 'archive bytes');
    const { result: stored, events } = await recordSyncs(() => store.publish(partial, 'durable', indexBody('n1', '2026-01-03T00:00:00.000Z')));
    const dir = store.nodeDir('n1');
    const linked = events.findIndex((e) => e.op === 'link' && e.to === store.archivePath(stored));
    const indexed = events.findIndex((e) => e.op === 'rename' && e.to === join(dir, 'durable.index.json'));
    assert.ok(linked >= 0 && indexed > linked, JSON.stringify(events));
    const synced = events.findIndex((e) => e.op === 'sync' && e.path === partial);
    assert.ok(synced >= 0 && synced < linked, `the partial is synced before it gets its name: ${JSON.stringify(events)}`);
    assert.ok(
      events.slice(linked, indexed).some((e) => e.op === 'sync' && e.path === dir),
      `the folder is synced before the index is written: ${JSON.stringify(events)}`,
    );
    assert.ok(
      events.slice(indexed).some((e) => e.op === 'sync' && e.path === dir),
      `and after: ${JSON.stringify(events)}`,
    );
  });

  it('lists summaries newest first from index heads, per node or all', async () => {
    await addBackup('n1', '2026-01-01T00:00:00.000Z');
    await addBackup('n2', '2026-01-03T00:00:00.000Z');
    await addBackup('n1', '2026-01-02T00:00:00.000Z');
    const all = await store.list();
    assert.deepEqual(
      all.map((s) => [s.nodeId, s.createdAt]),
      [
        ['n2', '2026-01-03T00:00:00.000Z'],
        ['n1', '2026-01-02T00:00:00.000Z'],
        ['n1', '2026-01-01T00:00:00.000Z'],
      ],
    );
    assert.equal((all[0] as Record<string, unknown>).entries, undefined, 'summaries carry no entry list');
    assert.equal((await store.list('n1')).length, 2);
    assert.deepEqual(await store.list('nobody'), []);
  });

  it('serializes entries last so the head parses alone, and round-trips', async () => {
    const b = await addBackup('n1', '2026-01-01T00:00:00.000Z');
    const text = await fs.readFile(store.indexPath(b), 'utf8');
    assert.ok(text.indexOf('"entries":[') > text.indexOf('"pinned"'));
    assert.deepEqual(await readIndexFile(store.indexPath(b)), b);
    assert.equal(serializeIndex(b), text);
  });

  it('resolves references: nodeId/id, id, unique prefix, nodeId/latest, archive path', async () => {
    const a = await addBackup('n1', '2026-01-01T00:00:00.000Z', 'alpha');
    const b = await addBackup('n1', '2026-01-02T00:00:00.000Z', 'beta');
    await addBackup('n2', '2026-01-03T00:00:00.000Z', 'alpha');
    assert.equal((await store.resolve('n1/alpha')).createdAt, a.createdAt);
    assert.equal((await store.resolve('beta')).id, 'beta');
    assert.equal((await store.resolve('bet')).id, 'beta');
    assert.equal((await store.resolve('n1/latest')).id, b.id);
    assert.equal((await store.resolve(store.archivePath(b))).id, 'beta');
    await assert.rejects(store.resolve('alpha'), (e: unknown) => isOcmError(e, 'invalidInput') && /matches 2 backups/.test(e.message));
    await assert.rejects(store.resolve('zzz'), (e: unknown) => isOcmError(e, 'notFound'));
  });

  it('pins and unpins', async () => {
    const a = await addBackup('n1', '2026-01-01T00:00:00.000Z', 'alpha');
    assert.equal((await store.setPinned('n1/alpha', true)).pinned, true);
    assert.equal((await store.resolve('n1/alpha')).pinned, true);
    assert.equal((await store.list('n1'))[0].pinned, true);
    assert.equal((await store.setPinned(a.id, false)).pinned, false);
  });

  it('prunes to the newest N per node plus pinned; dry run removes nothing', async () => {
    for (let d = 1; d <= 5; d++) await addBackup('n1', `2026-01-0${d}T00:00:00.000Z`, `n1-${d}`);
    for (let d = 1; d <= 2; d++) await addBackup('n2', `2026-01-0${d}T00:00:00.000Z`, `n2-${d}`);
    await store.setPinned('n1/n1-1', true);
    const dry = await store.prune({ keep: 2, dryRun: true });
    assert.equal(dry.dryRun, true);
    assert.deepEqual(dry.removed.map((s) => s.id).sort(), ['n1-2', 'n1-3']);
    assert.equal((await store.list()).length, 7, 'dry run keeps everything');
    const real = await store.prune({ keep: 2 });
    assert.deepEqual(real.removed.map((s) => s.id).sort(), ['n1-2', 'n1-3']);
    assert.deepEqual(
      (await store.list('n1')).map((s) => s.id),
      ['n1-5', 'n1-4', 'n1-1'],
    );
    assert.deepEqual(
      (await fs.readdir(store.nodeDir('n1'))).filter((f) => f.startsWith('n1-2') || f.startsWith('n1-3')),
      [],
    );
    await assert.rejects(store.prune({ keep: -1 }), (e: unknown) => isOcmError(e, 'invalidInput'));
  });

  it('skips damaged index files in listings but reports them when resolved directly', async () => {
    const a = await addBackup('n1', '2026-01-01T00:00:00.000Z', 'ok');
    await fs.writeFile(join(store.nodeDir('n1'), 'bad.index.json'), '{"nope":');
    assert.deepEqual(
      (await store.list()).map((s) => s.id),
      [a.id],
    );
    await assert.rejects(readIndexFile(join(store.nodeDir('n1'), 'bad.index.json')), (e: unknown) => isOcmError(e, 'invalidConfig'));
  });

  it('refuses node ids that would leave the store', () => {
    assert.throws(
      () => store.nodeDir('../etc'),
      (e: unknown) => isOcmError(e, 'invalidInput'),
    );
    assert.throws(
      () => store.nodeDir('a/b'),
      (e: unknown) => isOcmError(e, 'invalidInput'),
    );
  });
});
