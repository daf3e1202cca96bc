import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { listingScript, parseListing, secondsToNs, stampOf, type ListedEntry } from '../../../src/core/repository/listing';

/** The node's listing as the client reads it: find's times in nanoseconds, entries from -printf records. */
describe('listing', () => {
  it('find %T@ times become exact nanosecond strings (no float rounding)', () => {
    assert.equal(secondsToNs('1701234567.123456789'), '1701234567123456789');
    assert.equal(secondsToNs('1701234567.1'), '1701234567100000000');
    assert.equal(secondsToNs('1701234567'), '1701234567000000000');
    assert.equal(secondsToNs('0.000000001'), '1');
    assert.equal(secondsToNs('0'), '0');
    assert.equal(secondsToNs('1701234567.1234567891'), '1701234567123456789', 'digits past ns are dropped');
    assert.equal(secondsToNs('-5.5'), (-5n * 1_000_000_000n + 500_000_000n).toString(), 'before 1970: as before');
  });

  it('parses -printf records (names with spaces, link targets)', () => {
    const out =
      'tool:zstd\nbegin-listing\nmethod:printf\n' +
      ['f 3 1701234567.5 1701234567.5 42 644 /s/a b.md', '', 'l 0 1.0 1.0 43 777 /s/link', '/s/a b.md'].join('\0') +
      '\0';
    const l = parseListing(out);
    assert.deepEqual(
      l.entries.map((e) => [e.path, e.type, e.size, e.mtimeNs, e.linkTarget]),
      [
        ['/s/a b.md', 'file', 3, '1701234567500000000', undefined],
        ['/s/link', 'symlink', 0, '1000000000', '/s/a b.md'],
      ],
    );
  });

  it("a database's stamp follows its WAL's size, mtime and inode, not the WAL's ctime", () => {
    const db: ListedEntry = { path: '/s/a.sqlite', type: 'file', size: 4096, mode: 0o644, mtimeNs: '1', ctimeNs: '2', ino: 7 };
    const wal: ListedEntry = { path: '/s/a.sqlite-wal', type: 'file', size: 8272, mode: 0o644, mtimeNs: '3', ctimeNs: '4', ino: 8 };
    assert.equal(stampOf(db, wal), stampOf(db, { ...wal, ctimeNs: '5' }));
    for (const changed of [{ size: 1 }, { mtimeNs: '9' }, { ino: 9 }]) assert.notEqual(stampOf(db, wal), stampOf(db, { ...wal, ...changed }));
    assert.notEqual(stampOf(db, wal), stampOf({ ...db, ctimeNs: '6' }, wal), "the database's own ctime still counts");
  });

  it('removes the scratch folders of killed backups, in /tmp and in /dev/shm, and keeps a running one', () => {
    const dead = execFileSync('sh', ['-c', 'sh -c "echo \\$\\$"'], { encoding: 'utf8' }).trim();
    const places = ['/tmp', ...(existsSync('/dev/shm') ? ['/dev/shm'] : [])];
    const stale = places.map((p) => `${p}/ocm-backup.${dead}.test${process.pid}`);
    const live = `/tmp/ocm-backup.${process.pid}.test`;
    for (const d of [...stale, live]) mkdirSync(d, { recursive: true });
    try {
      execFileSync('sh', ['-c', listingScript([], undefined)]);
      for (const d of stale) assert.equal(existsSync(d), false, `${d} is removed`);
      assert.equal(existsSync(live), true, 'a running backup keeps its folder');
    } finally {
      for (const d of [...stale, live]) rmSync(d, { recursive: true, force: true });
    }
  });
});
