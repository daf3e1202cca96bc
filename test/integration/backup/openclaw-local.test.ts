import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { backupNode, BackupStore, diffBackups, verifyArchive, type BackupIndex, type BackupSources } from '../../../src/core/backup';
import { checkRepository, SNAPSHOT_ID } from '../../../src/core/repository';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import { shellQuote } from '../../../src/core/transport/shell-quote';
import { runCli } from '../../support/cli';
import { ensureSqlite3 } from '../../core/backup/tools';
import { createOpenclawNode, type OpenclawTestNode } from '../../support/openclaw';

/**
 * Both engines on a REAL OpenClaw 2026.9.6 node (onboarded with the real CLI) reached through the
 * LocalTransport; every backup is a snapshot in the repository, and every snapshot exported as an
 * OpenClaw archive (store.materialize, `ocm export`) must pass our verify AND the real
 * `openclaw backup verify`.
 * The same flows over real sshd nodes are in ssh-node.test.ts.
 */
describe('backups of a real OpenClaw 2026.9.6 node', { timeout: 900_000 }, () => {
  let root: string;
  let node: OpenclawTestNode;
  let store: BackupStore;
  let sources: BackupSources;
  const transport = new LocalTransport({ nodeId: 'oc' });
  let openclaw: { command: string; env: Record<string, string>; version: string };

  async function realSources(): Promise<BackupSources> {
    const agents = await node.agentsList();
    return {
      stateDir: node.stateDir,
      configPath: node.configPath,
      workspaceDirs: agents.map((a) => String(a.workspace)),
      agentDirs: agents.map((a) => ({ agentId: String(a.id), path: String(a.agentDir) })),
    };
  }

  async function openclawVerify(archivePath: string): Promise<Record<string, unknown>> {
    return node.runJson<Record<string, unknown>>(['backup', 'verify', archivePath, '--json']);
  }

  /** Exports the backup, checks the archive with our verify (against the snapshot's entries) and the real openclaw's, then deletes it. */
  async function verifyExported(index: BackupIndex): Promise<Record<string, unknown>> {
    const m = await store.materialize(index);
    try {
      assert.equal((await verifyArchive(m.archivePath, { ...m.index, entries: index.entries })).ok, true);
      assert.equal((await stat(m.archivePath)).mode & 0o777, 0o600);
      return await openclawVerify(m.archivePath);
    } finally {
      await m.release();
    }
  }

  before(async () => {
    ensureSqlite3();
    root = await mkdtemp(join(tmpdir(), 'ocm-bkoc-'));
    const home = join(root, 'home');
    await mkdir(home);
    node = await createOpenclawNode({ version: '2026.9.6', home, stateDir: join(home, 'state dir') });
    await writeFile(join(node.stateDir, 'workspace', 'MEMORY.md'), '# Memory\n\n- the user likes tea\n');
    store = new BackupStore(join(root, 'store'));
    sources = await realSources();
    openclaw = { command: node.install.bin, env: { ...node.install.env, HOME: node.home, OPENCLAW_STATE_DIR: node.stateDir }, version: '2026.9.6' };
  });
  after(async () => {
    await node?.stopGateway();
    await rm(root, { recursive: true, force: true });
  });

  it('native engine: openclaw backup create, downloaded, scanned, imported as a snapshot; remote and local temps removed', async () => {
    const tempsBefore = (await readdir('/tmp')).filter((n) => n.startsWith('ocm-native-backup.'));
    const r = await backupNode({ store, nodeId: 'oc', transport, engine: 'openclaw', openclaw, sources });
    assert.equal(r.engine, 'openclaw');
    assert.match(r.index.id, SNAPSHOT_ID);
    assert.equal(r.snapshot.capture.method, 'import');
    assert.equal(r.snapshot.capture.engine, 'openclaw');
    assert.equal(r.index.openclawVersion, '2026.9.6');
    assert.equal(r.index.sourcePaths.stateDir, node.stateDir);
    assert.ok(r.index.entries.some((e) => e.path === join(node.stateDir, 'workspace', 'MEMORY.md')));
    assert.equal((await store.readFile(r.index, join(node.stateDir, 'workspace', 'MEMORY.md'))).toString(), '# Memory\n\n- the user likes tea\n');
    assert.equal((await verifyExported(r.index)).ok, true);
    assert.deepEqual(
      (await readdir('/tmp')).filter((n) => n.startsWith('ocm-native-backup.')),
      tempsBefore,
    );
    assert.deepEqual(await readdir(join(store.repositoryRoot, 'tmp')), []);
    assert.equal((await checkRepository(await store.repository(), { readData: true })).ok, true);
  });

  it('own engine with the gateway running: SQLite via sqlite3 .backup; passes openclaw backup verify', async () => {
    // A loaded 2-core machine needs well over 90 s to get a 2026.9.6 gateway ready.
    await node.startGateway(300_000);
    try {
      const r = await backupNode({ store, nodeId: 'oc', transport, engine: 'ocm', openclaw, sources, gatewayRunning: true });
      assert.equal(r.engine, 'ocm');
      const verified = await verifyExported(r.index);
      assert.equal(verified.ok, true, JSON.stringify(verified));
      assert.ok(!r.index.entries.some((e) => /\.sqlite-(wal|shm)$/.test(e.path)), 'no SQLite sidecars');
      assert.equal(r.snapshot.capture.sqlite, 'snapshot');
      const db = await store.readFile(r.index, join(node.stateDir, 'state', 'openclaw.sqlite'));
      assert.equal(db.subarray(0, 15).toString(), 'SQLite format 3');
    } finally {
      await node.stopGateway();
    }
  });

  it('diff after editing MEMORY.md and adding an agent lists exactly those changes', async () => {
    const first = await backupNode({ store, nodeId: 'oc', transport, engine: 'ocm', openclaw, sources, gatewayRunning: false });
    await writeFile(join(node.stateDir, 'workspace', 'MEMORY.md'), '# Memory\n\n- the user likes tea\n- and backups\n');
    await node.addAgent('work');
    sources = await realSources();
    const second = await backupNode({ store, nodeId: 'oc', transport, engine: 'ocm', openclaw, sources, gatewayRunning: false });
    assert.equal((await verifyExported(second.index)).ok, true);
    const d = diffBackups(first.index, second.index);
    const rel = (p: string): string => relative(node.stateDir, p);
    // What `openclaw agents add` itself rewrites: the config (+ its .bak ring) and the state database.
    const bookkeeping = (p: string): boolean =>
      /^openclaw\.json(\.bak(\.\d+)?|\.last-good)?$/.test(rel(p)) || rel(p).startsWith('state/') || rel(p).startsWith('migration/');
    const agentFiles = (p: string): boolean => rel(p).startsWith('workspace-work/') || rel(p).startsWith('agents/work/');
    assert.deepEqual(
      d.changed.filter((c) => !bookkeeping(c.path)).map((c) => rel(c.path)),
      ['workspace/MEMORY.md'],
    );
    assert.deepEqual(
      d.removed.filter((x) => !bookkeeping(x.path)),
      [],
    );
    const added = d.added.filter((x) => !bookkeeping(x.path));
    assert.ok(added.length > 0);
    assert.deepEqual(
      added.filter((x) => !agentFiles(x.path)).map((x) => rel(x.path)),
      [],
      'only the new agent was added',
    );
    assert.ok(added.some((x) => rel(x.path) === 'workspace-work/AGENTS.md'));
  });

  it('ocm backup/backups/verify/diff/pin/prune through the CLI (local node, node 24 wrapper)', async () => {
    const ocmHome = join(root, 'ocm-home');
    const wrapper = join(root, 'bin', 'openclaw-24');
    await mkdir(join(root, 'bin'), { recursive: true });
    await writeFile(
      wrapper,
      `#!/bin/sh\nPATH=${shellQuote(node.install.env.PATH!)} HOME=${shellQuote(node.home)} exec ${shellQuote(node.install.bin)} "$@"\n`,
      { mode: 0o755 },
    );
    const env = { OCM_HOME: ocmHome, PATH: process.env.PATH };
    assert.equal((await runCli(['add', 'oc', 'local', '--state-dir', node.stateDir, '--openclaw', wrapper], env)).code, 0);
    // auto is the own (incremental) engine; OpenClaw's own backup is asked for by name.
    const auto = await runCli(['backup', 'oc', '--config-only', '--json'], env);
    assert.equal(auto.code, 0, auto.stdout + auto.stderr);
    assert.equal(auto.json().results[0].engine, 'ocm');
    assert.equal((await runCli(['prune', '--keep', '0', '--yes', '--json'], env)).code, 0);
    const b1 = await runCli(['backup', 'oc', '--engine', 'openclaw', '--json'], env);
    assert.equal(b1.code, 0, b1.stdout + b1.stderr);
    const r1 = b1.json().results[0];
    assert.equal(r1.ok, true, JSON.stringify(r1));
    assert.equal(r1.engine, 'openclaw');
    const b2 = await runCli(['backup', 'oc', '--engine', 'ocm', '--include-transcripts', '--json'], env);
    assert.equal(b2.code, 0, b2.stdout + b2.stderr);
    const r2 = b2.json().results[0];
    assert.equal(r2.engine, 'ocm');
    assert.ok(r2.backup.entryCount > 10);

    const list = await runCli(['backups', 'oc', '--json'], env);
    assert.deepEqual(
      list.json().backups.map((b: BackupIndex) => b.id),
      [r2.backup.id, r1.backup.id],
    );
    const table = await runCli(['backups'], env);
    assert.ok(table.stdout.includes(`oc/${r2.backup.id}`), table.stdout);

    const v = await runCli(['verify', `oc/${r2.backup.id}`, '--json'], env);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.json().ok, true);
    assert.ok(v.json().fileCount > 5);

    // `ocm export` writes an archive the real `openclaw backup verify` accepts, and ocm's own verify too.
    const exportedFile = join(root, 'exported.tar.gz');
    const ex = await runCli(['export', `oc/${r2.backup.id}`, '-o', exportedFile, '--json'], env);
    assert.equal(ex.code, 0, ex.stdout + ex.stderr);
    assert.equal(ex.json().archivePath, exportedFile);
    const ocVerified = await openclawVerify(exportedFile);
    assert.equal(ocVerified.ok, true, JSON.stringify(ocVerified));
    const ourVerify = await runCli(['verify', exportedFile, '--json'], env);
    assert.equal(ourVerify.code, 0, ourVerify.stdout + ourVerify.stderr);
    assert.equal(ourVerify.json().archiveSha256, ex.json().archiveSha256);
    await rm(exportedFile);

    const d = await runCli(['diff', `oc/${r1.backup.id}`, `oc/${r2.backup.id}`, '--json'], env);
    assert.equal(d.code, 0, d.stderr);
    assert.ok(typeof d.json().unchanged === 'number');
    const live = await runCli(['diff', `oc/${r2.backup.id}`, 'live'], env);
    assert.equal(live.code, 0, live.stderr);
    assert.match(live.stdout, /unchanged/);
    const memory = join(node.stateDir, 'workspace', 'MEMORY.md');
    await writeFile(memory, '# Memory\n\n- live edit\n');
    const file = await runCli(['diff', `oc/${r2.backup.id}`, 'live', '--file', memory], env);
    assert.match(file.stdout, /^\+- live edit$/m);

    assert.equal((await runCli(['pin', r1.backup.id], env)).code, 0);
    const dry = await runCli(['prune', '--keep', '0', '--dry-run', '--json'], env);
    assert.deepEqual(
      dry.json().removed.map((b: BackupIndex) => b.id),
      [r2.backup.id],
    );
    const pruned = await runCli(['prune', '--keep', '0', '--yes', '--json'], env);
    assert.equal(pruned.code, 0, pruned.stdout + pruned.stderr);
    assert.equal(pruned.json().removed.length, 1);
    assert.deepEqual(
      (await runCli(['backups', '--json'], env)).json().backups.map((b: BackupIndex) => b.id),
      [r1.backup.id],
    );
    const check = await runCli(['check', '--read-data', '--json'], env);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.equal(check.json().ok, true);

    const bad = await runCli(['backup', 'oc', '--engine', 'zip'], env);
    assert.equal(bad.code, 2);
  });
});
