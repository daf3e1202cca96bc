import { strict as assert } from 'node:assert';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import {
  getHistoryEntry,
  historyRoot,
  isHistoryId,
  listHistory,
  listHistoryFiles,
  pathKey,
  pruneHistory,
  readHistoryEntry,
  storePreEditBackup,
} from '../../../src/core/history';

describe('pre-edit backup store', () => {
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'ocm-hist-'));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('stores exact bytes owner-only with metadata, and lists newest first', async () => {
    const times = [new Date('2026-11-22T01:00:00.000Z'), new Date('2026-11-22T02:00:00.000Z'), new Date('2026-11-22T03:00:00.001Z')];
    const ids: string[] = [];
    for (const [i, when] of times.entries()) {
      const e = await storePreEditBackup(home, {
        nodeId: 'n1',
        remotePath: '/s/MEMORY.md',
        content: Buffer.from([i, 0, 255]),
        mode: 0o644,
        remoteMtimeMs: 1000 + i,
        now: () => when,
      });
      assert.ok(isHistoryId(e.id), e.id);
      ids.push(e.id);
    }
    const list = await listHistory(home, 'n1', '/s/MEMORY.md');
    assert.deepEqual(
      list.map((e) => e.id),
      [...ids].reverse(),
    );
    assert.equal(list[0]!.createdAt, '2026-11-22T03:00:00.001Z');
    assert.equal(list[0]!.remoteMtimeMs, 1002);
    const { content, entry } = await readHistoryEntry(home, ids[1]!);
    assert.deepEqual(content, Buffer.from([1, 0, 255]));
    assert.equal(entry.mode, 0o644);
    const dir = join(historyRoot(home), 'n1', pathKey('/s/MEMORY.md'));
    for (const f of await readdir(dir)) assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.deepEqual(await listHistory(home, 'n1', '/s/other.md'), []);
  });

  it('does not duplicate identical consecutive backups', async () => {
    const a = await storePreEditBackup(home, { nodeId: 'n2', remotePath: '/x', content: Buffer.from('same') });
    const b = await storePreEditBackup(home, { nodeId: 'n2', remotePath: '/x', content: Buffer.from('same') });
    assert.equal(a.id, b.id);
    assert.equal((await listHistory(home, 'n2', '/x')).length, 1);
    const files = await listHistoryFiles(home, 'n2');
    assert.deepEqual(
      files.map((f) => [f.remotePath, f.count]),
      [['/x', 1]],
    );
  });

  it('refuses bad ids and unknown entries with usable messages, and detects damaged bytes', async () => {
    await assert.rejects(getHistoryEntry(home, '../../etc/passwd'), (e) => isOcmError(e, 'invalidInput') && /not a pre-edit backup id/.test(e.message));
    await assert.rejects(
      getHistoryEntry(home, 'n1/0123456789abcdef/20261122T010000000Z-abcdef'),
      (e) => isOcmError(e, 'notFound') && /ocm history/.test(e.message),
    );
    await assert.rejects(storePreEditBackup(home, { nodeId: '../evil', remotePath: '/x', content: Buffer.from('') }), (e) => isOcmError(e, 'invalidInput'));
    const e = await storePreEditBackup(home, { nodeId: 'n3', remotePath: '/y', content: Buffer.from('good') });
    const stamp = e.id.split('/')[2]!;
    await writeFile(join(historyRoot(home), 'n3', pathKey('/y'), `${stamp}.data`), 'evil');
    await assert.rejects(readHistoryEntry(home, e.id), (err) => isOcmError(err, 'failed') && /damaged/.test(err.message));
  });
});

describe('pruning pre-edit backups', () => {
  it('keeps the newest N per file and removes only entries older than the limit', async () => {
    const home = await mkdtemp(join(tmpdir(), 'ocm-prune-'));
    try {
      const day = 24 * 3600 * 1000;
      const base = Date.parse('2026-11-01T00:00:00Z');
      for (let i = 0; i < 6; i++) {
        await storePreEditBackup(home, { nodeId: 'p1', remotePath: '/a', content: Buffer.from(`a${i}`), now: () => new Date(base + i * day) });
      }
      await storePreEditBackup(home, { nodeId: 'p2', remotePath: '/b', content: Buffer.from('b'), now: () => new Date(base) });
      const now = () => new Date(base + 10 * day);
      // Dry run: entries 0..3 of /a are beyond keep=2; only those older than 7 days (0, 1, 2) go.
      const dry = await pruneHistory(home, { keepPerFile: 2, olderThanMs: 7 * day, dryRun: true, now });
      assert.deepEqual(
        dry.removed.map((e) => [e.remotePath, e.timeMs]),
        [
          ['/a', base + 2 * day],
          ['/a', base + day],
          ['/a', base],
        ],
      );
      assert.equal((await listHistory(home, 'p1', '/a')).length, 6);
      const done = await pruneHistory(home, { nodeId: 'p1', keepPerFile: 2, olderThanMs: 7 * day, now });
      assert.equal(done.removed.length, 3);
      assert.equal(done.kept, 3);
      const left = await listHistory(home, 'p1', '/a');
      assert.deepEqual(
        left.map((e) => e.timeMs),
        [base + 5 * day, base + 4 * day, base + 3 * day],
      );
      // keepPerFile is at least 1: the newest entry of a file is never removed.
      await pruneHistory(home, { keepPerFile: 0, now });
      assert.equal((await listHistory(home, 'p2', '/b')).length, 1);
      assert.equal((await listHistory(home, 'p1', '/a')).length, 1);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
