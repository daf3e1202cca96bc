import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { backupNode, chooseEngine } from '../../../src/core/backup/backup-node';
import { diffBackupWithLive } from '../../../src/core/backup/live-diff';
import { readArchiveFile } from '../../../src/core/backup/read-entry';
import { BackupStore } from '../../../src/core/backup/store';
import type { BackupSources } from '../../../src/core/backup/types';
import { verifyArchive } from '../../../src/core/backup/verify';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import type { Transport } from '../../../src/core/transport/types';
import { goodEntries, writeArchive } from './archive-builder';
import { ensureSqlite3, node24Binary } from './tools';

/**
 * Both engines through the real LocalTransport (real sh, tar, zstd, sqlite3 on this machine) on a
 * synthetic OpenClaw-shaped tree. Real OpenClaw and real sshd are in test/integration/backup/.
 */

let root: string;
let state: string;
let sources: BackupSources;
let store: BackupStore;
const transport = new LocalTransport({ nodeId: 'n1' });

async function write(path: string, data: string | Buffer): Promise<void> {
  await fs.mkdir(join(path, '..'), { recursive: true });
  await fs.writeFile(path, data);
}

/** Runs every command with a PATH that lacks some tools (as on a minimal node). */
function withoutTools(inner: Transport, binDir: string): Transport {
  const prefix = `PATH=${binDir}; export PATH; `;
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'exec') return (cmd: string, o?: object) => target.exec(prefix + cmd, o);
      if (prop === 'execStream') return (cmd: string, o?: object) => target.execStream(prefix + cmd, o);
      return Reflect.get(target, prop, receiver);
    },
  });
}

