import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BackupSources } from '../../../src/core/backup/types';
import { captureSnapshot } from '../../../src/core/repository/capture';
import { Repository } from '../../../src/core/repository/repository';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import { ensureSqlite3 } from '../backup/tools';

/**
 * Incremental snapshots through the real LocalTransport (real sh, find, tar, zstd, sqlite3): the
 * first snapshot reads everything, a repeat of an unchanged tree transfers nothing, a change
 * transfers only the changed file, and every snapshot reads back byte for byte.
 */

let root: string;
let state: string;
let sources: BackupSources;
let repo: Repository;
const transport = new LocalTransport({ nodeId: 'n1' });

async function write(path: string, data: string | Buffer): Promise<void> {
  await fs.mkdir(join(path, '..'), { recursive: true });
  await fs.writeFile(path, data);
}

async function liveFiles(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const d of await fs.readdir(dir, { withFileTypes: true })) {
      const p = join(dir, d.name);
      if (d.isDirectory()) await walk(p);
      else if (d.isFile())
        out.set(
          p,
          createHash('sha256')
            .update(await fs.readFile(p))
            .digest('hex'),
        );
    }
  };
  await walk(state);
  return out;
}

before(async () => {
  ensureSqlite3();
  root = await fs.mkdtemp(join(tmpdir(), 'ocm-repo-'));
  state = join(root, 'home/.openclaw');
  await write(join(state, 'openclaw.json'), '{ agents: { entries: { main: {} } } }\n');
  await write(join(state, 'workspace/MEMORY.md'), '# Memory\n- tea\n');
  await write(join(state, 'workspace/SOUL.md'), '# Soul\n');
  await write(join(state, 'workspace/with space/note one.md'), 'spaced\n');
  await write(join(state, 'workspace/big.bin'), randomBytes(3 * 1024 * 1024));
  await write(join(state, 'workspace/node_modules/x.js'), 'skip\n');
  await fs.symlink('MEMORY.md', join(state, 'workspace/link.md'));
  await fs.mkdir(join(state, 'state'), { recursive: true });
  execFileSync('sqlite3', [join(state, 'state/openclaw.sqlite'), 'create table t(x); insert into t values (1),(2);'], { stdio: 'ignore' });
  sources = { stateDir: state, configPath: join(state, 'openclaw.json'), workspaceDirs: [join(state, 'workspace')], agentDirs: [] };
  repo = await Repository.open(join(root, 'backups/repository'));
});

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('captureSnapshot (LocalTransport)', () => {
  it('first snapshot holds every kept file; a repeat of an unchanged tree transfers nothing and adds no object', async () => {
    const first = await captureSnapshot({ repo, nodeId: 'n1', transport, sources });
    assert.ok(first.stats.transferredBytes > 3 * 1024 * 1024 * 0.9, 'first snapshot reads the files');
    const entries = await repo.readEntries(first.snapshot);
    const paths = new Set(entries.map((e) => e.path));
    assert.ok(paths.has(join(state, 'workspace/with space/note one.md')));
    assert.ok(!paths.has(join(state, 'workspace/node_modules/x.js')));
    const link = entries.find((e) => e.path.endsWith('/link.md'));
    assert.equal(link?.type, 'symlink');
    assert.equal(link?.linkTarget, 'MEMORY.md');
    const big = entries.find((e) => e.path.endsWith('/big.bin'));
    assert.ok(big?.chunks && big.chunks.length >= 2, 'a 3 MiB file is chunked');
    const db = entries.find((e) => e.path.endsWith('openclaw.sqlite'));
    assert.match(db?.captured ?? '', /sqlite-backup/);
    for (const [path, sha] of await liveFiles()) {
      if (path.includes('node_modules') || path.endsWith('.sqlite')) continue;
      const e = entries.find((x) => x.path === path);
      assert.ok(e, `${path} in snapshot`);
      assert.equal(
        createHash('sha256')
          .update(await repo.readContent(e))
          .digest('hex'),
        sha,
        path,
      );
    }
    const again = await captureSnapshot({ repo, nodeId: 'n1', transport, sources });
    assert.equal(again.stats.changedFiles, 0);
    assert.equal(again.stats.transferredBytes, 0);
    assert.equal(again.stats.objectsWritten, 0);
    assert.equal(again.snapshot.parent, first.snapshot.id);
    assert.deepEqual(again.snapshot.tree, first.snapshot.tree);
  });

  it('a changed file is the only one transferred, and both versions read back', async () => {
    const before = (await repo.listSnapshots('n1'))[0];
    await write(join(state, 'workspace/MEMORY.md'), '# Memory\n- tea\n- coffee\n');
    const r = await captureSnapshot({ repo, nodeId: 'n1', transport, sources });
    assert.equal(r.stats.changedFiles, 1);
    assert.ok(r.stats.transferredBytes < 64 * 1024, `transferred ${r.stats.transferredBytes}`);
    const newer = await repo.readFiles(r.snapshot, [join(state, 'workspace/MEMORY.md')]);
    const older = await repo.readFiles(before, [join(state, 'workspace/MEMORY.md')]);
    assert.equal(newer.get(join(state, 'workspace/MEMORY.md'))?.toString(), '# Memory\n- tea\n- coffee\n');
    assert.equal(older.get(join(state, 'workspace/MEMORY.md'))?.toString(), '# Memory\n- tea\n');
  });

  it('--full-rescan reads everything again but stores nothing new', async () => {
    const r = await captureSnapshot({ repo, nodeId: 'n1', transport, sources, fullRescan: true });
    assert.ok(r.stats.changedFiles >= 5);
    assert.equal(r.stats.objectsWritten, 0);
  });

  it('two backups of the same node at once both end well', async () => {
    await write(join(state, 'workspace/MEMORY.md'), '# Memory\n- both\n');
    const [a, b] = await Promise.all([
      captureSnapshot({ repo, nodeId: 'n1', transport, sources }),
      captureSnapshot({ repo, nodeId: 'n1', transport, sources }),
    ]);
    assert.notEqual(a.snapshot.id, b.snapshot.id);
    for (const s of [a.snapshot, b.snapshot]) {
      const f = await repo.readFiles(s, [join(state, 'workspace/MEMORY.md')]);
      assert.equal(f.get(join(state, 'workspace/MEMORY.md'))?.toString(), '# Memory\n- both\n');
    }
  });

  it('a database with a WAL no one holds open: the copy leaves it as it was, and the next snapshot reads nothing (also as root, where SQLite fchowns the WAL)', async () => {
    const db = join(state, 'memory/main.sqlite');
    await fs.mkdir(join(db, '..'), { recursive: true });
    // Committed rows in the WAL and no connection left (the process exits without closing: no checkpoint).
    execFileSync('python3', [
      '-c',
      `import sqlite3,os\nc=sqlite3.connect(${JSON.stringify(db)})\nc.execute('pragma journal_mode=wal')\nc.execute('pragma wal_autocheckpoint=0')\nc.execute('create table m(x)')\nc.executemany('insert into m values (?)',[(i,) for i in range(200)])\nc.commit()\nos._exit(0)`,
    ]);
    const first = await captureSnapshot({ repo, nodeId: 'w1', transport, sources });
    assert.ok(first.entries.some((e) => e.path === db && e.captured?.startsWith('sqlite-backup')));
    const again = await captureSnapshot({ repo, nodeId: 'w1', transport, sources });
    assert.equal(again.stats.changedFiles, 0, 'an unchanged WAL database is not copied again');
    assert.equal(again.stats.transferredBytes, 0);
  });
});
