import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { scanArchive } from '../../../src/core/backup/archive-scan';
import { addLineCounts, countLines, diffEntries, unifiedDiff } from '../../../src/core/backup/diff';
import { readArchiveFile, readArchiveFiles } from '../../../src/core/backup/read-entry';
import type { IndexEntry } from '../../../src/core/backup/types';
import { goodEntries, P, STATE, writeArchive } from './archive-builder';

const f = (path: string, sha: string, size = 1, mode = 0o600): IndexEntry => ({ path, type: 'file', size, mode, sha256: sha.repeat(64) });

describe('diffEntries (index only)', () => {
  it('lists added, removed, changed and counts unchanged; folders are ignored', () => {
    const a = [f('/s/same', 'a'), f('/s/changed', 'b', 10), f('/s/gone', 'c'), { path: '/s', type: 'directory' as const, size: 0, mode: 0o700 }];
    const b = [f('/s/same', 'a'), f('/s/changed', 'd', 12), f('/s/new', 'e'), { path: '/s/newdir', type: 'directory' as const, size: 0, mode: 0o700 }];
    const d = diffEntries(a, b);
    assert.deepEqual(d.added, [{ path: '/s/new', type: 'file', size: 1 }]);
    assert.deepEqual(d.removed, [{ path: '/s/gone', type: 'file', size: 1 }]);
    assert.deepEqual(d.changed, [{ path: '/s/changed', sizeA: 10, sizeB: 12 }]);
    assert.equal(d.unchanged, 1);
  });
  it('reports mode-only changes and symlink retargets', () => {
    const a = [f('/s/x', 'a', 1, 0o600), { path: '/s/l', type: 'symlink' as const, size: 0, mode: 0o777, linkTarget: '/a' }];
    const b = [f('/s/x', 'a', 1, 0o644), { path: '/s/l', type: 'symlink' as const, size: 0, mode: 0o777, linkTarget: '/b' }];
    const d = diffEntries(a, b);
    assert.deepEqual(
      d.changed.map((c) => [c.path, Boolean(c.modeOnly)]),
      [
        ['/s/l', false],
        ['/s/x', true],
      ],
    );
  });
  it('counts lines with limits and gives up on pathological input instead of hanging', () => {
    assert.deepEqual(countLines('a\nb\nc\n', 'a\nB\nc\nd\n'), { linesAdded: 2, linesRemoved: 1 });
    const big = (seed: number) => Array.from({ length: 4000 }, (_, i) => `${(i * seed) % 997}`).join('\n');
    assert.equal(countLines(big(7), big(13), { maxEditLength: 10 }), undefined);
  });
  it('makes a unified diff and marks binary files', () => {
    const patch = unifiedDiff('/s/MEMORY.md', 'a', 'b', Buffer.from('x\ny\n'), Buffer.from('x\nz\n'));
    assert.match(patch, /^-y$/m);
    assert.match(patch, /^\+z$/m);
    assert.match(unifiedDiff('/s/bin', 'a', 'b', Buffer.from([0, 1]), Buffer.from([0, 2])), /Binary files/);
  });
});

describe('reading archive entries and line counts from two archives', () => {
  let dir: string;
  let a: string;
  let b: string;
  before(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'ocm-diff-'));
    a = join(dir, 'a.tar.gz');
    b = join(dir, 'b.tar.gz');
    await writeArchive(a, goodEntries({ 'bin.dat': '\0\x01\x02' }));
    await writeArchive(b, [
      ...goodEntries({
        'workspace/MEMORY.md': '# Memory\n\n- likes tea\n- learned backups\n- second line\n',
        'bin.dat': '\0\x01\x03',
        'workspace-work/AGENTS.md': 'new agent\n',
      }),
      { path: `${P}${STATE}/link`, type: 'SymbolicLink', linkpath: '/elsewhere' },
    ]);
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('reads one file by its source path or raw archive path', async () => {
    assert.equal((await readArchiveFile(a, `${STATE}/workspace/MEMORY.md`)).toString(), '# Memory\n\n- likes tea\n');
    assert.equal((await readArchiveFile(a, `${P}${STATE}/openclaw.json`)).toString(), '{ gateway: { port: 18789 } }\n');
    await assert.rejects(readArchiveFile(a, `${STATE}/nope`), (e: unknown) => isOcmError(e, 'notFound'));
    await assert.rejects(readArchiveFile(b, `${STATE}/link`), (e: unknown) => isOcmError(e, 'unsupported') && /symbolic link/.test(e.message));
    await assert.rejects(readArchiveFile(a, `${STATE}/workspace/MEMORY.md`, { maxBytes: 3 }), (e: unknown) => isOcmError(e, 'unsupported'));
  });

  it('reads several files in one pass', async () => {
    const m = await readArchiveFiles(a, [`${STATE}/openclaw.json`, `${STATE}/workspace/AGENTS.md`, `${STATE}/missing`]);
    assert.deepEqual([...m.keys()].sort(), [`${STATE}/openclaw.json`, `${STATE}/workspace/AGENTS.md`]);
  });

  it('diffs two backups with line counts for changed text files only', async () => {
    const [sa, sb] = await Promise.all([scanArchive(a), scanArchive(b)]);
    const d = diffEntries(sa.entries, sb.entries);
    assert.deepEqual(
      d.added.map((x) => x.path),
      [`${STATE}/link`, `${STATE}/workspace-work/AGENTS.md`],
    );
    assert.deepEqual(d.removed, []);
    assert.deepEqual(
      d.changed.map((c) => c.path),
      [`${STATE}/bin.dat`, `${STATE}/workspace/MEMORY.md`],
    );
    await addLineCounts(
      d,
      (paths) => readArchiveFiles(a, paths),
      (paths) => readArchiveFiles(b, paths),
    );
    const memory = d.changed.find((c) => c.path.endsWith('MEMORY.md'))!;
    assert.equal(memory.linesAdded, 2);
    assert.equal(memory.linesRemoved, 0);
    assert.equal(d.changed.find((c) => c.path.endsWith('bin.dat'))!.noLineCount, 'binary');
  });
});