before(async () => {
  ensureSqlite3();
  root = await fs.mkdtemp(join(tmpdir(), 'ocm-engine-'));
  state = join(root, 'home/.openclaw');
  await write(join(state, 'openclaw.json'), '{ agents: { entries: { main: {}, work: {} } } }\n');
  await write(join(state, 'workspace/MEMORY.md'), '# Memory\n- tea\n');
  await write(join(state, 'workspace/memory/2026-01-01.md'), 'daily note\n');
  await write(join(state, 'workspace/メモ/日本語のとても長いファイル名をここに書いておきますので読んでください-' + 'x'.repeat(80) + '.md'), 'ノート\n');
  await write(join(state, 'workspace/node_modules/pkg/index.js'), 'module.exports = 1;\n');
  await write(join(state, 'agents/main/sessions/abc.jsonl'), '{"role":"user"}\n');
  await write(join(state, 'agents/main/sessions/sessions.json'), '{}\n');
  await write(join(state, 'agents/main/agent/models.json'), '{}\n');
  await write(join(state, 'logs/gateway.log'), 'log line\n');
  await write(join(state, 'tmp/junk.bin'), 'junk');
  await write(join(state, 'gateway.pid'), '123');
  await fs.symlink('/etc/hostname', join(state, 'workspace/host-link'));
  await fs.mkdir(join(state, 'state'), { recursive: true });
  execFileSync('sqlite3', [join(state, 'state/openclaw.sqlite'), 'PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (42);']);
  await write(join(root, 'ws-work/AGENTS.md'), '# work agent\n');
  await write(join(root, 'agentdir-work/models.json'), '{"work":true}\n');
  sources = {
    stateDir: state,
    configPath: join(state, 'openclaw.json'),
    workspaceDirs: [join(state, 'workspace'), join(root, 'ws-work')],
    agentDirs: [
      { agentId: 'main', path: join(state, 'agents/main/agent') },
      { agentId: 'work', path: join(root, 'agentdir-work') },
    ],
  };
  store = new BackupStore(join(root, 'store'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('own engine (ocm) over LocalTransport', () => {
  it('archives state, config, workspaces and agentDirs in OpenClaw layout, minus what OpenClaw excludes', async () => {
    const progress: number[] = [];
    const { index, engine } = await backupNode({
      store,
      nodeId: 'n1',
      transport,
      engine: 'ocm',
      sources,
      gatewayRunning: true,
      onProgress: (p) => progress.push(p.bytes),
    });
    const exported = await store.materialize(index);
    const archivePath = exported.archivePath;
    assert.equal(engine, 'ocm');
    const paths = new Set(index.entries.map((e) => e.path));
    for (const kept of [
      'openclaw.json',
      'workspace/MEMORY.md',
      'workspace/memory/2026-01-01.md',
      'agents/main/sessions/sessions.json',
      'agents/main/agent/models.json',
      'state/openclaw.sqlite',
    ]) {
      assert.ok(paths.has(join(state, kept)), `${kept} should be in the backup`);
    }
    assert.ok(paths.has(join(root, 'ws-work/AGENTS.md')));
    const longName = [...paths].find((p) => p.includes('メモ/日本語'));
    assert.ok(longName, 'non-ASCII long path kept');
    assert.equal((await readArchiveFile(archivePath, longName)).toString(), 'ノート\n');
    assert.equal((await store.readFile(index, longName)).toString(), 'ノート\n');
    assert.ok(paths.has(join(root, 'agentdir-work/models.json')));
    for (const left of [
      'agents/main/sessions/abc.jsonl',
      'logs/gateway.log',
      'tmp/junk.bin',
      'gateway.pid',
      'workspace/node_modules/pkg/index.js',
      'state/openclaw.sqlite-wal',
    ]) {
      assert.ok(!paths.has(join(state, left)), `${left} should be left out`);
    }
    assert.ok(progress.length > 0 && progress[progress.length - 1] > 0);
    // The SQLite file is a consistent snapshot (sqlite3 .backup) that holds the committed row.
    const db = await readArchiveFile(archivePath, join(state, 'state/openclaw.sqlite'));
    assert.equal(db.subarray(0, 15).toString(), 'SQLite format 3');
    const copy = join(root, 'copy.sqlite');
    await fs.writeFile(copy, db);
    assert.equal(execFileSync('sqlite3', [copy, 'SELECT x FROM t']).toString().trim(), '42');
    // Layout and manifest.
    const manifest = JSON.parse((await readArchiveFile(archivePath, `${exported.index.archiveRoot}/manifest.json`)).toString());
    assert.equal(manifest.schemaVersion, 1);
    assert.deepEqual(
      manifest.assets.map((a: { kind: string }) => a.kind),
      ['state', 'workspace', 'agent'],
    );
    assert.deepEqual(
      manifest.skipped.map((s: { reason: string }) => s.reason),
      ['covered', 'covered', 'covered'],
    );
    assert.deepEqual(
      manifest.externalSymbolicLinks.map((l: { linkpath: string }) => l.linkpath),
      ['/etc/hostname'],
    );
    assert.deepEqual(
      manifest.paths.agentRoots.map((a: { agentId: string }) => a.agentId),
      ['main', 'work'],
    );
    // Verifies against its own index; owner-only permissions.
    // The exported archive verifies against its own index; owner-only permissions.
    assert.equal((await verifyArchive(archivePath, exported.index)).ok, true);
    assert.equal((await fs.stat(archivePath)).mode & 0o777, 0o600);
    assert.equal((await fs.stat(store.repositoryRoot)).mode & 0o777, 0o700);
    await exported.release();
  });

  it('includes transcripts on request, and config only on request', async () => {
    const withT = await backupNode({ store, nodeId: 'n1', transport, engine: 'ocm', sources, includeTranscripts: true });
    assert.ok(withT.index.entries.some((e) => e.path === join(state, 'agents/main/sessions/abc.jsonl')));
    assert.ok(!withT.index.entries.some((e) => e.path === join(state, 'logs/gateway.log')));
    const cfg = await backupNode({ store, nodeId: 'n1', transport, engine: 'ocm', sources, configOnly: true });
    assert.deepEqual(
      cfg.index.entries.map((e) => e.path),
      [join(state, 'openclaw.json')],
    );
  });

  it('refuses live SQLite without sqlite3 unless the gateway is stopped', async () => {
    const bin = join(root, 'bin-no-sqlite');
    await fs.mkdir(bin, { recursive: true });
    for (const tool of ['sh', 'tar', 'gzip', 'zstd', 'find', 'mktemp', 'rm', 'mkdir', 'mv', 'cat', 'uname']) {
      const path = execFileSync('sh', ['-c', `command -v ${tool}`])
        .toString()
        .trim();
      await fs.symlink(path, join(bin, tool)).catch(() => undefined);
    }
    const bare = withoutTools(transport, bin);
    await assert.rejects(
      backupNode({ store, nodeId: 'n2', transport: bare, engine: 'ocm', sources, gatewayRunning: true }),
      (e: unknown) => isOcmError(e, 'unsupported') && /sqlite3/.test(e.message),
    );
    assert.deepEqual(await store.list('n2'), [], 'no snapshot kept');
    // Without sqlite3 but with a Node.js that has node:sqlite (what SQLite-era OpenClaw runs on):
    // consistent snapshots through Node, also while the gateway runs.
    await fs.symlink(await node24Binary(), join(bin, 'node'));
    execFileSync('sqlite3', [join(state, 'state/openclaw.sqlite'), 'INSERT INTO t VALUES (43);']);
    const viaNode = await backupNode({ store, nodeId: 'n2', transport: bare, engine: 'ocm', sources, gatewayRunning: true });
    const snap = join(root, 'via-node.sqlite');
    await fs.writeFile(snap, await store.readFile(viaNode.index, join(state, 'state/openclaw.sqlite')));
    assert.equal(execFileSync('sqlite3', [snap, 'SELECT count(*) FROM t']).toString().trim(), '2');
    assert.ok(!viaNode.index.entries.some((e) => e.path.endsWith('-wal')));
    await fs.rm(join(bin, 'node'));
    execFileSync('sqlite3', [join(state, 'state/openclaw.sqlite'), 'PRAGMA wal_checkpoint(TRUNCATE);']);
    const stopped = await backupNode({ store, nodeId: 'n2', transport: bare, engine: 'ocm', sources, gatewayRunning: false });
    assert.ok(stopped.index.entries.some((e) => e.path === join(state, 'state/openclaw.sqlite')));
  });

  it('cancel leaves no archive and no partial file', async () => {
    await write(join(state, 'workspace/big.bin'), Buffer.alloc(20 * 1024 * 1024, 7));
    const ac = new AbortController();
    const started = backupNode({ store, nodeId: 'n3', transport, engine: 'ocm', sources, signal: ac.signal, onProgress: (p) => p.bytes > 0 && ac.abort() });
    await assert.rejects(started, (e: unknown) => isOcmError(e, 'cancelled'));
    assert.deepEqual(await store.list('n3'), []);
    await fs.rm(join(state, 'workspace/big.bin'));
  });

  it('compares a backup with the live node (one exec), applying the backup exclusions', async () => {
    const { index } = await backupNode({ store, nodeId: 'n4', transport, engine: 'ocm', sources });
    await write(join(state, 'workspace/MEMORY.md'), '# Memory\n- tea\n- coffee\n');
    await write(join(state, 'workspace/NEW.md'), 'new\n');
    await write(join(state, 'logs/other.log'), 'not backed up\n');
    await fs.rm(join(state, 'workspace/memory/2026-01-01.md'));
    const d = await diffBackupWithLive(index, transport);
    assert.deepEqual(
      d.added.map((x) => x.path),
      [join(state, 'workspace/NEW.md')],
    );
    assert.deepEqual(
      d.removed.map((x) => x.path),
      [join(state, 'workspace/memory/2026-01-01.md')],
    );
    assert.ok(d.changed.some((c) => c.path === join(state, 'workspace/MEMORY.md')));
  });
});

describe('native engine (openclaw backup create) over LocalTransport with a stand-in openclaw', () => {
  it('downloads the archive, checks sha256, indexes it and removes the node temp folder', async () => {
    const fixture = join(root, 'native-fixture.tar.gz');
    await writeArchive(fixture, goodEntries());
    const fake = join(root, 'fake-openclaw');
    await fs.writeFile(
      fake,
      `#!/bin/sh\n# stand-in for "openclaw backup create --verify --json --output DIR"\nout="$6"\ncp ${fixture} "$out/2026-01-01T00-00-00.000+00-00-openclaw-backup.tar.gz"\necho '{"archivePath":"'"$out"'/2026-01-01T00-00-00.000+00-00-openclaw-backup.tar.gz","verified":true}'\n`,
      { mode: 0o755 },
    );
    const before = (await fs.readdir('/tmp')).filter((n) => n.startsWith('ocm-native-backup.'));
    const r = await backupNode({ store, nodeId: 'nat', transport, engine: 'openclaw', sources, openclaw: { command: fake, version: '2026.9.6' } });
    assert.equal(r.engine, 'openclaw');
    assert.equal(r.index.engine, 'openclaw');
    assert.equal(r.index.sourcePaths.stateDir, '/home/u/.openclaw');
    const exported = await store.materialize(r.index);
    assert.equal((await verifyArchive(exported.archivePath, exported.index)).ok, true);
    await exported.release();
    const afterDirs = (await fs.readdir('/tmp')).filter((n) => n.startsWith('ocm-native-backup.'));
    assert.deepEqual(afterDirs, before, 'remote temp folder removed');
  });

  it('a failing openclaw leaves nothing behind', async () => {
    const fake = join(root, 'failing-openclaw');
    await fs.writeFile(fake, '#!/bin/sh\necho "Error: config invalid" >&2\nexit 1\n', { mode: 0o755 });
    const before = (await fs.readdir('/tmp')).filter((n) => n.startsWith('ocm-native-backup.'));
    await assert.rejects(
      backupNode({ store, nodeId: 'nat2', transport, engine: 'openclaw', sources, openclaw: { command: fake, version: '2026.9.6' } }),
      (e: unknown) => isOcmError(e, 'failed') && /config invalid/.test(e.message),
    );
    assert.deepEqual(await store.list('nat2'), []);
    assert.deepEqual(
      (await fs.readdir('/tmp')).filter((n) => n.startsWith('ocm-native-backup.')),
      before,
    );
  });

  it('auto is the incremental own engine; openclaw needs a version that has backup create', async () => {
    assert.equal(chooseEngine('auto', { command: 'openclaw', version: '2026.3.7' }, false), 'ocm');
    assert.equal(chooseEngine('auto', { command: 'openclaw', version: '2026.3.8' }, false), 'ocm');
    assert.equal(chooseEngine('openclaw', { command: 'openclaw', version: '2026.3.8' }, false), 'openclaw');
    assert.equal(chooseEngine('auto', { command: 'openclaw', version: '2026.9.6' }, true), 'ocm');
    assert.equal(chooseEngine('auto', undefined, false), 'ocm');
    assert.throws(
      () => chooseEngine('openclaw', { command: 'openclaw', version: '2026.1.0' }, false),
      (e: unknown) => isOcmError(e, 'unsupported'),
    );
  });
});

describe('own engine errors', () => {
  it("reports the node's own error when its tar fails", async () => {
    const bin = join(root, 'bin-broken-tar');
    await fs.mkdir(bin, { recursive: true });
    for (const tool of ['sh', 'gzip', 'zstd', 'find', 'mktemp', 'rm', 'mkdir', 'mv', 'cat', 'uname', 'sqlite3']) {
      const path = execFileSync('sh', ['-c', `command -v ${tool}`])
        .toString()
        .trim();
      await fs.symlink(path, join(bin, tool)).catch(() => undefined);
    }
    await fs.writeFile(join(bin, 'tar'), '#!/bin/sh\necho "tar: simulated read error" >&2\nexit 2\n', { mode: 0o755 });
    await assert.rejects(
      backupNode({ store, nodeId: 'n5', transport: withoutTools(transport, bin), engine: 'ocm', sources }),
      (e: unknown) => isOcmError(e, 'failed') && /simulated read error/.test(e.message),
    );
    assert.deepEqual(await store.list('n5'), []);
  });
});
