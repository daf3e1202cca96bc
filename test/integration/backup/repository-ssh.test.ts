import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { backupNode, backupStoreFor, LegacyStore, type BackupIndex, type BackupSources, type BackupStore } from '../../../src/core/backup';
import { BACKUP_INDEX_FORMAT } from '../../../src/core/backup/types';
import { isOcmError } from '../../../src/core/errors';
import { checkRepository, entryObjects } from '../../../src/core/repository';
import { SshPool } from '../../../src/core/ssh/pool';
import type { ExecStream, Transport } from '../../../src/core/transport/types';
import { goodEntries, writeArchive } from '../../core/backup/archive-builder';
import { runCli } from '../../support/cli';
import { cliEnvFor, entryFor } from '../../support/ssh-openclaw-node';
import { killSessions, runAsNodeUser, startSshNodes, targetFor, type SshNodeSet } from '../../support/sshd';

/**
 * The snapshot repository against a REAL sshd node holding an OpenClaw-shaped tree (config,
 * workspace, agent dir, a binary file, a symlink): snapshots restore byte for byte (export → tar
 * → compare with the node's files), only changed files cross the wire, a connection killed
 * mid-stream and a client SIGKILLed mid-backup leave no snapshot and a clean repository, two
 * backups at once both end well, a flipped pack byte is named by `ocm check --read-data`, prune
 * keeps what it says, and old `.tar.gz` backups appear after the upgrade with id and pin kept.
 */

const cliJs = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface TreeEntry {
  type: 'file' | 'dir' | 'link';
  mode: number;
  sha256?: string;
  link?: string;
}

/** Every entry under `dir` (relative path → type, mode, content hash or link target). */
async function treeOf(dir: string): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  const walk = async (d: string): Promise<void> => {
    for (const name of (await fs.readdir(d)).sort()) {
      const p = join(d, name);
      const st = await fs.lstat(p);
      const rel = relative(dir, p);
      if (st.isSymbolicLink()) out.set(rel, { type: 'link', mode: 0, link: await fs.readlink(p) });
      else if (st.isDirectory()) {
        out.set(rel, { type: 'dir', mode: st.mode & 0o7777 });
        await walk(p);
      } else out.set(rel, { type: 'file', mode: st.mode & 0o7777, sha256: sha(await fs.readFile(p)) });
    }
  };
  await walk(dir);
  return out;
}

describe('snapshot repository over a real sshd node', { timeout: 1_200_000 }, () => {
  let set: SshNodeSet;
  const pool = new SshPool();
  let transport: Transport;
  let cli: ReturnType<typeof cliEnvFor>;
  let store: BackupStore;
  let work: string;
  let stateDir: string;
  let sources: BackupSources;
  /** What the node held when each snapshot was taken (relative to the state dir). */
  const taken = new Map<string, Map<string, TreeEntry>>();
  const node = () => set.nodes[0]!;
  const onNode = (cmd: string) => runAsNodeUser(node(), cmd);

  /** Exports the snapshot, extracts it with tar and returns the extracted state dir's tree. */
  async function restoredTree(index: Pick<BackupIndex, 'nodeId' | 'id'>): Promise<Map<string, TreeEntry>> {
    const m = await store.materialize(index);
    const dir = await fs.mkdtemp(join(work, 'extract-'));
    try {
      execFileSync('tar', ['-xzf', m.archivePath, '-C', dir]);
      return await treeOf(join(dir, m.index.archiveRoot, 'payload', 'posix', stateDir));
    } finally {
      await m.release();
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  async function backup(extra: Partial<Parameters<typeof backupNode>[0]> = {}) {
    const before = await treeOf(stateDir);
    const r = await backupNode({ store, nodeId: node().id, transport, engine: 'ocm', sources, gatewayRunning: false, ...extra });
    taken.set(r.index.id, before);
    return r;
  }

  async function assertClean(): Promise<void> {
    const check = await checkRepository(await store.repository(), { readData: true });
    assert.equal(check.ok, true, JSON.stringify(check.problems));
  }

  before(async () => {
    set = await startSshNodes(1, { idPrefix: 'repo' });
    work = await fs.mkdtemp(join(set.dir, 'repo-work-'));
    stateDir = join(node().home, '.openclaw');
    await onNode(
      [
        'mkdir -p .openclaw/workspace/memory .openclaw/agents/main/agent .openclaw/credentials',
        `printf '{ gateway: { port: 18789 }, agents: { list: [{ id: "main" }] } }\\n' > .openclaw/openclaw.json`,
        `printf '# Memory\\n- likes tea\\n' > .openclaw/workspace/MEMORY.md`,
        `printf '# Soul\\n' > .openclaw/workspace/SOUL.md`,
        `printf 'note\\n' > .openclaw/workspace/memory/2026-12-01.md`,
        `printf '{"profiles":{}}\\n' > .openclaw/agents/main/agent/auth-profiles.json`,
        `printf 'secret\\n' > .openclaw/credentials/token && chmod 600 .openclaw/credentials/token .openclaw/openclaw.json`,
        'head -c 3000000 /dev/urandom > .openclaw/workspace/data.bin',
        'ln -s MEMORY.md .openclaw/workspace/memory-link.md',
        'chmod 700 .openclaw',
      ].join(' && '),
    );
    sources = {
      stateDir,
      configPath: join(stateDir, 'openclaw.json'),
      workspaceDirs: [join(stateDir, 'workspace')],
      agentDirs: [{ agentId: 'main', path: join(stateDir, 'agents/main/agent') }],
    };
    transport = pool.transportFor(targetFor(node()));
    cli = cliEnvFor(set, [entryFor(node())]);
    store = backupStoreFor(cli.env);
  });
  after(async () => {
    await pool.close();
    await set?.stop();
  });

  it('first and repeat snapshots restore byte for byte; only changed files cross the wire', async () => {
    // Bytes of every streamed exec, counted on the transport (independently of the capture's stats).
    let streamed = 0;
    let streams = 0;
    const counting: Transport = Object.create(transport) as Transport;
    counting.execStream = async (command, options): Promise<ExecStream> => {
      const s = await transport.execStream(command, options);
      streams++;
      s.stdout.on('data', (c: Buffer) => (streamed += c.length));
      return s;
    };
    const first = await backup({ transport: counting });
    assert.ok(first.stats!.transferredBytes > 2_500_000, JSON.stringify(first.stats));
    assert.ok(streamed >= first.stats!.transferredBytes);
    assert.deepEqual(await restoredTree(first.index), taken.get(first.index.id));

    await onNode(`printf '# Memory\\n- likes tea\\n- and snapshots\\n' > .openclaw/workspace/MEMORY.md`);
    streamed = 0;
    const second = await backup({ transport: counting });
    assert.equal(second.stats!.changedFiles, 1, JSON.stringify(second.stats));
    assert.ok(second.stats!.transferredBytes > 0 && second.stats!.transferredBytes < 64 * 1024, JSON.stringify(second.stats));
    assert.ok(streamed < 64 * 1024, `${streamed} bytes streamed for one small change`);
    assert.equal(second.snapshot.parent, first.index.id);
    assert.deepEqual(await restoredTree(second.index), taken.get(second.index.id));
    assert.equal((await store.readFile(second.index, join(stateDir, 'workspace/MEMORY.md'))).toString(), '# Memory\n- likes tea\n- and snapshots\n');

    streamed = 0;
    const streamsBefore = streams;
    const third = await backup({ transport: counting });
    assert.equal(third.stats!.changedFiles, 0);
    assert.equal(third.stats!.transferredBytes, 0);
    assert.equal(third.stats!.objectsWritten, 0, 'an unchanged node adds no object');
    assert.equal(streams, streamsBefore, 'nothing changed: no streaming exec at all');
    assert.equal(streamed, 0);
    assert.deepEqual(await restoredTree(third.index), taken.get(third.index.id));
  });

  it('a grown file and a changed database cross as their changed parts only, and restore byte for byte', async () => {
    await onNode(
      `sqlite3 .openclaw/workspace/notes.sqlite "PRAGMA page_size=4096; CREATE TABLE n(id INTEGER PRIMARY KEY, b TEXT); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 20000) INSERT INTO n SELECT x, hex(randomblob(120)) FROM c;"`,
    );
    const withDb = await backup();
    const dbSize = Number((await onNode('stat -c %s .openclaw/workspace/notes.sqlite')).stdout.trim());
    assert.ok(withDb.stats!.transferredBytes > dbSize / 3, 'the first copy of the database crosses whole');
    await onNode(
      `head -c 30000 /dev/urandom >> .openclaw/workspace/data.bin && sqlite3 .openclaw/workspace/notes.sqlite "UPDATE n SET b = 'x' || id WHERE id BETWEEN 100 AND 160;"`,
    );
    const next = await backup();
    assert.equal(next.stats!.changedFiles, 2, JSON.stringify(next.stats));
    // data.bin: 3 MB of random bytes in ~1 MiB chunks, only the last crosses with the 30 KB; the database: a few 64 KiB blocks.
    assert.ok(next.stats!.transferredBytes < 2_200_000, `${next.stats!.transferredBytes} bytes for a 30 KB append and 60 changed rows`);
    const data = await store.readFile(next.index, join(stateDir, 'workspace/data.bin'));
    assert.equal(sha(data), (await onNode('sha256sum .openclaw/workspace/data.bin')).stdout.split(' ')[0]);
    const copy = join(work, 'notes-restored.sqlite');
    await fs.writeFile(copy, await store.readFile(next.index, join(stateDir, 'workspace/notes.sqlite')));
    assert.equal(execFileSync('sqlite3', [copy, "PRAGMA integrity_check; SELECT count(*) FROM n WHERE b LIKE 'x%';"], { encoding: 'utf8' }).trim(), 'ok\n61');
    await assertClean();
    // The later tests compare restored trees with the node's files byte for byte: a database copy is consistent, not identical.
    await onNode('rm .openclaw/workspace/notes.sqlite');
  });

  it('the connection killed mid-stream: no new snapshot, check passes, the next backup succeeds', async () => {
    // Incompressible, and cut after 40 MB: some 16 MiB packs are complete by then (prune must collect them).
    await onNode('head -c 100000000 /dev/urandom > .openclaw/workspace/big.bin');
    const count = (await store.list(node().id)).length;
    let killed = false;
    await assert.rejects(
      backup({
        onProgress: (p) => {
          if (!killed && p.phase === 'transferring' && p.bytes > 40_000_000) {
            killed = true;
            void killSessions(node());
          }
        },
      }),
      (e: unknown) => isOcmError(e) && ['disconnected', 'failed', 'unreachable'].includes(e.kind),
    );
    assert.ok(killed, 'the stream was cut');
    assert.equal((await store.list(node().id)).length, count, 'no new snapshot');
    await assertClean();
    const next = await backup();
    assert.ok(next.index.entries.some((e) => e.path === join(stateDir, 'workspace/big.bin')));
    assert.deepEqual(await restoredTree(next.index), taken.get(next.index.id));
  });

  it('the client SIGKILLed mid-backup: no new snapshot, check passes, the next backup succeeds', async () => {
    await onNode('head -c 80000000 /dev/urandom > .openclaw/workspace/big2.bin');
    const count = (await store.list(node().id)).length;
    const packs = join(store.repositoryRoot, 'packs');
    const partialsBefore = new Set((await fs.readdir(packs)).filter((n) => n.endsWith('.partial')));
    const child = spawn(process.execPath, [cliJs, 'backup', node().id], { env: cli.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // It has started receiving once its first pack is being written.
    let receiving = false;
    for (let i = 0; i < 6000 && !receiving && child.exitCode === null; i++) {
      receiving = (await fs.readdir(packs)).some((n) => n.endsWith('.partial') && !partialsBefore.has(n));
      if (!receiving) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(receiving, `the CLI never started receiving: ${output}`);
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    assert.equal((await store.list(node().id)).length, count, 'no new snapshot');
    await assertClean();
    const check = await runCli(['check', '--json'], cli.env);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    // The next backup takes over the dead client's lock and transfers the file whole.
    const next = await backup();
    assert.ok(next.index.entries.some((e) => e.path === join(stateDir, 'workspace/big2.bin')));
    assert.deepEqual(await restoredTree(next.index), taken.get(next.index.id));
    await onNode('rm -f .openclaw/workspace/big.bin .openclaw/workspace/big2.bin');
    await assertClean();
  });

  it('two backups of the same node at once both end well', async () => {
    await onNode(`printf '# Soul\\n- concurrent\\n' > .openclaw/workspace/SOUL.md`);
    const before = await treeOf(stateDir);
    // Two stores on the same folder: as two ocm processes would be.
    const other = backupStoreFor(cli.env);
    const [a, b] = await Promise.all([
      backupNode({ store, nodeId: node().id, transport, engine: 'ocm', sources, gatewayRunning: false }),
      backupNode({ store: other, nodeId: node().id, transport: pool.transportFor(targetFor(node())), engine: 'ocm', sources, gatewayRunning: false }),
    ]);
    assert.notEqual(a.index.id, b.index.id);
    for (const r of [a, b]) {
      taken.set(r.index.id, before);
      assert.deepEqual(await restoredTree(r.index), before);
    }
    await assertClean();
  });

  it('a flipped byte in a pack: ocm check --read-data exits 1 naming the snapshot and the file', async () => {
    const latest = (await store.list(node().id))[0]!;
    const memory = join(stateDir, 'workspace/MEMORY.md');
    const repo = await store.repository();
    const entry = (await repo.readEntries(await store.snapshot(latest))).find((e) => e.path === memory)!;
    const id = entryObjects(entry)[0]!;
    const loc = repo.objects.location(id)!;
    const packFile = join(store.repositoryRoot, 'packs', loc.pack.slice(0, 2), `${loc.pack}.pack`);
    const handle = await fs.open(packFile, 'r+');
    const at = loc.offset + Math.floor(loc.length / 2);
    const original = Buffer.alloc(1);
    await handle.read(original, 0, 1, at);
    await handle.write(Buffer.from([original[0]! ^ 0xff]), 0, 1, at);
    await handle.close();
    try {
      const quick = await runCli(['check', '--json'], cli.env);
      assert.equal(quick.code, 0, 'the structure is intact: only reading the data finds it');
      const run = await runCli(['check', '--read-data', '--json'], cli.env);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      const result = run.json<{ ok: boolean; damaged: Array<{ snapshot: string; files: string[] }> }>();
      assert.equal(result.ok, false);
      const named = result.damaged.find((d) => d.snapshot === `${latest.nodeId}/${latest.id}`);
      assert.ok(named, JSON.stringify(result.damaged));
      assert.deepEqual(named.files, [memory]);
      assert.equal((await runCli(['verify', `${latest.nodeId}/${latest.id}`, '--json'], cli.env)).code, 1);
    } finally {
      const fix = await fs.open(packFile, 'r+');
      await fix.write(original, 0, 1, at);
      await fix.close();
    }
    await assertClean();
  });

  it('prune --dry-run changes nothing; after prune --yes check passes and every kept snapshot reads back exactly', async () => {
    const all = await store.list(node().id);
    assert.ok(all.length >= 6, `${all.length} snapshots`);
    const pinned = all[all.length - 1]!;
    assert.equal((await runCli(['pin', `${pinned.nodeId}/${pinned.id}`], cli.env)).code, 0);
    const filesOf = async (): Promise<string[]> =>
      [...(await treeOf(store.repositoryRoot))]
        .filter(([p, e]) => e.type === 'file' && !p.startsWith('locks/'))
        .map(([p, e]) => `${p} ${e.sha256}`)
        .sort();
    const before = await filesOf();
    const dry = await runCli(['prune', '--keep-last', '2', '--dry-run', '--json'], cli.env);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    const wouldRemove = dry
      .json<{ removed: Array<{ id: string }> }>()
      .removed.map((r) => r.id)
      .sort();
    const expectRemoved = all
      .slice(2, -1)
      .map((s) => s.id)
      .sort();
    assert.deepEqual(wouldRemove, expectRemoved);
    assert.deepEqual(await filesOf(), before, 'a dry run touches nothing in the repository');
    assert.equal((await store.list(node().id)).length, all.length);

    const real = await runCli(['prune', '--keep-last', '2', '--yes', '--json'], cli.env);
    assert.equal(real.code, 0, real.stdout + real.stderr);
    assert.deepEqual(
      real
        .json<{ removed: Array<{ id: string }> }>()
        .removed.map((r) => r.id)
        .sort(),
      expectRemoved,
    );
    assert.ok(real.json<{ bytesFreed: number }>().bytesFreed > 60_000_000, 'the big files only removed snapshots held are freed');
    const kept = await store.list(node().id);
    assert.deepEqual(
      kept.map((s) => s.id),
      [all[0]!.id, all[1]!.id, pinned.id],
    );
    const check = await runCli(['check', '--read-data', '--json'], cli.env);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    for (const s of kept) assert.deepEqual(await restoredTree(s), taken.get(s.id), s.id);
    // Nothing is left that no index names: the killed runs' finished packs are collected too.
    const repo = await store.repository();
    await repo.objects.load();
    const indexed = new Set([...repo.objects.entries()].map(([, loc]) => `${loc.pack}.pack`));
    const onDisk = [...(await treeOf(join(store.repositoryRoot, 'packs')))].filter(([, e]) => e.type === 'file').map(([p]) => p.split('/').pop()!);
    assert.deepEqual(
      onDisk.filter((n) => !indexed.has(n)),
      [],
    );
  });

  it('old .tar.gz backups appear in ocm backups after the upgrade, with id and pin kept', async () => {
    const upgraded = cliEnvFor(set, [entryFor(node())]);
    const legacy = new LegacyStore(join(upgraded.ocmHome, 'backups'));
    const ids: string[] = [];
    for (const [i, day] of ['2026-11-01', '2026-11-02'].entries()) {
      const partial = await legacy.createPartial(node().id);
      await writeArchive(partial, goodEntries({ 'workspace/MEMORY.md': `# Memory\n- old backup ${i}\n` }));
      const index = await legacy.publish(partial, `${day}T00-00-00.000Z-ocm-backup`, {
        formatVersion: BACKUP_INDEX_FORMAT,
        nodeId: node().id,
        createdAt: `${day}T00:00:00.000Z`,
        engine: 'ocm',
        openclawVersion: '2026.9.6',
        archiveSha256: 'a'.repeat(64),
        archiveSize: 1,
        archiveRoot: 'root',
        manifestSha256: 'b'.repeat(64),
        options: { includeTranscripts: false, configOnly: false },
        sourcePaths: {
          stateDir: '/home/u/.openclaw',
          configPath: '/home/u/.openclaw/openclaw.json',
          workspaceDirs: ['/home/u/.openclaw/workspace'],
          agentDirs: [],
        },
        pinned: false,
        externalSymbolicLinks: [],
        entries: [],
      });
      ids.push(index.id);
    }
    await legacy.setPinned(`${node().id}/${ids[0]}`, true);

    const list = await runCli(['backups', '--json'], upgraded.env);
    assert.equal(list.code, 0, list.stdout + list.stderr);
    const backups = list.json<{ backups: Array<{ id: string; pinned: boolean; nodeId: string }> }>().backups;
    assert.deepEqual(
      backups.map((b) => [b.nodeId, b.id, b.pinned]),
      [
        [node().id, ids[1], false],
        [node().id, ids[0], true],
      ],
    );
    const upgradedStore = backupStoreFor(upgraded.env);
    assert.equal(
      (await upgradedStore.readFile({ nodeId: node().id, id: ids[0]! }, '/home/u/.openclaw/workspace/MEMORY.md')).toString(),
      '# Memory\n- old backup 0\n',
    );
    // A second listing imports nothing again; a new backup joins them.
    assert.equal((await runCli(['backups', '--json'], upgraded.env)).json<{ backups: unknown[] }>().backups.length, 2);
    const b = await runCli(['backup', node().id, '--json'], upgraded.env);
    assert.equal(b.code, 0, b.stdout + b.stderr);
    assert.equal((await runCli(['backups', node().id, '--json'], upgraded.env)).json<{ backups: unknown[] }>().backups.length, 3);
    const check = await runCli(['check', '--read-data', '--json'], upgraded.env);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    // The old archives stay where they were.
    assert.equal((await legacy.list()).length, 2);
  });
});
