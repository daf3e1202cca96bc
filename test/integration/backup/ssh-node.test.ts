import { strict as assert } from 'node:assert';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { backupNode, BackupStore, verifyArchive, type BackupIndex, type BackupSources } from '../../../src/core/backup';
import { isOcmError } from '../../../src/core/errors';
import { checkRepository } from '../../../src/core/repository';
import { createSshTransport } from '../../../src/core/ssh/pool';
import type { Transport } from '../../../src/core/transport/types';
import { ensureSqlite3 } from '../../core/backup/tools';
import { createOpenclawNode, type OpenclawTestNode } from '../../support/openclaw';
import { killSessions, runAsNodeUser, startSshNodes, targetFor, type SshNodeSet } from '../../support/sshd';

/**
 * Backups over REAL OpenSSH nodes (test/support/sshd) through the ssh2 transport, with OpenClaw
 * state trees made by real OpenClaw (2026.9.6 and the older-layout 2026.7.1) in each node user's
 * home. Backups are snapshots in the repository; a snapshot exported as an OpenClaw archive must
 * pass our verify against the snapshot's entries and the real `openclaw backup verify` of that
 * version.
 */
describe('backups over real sshd nodes', { timeout: 900_000 }, () => {
  let set: SshNodeSet;
  let root: string;
  let store: BackupStore;
  const nodes: OpenclawTestNode[] = [];
  const transports: Transport[] = [];

  async function sourcesOf(n: OpenclawTestNode): Promise<BackupSources> {
    const agents = await n.agentsList();
    return {
      stateDir: n.stateDir,
      configPath: n.configPath,
      workspaceDirs: [...new Set(agents.map((a) => String(a.workspace)))],
      agentDirs: agents.map((a) => ({ agentId: String(a.id), path: String(a.agentDir) })),
    };
  }

  /** The snapshot as an OpenClaw archive (deleted again by the caller's `release`). */
  async function exported(r: { index: BackupIndex }) {
    const m = await store.materialize(r.index);
    // Our verify against the snapshot's own entry list (types, sizes, modes, sha256).
    assert.equal((await verifyArchive(m.archivePath, { ...m.index, entries: r.index.entries })).ok, true);
    return m;
  }

  /** Nothing of an interrupted backup is visible: no snapshot, no partial pack, the repository checks clean. */
  async function assertNothingLeft(nodeId: string): Promise<void> {
    assert.deepEqual(await store.list(nodeId), []);
    const check = await checkRepository(await store.repository(), { readData: true });
    assert.equal(check.ok, true, JSON.stringify(check.problems));
    assert.equal(check.partialPacks, 0);
    assert.deepEqual(await readdir(join(store.repositoryRoot, 'tmp')).catch(() => []), []);
  }

  before(async () => {
    ensureSqlite3();
    set = await startSshNodes(2);
    root = await mkdtemp(join(tmpdir(), 'ocm-bkssh-'));
    store = new BackupStore(join(root, 'store'));
    nodes.push(await createOpenclawNode({ version: '2026.9.6', home: set.nodes[0]!.home, owner: set.nodes[0]!.user }));
    nodes.push(await createOpenclawNode({ version: '2026.7.1', home: set.nodes[1]!.home, owner: set.nodes[1]!.user }));
    for (const n of set.nodes) transports.push(createSshTransport(targetFor(n)));
  });
  after(async () => {
    for (const t of transports) await t.close().catch(() => undefined);
    await set?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('own engine on a 2026.9.6 node: OpenClaw layout, owner-only files, passes openclaw backup verify', async () => {
    const node = nodes[0]!;
    await runAsNodeUser(set.nodes[0]!, `printf '# Memory\\n- over ssh\\n' > .openclaw/workspace/MEMORY.md`);
    const r = await backupNode({
      store,
      nodeId: 'node1',
      transport: transports[0]!,
      engine: 'ocm',
      sources: await sourcesOf(node),
      openclaw: { command: 'openclaw', version: '2026.9.6' },
      gatewayRunning: false,
    });
    assert.equal(r.engine, 'ocm');
    assert.ok(r.index.entries.some((e) => e.path === join(node.stateDir, 'workspace/MEMORY.md')));
    assert.ok(r.index.entries.some((e) => e.path === join(node.stateDir, 'state/openclaw.sqlite')));
    assert.equal((await store.readFile(r.index, join(node.stateDir, 'workspace/MEMORY.md'))).toString(), '# Memory\n- over ssh\n');
    const m = await exported(r);
    try {
      const verified = await node.runJson<{ ok: boolean }>(['backup', 'verify', m.archivePath, '--json']);
      assert.equal(verified.ok, true);
      assert.equal((await stat(m.archivePath)).mode & 0o777, 0o600);
    } finally {
      await m.release();
    }
    const repo = store.repositoryRoot;
    assert.equal((await stat(join(repo, 'snapshots', 'node1', `${r.index.id}.json`))).mode & 0o777, 0o600);
    assert.equal((await stat(join(repo, 'snapshots', 'node1'))).mode & 0o777, 0o700);
    for (const dir of await readdir(join(repo, 'packs'))) {
      assert.equal((await stat(join(repo, 'packs', dir))).mode & 0o777, 0o700);
      for (const pack of await readdir(join(repo, 'packs', dir))) assert.equal((await stat(join(repo, 'packs', dir, pack))).mode & 0o777, 0o600);
    }
    assert.equal((await stat(repo)).mode & 0o777, 0o700);
    assert.equal((await stat(store.root)).mode & 0o777, 0o700);
  });

  it('own engine on an older-layout 2026.7.1 node: transcripts only on request; passes its openclaw backup verify', async () => {
    const node = nodes[1]!;
    const sessions = join(node.stateDir, 'agents/main/sessions');
    await runAsNodeUser(set.nodes[1]!, `mkdir -p ${sessions} && printf '{"type":"message"}\\n' > ${sessions}/s-1.jsonl`);
    const sources = await sourcesOf(node);
    const plain = await backupNode({ store, nodeId: 'node2', transport: transports[1]!, engine: 'ocm', sources, gatewayRunning: false });
    assert.ok(!plain.index.entries.some((e) => e.path.endsWith('s-1.jsonl')));
    const withTranscripts = await backupNode({
      store,
      nodeId: 'node2',
      transport: transports[1]!,
      engine: 'ocm',
      sources,
      includeTranscripts: true,
      gatewayRunning: false,
    });
    assert.ok(withTranscripts.index.entries.some((e) => e.path === join(sessions, 's-1.jsonl')));
    assert.equal((await store.readFile(withTranscripts.index, join(sessions, 's-1.jsonl'))).toString(), '{"type":"message"}\n');
    for (const r of [plain, withTranscripts]) {
      const m = await exported(r);
      try {
        const verified = await node.runJson<{ ok: boolean }>(['backup', 'verify', m.archivePath, '--json']);
        assert.equal(verified.ok, true);
      } finally {
        await m.release();
      }
    }
  });

  it('a killed connection mid-transfer leaves no snapshot and no partial file in the repository', async () => {
    const sshNode = set.nodes[0]!;
    // Incompressible bytes so the stream takes a while.
    await runAsNodeUser(sshNode, 'head -c 150000000 /dev/urandom > .openclaw/workspace/big.bin');
    const sources = await sourcesOf(nodes[0]!);
    let killed = false;
    await assert.rejects(
      backupNode({
        store,
        nodeId: 'killed',
        transport: transports[0]!,
        engine: 'ocm',
        sources,
        gatewayRunning: false,
        onProgress: (p) => {
          if (!killed && p.bytes > 2_000_000) {
            killed = true;
            void killSessions(sshNode);
          }
        },
      }),
      (e: unknown) => isOcmError(e) && ['disconnected', 'failed', 'unreachable'].includes(e.kind),
    );
    assert.ok(killed, 'the transfer was interrupted');
    await assertNothingLeft('killed');
    await runAsNodeUser(sshNode, 'rm -f .openclaw/workspace/big.bin');
    // The killed run's temp folder on the node (it may hold SQLite snapshots) goes with the next run
    // that transfers something (the streaming exec removes it; --full-rescan makes every retry
    // stream the config). Retried briefly: the killed shell may take a moment to disappear.
    let left = '';
    for (let attempt = 0; attempt < 10 && left !== '0'; attempt++) {
      if (attempt) await new Promise((r) => setTimeout(r, 1000));
      await backupNode({ store, nodeId: 'after-kill', transport: transports[0]!, engine: 'ocm', sources, configOnly: true, fullRescan: true });
      left = (
        await runAsNodeUser(sshNode, 'find /tmp /dev/shm -maxdepth 1 -name "ocm-backup.*" -user "$(id -u)" 2>/dev/null | wc -l', { check: false })
      ).stdout.trim();
    }
    assert.equal(left, '0');
  });

  it('a killed connection during the native download leaves nothing either', async () => {
    const sshNode = set.nodes[0]!;
    // A stand-in `openclaw` on the node that "creates" a large archive (the real one cannot run as
    // the harness user: its install lives in root's tools cache).
    await runAsNodeUser(
      sshNode,
      `cat > fake-openclaw <<'EOF2'\n#!/bin/sh\nout="$6"\nhead -c 120000000 /dev/urandom > "$out/2026-01-01T00-00-00.000+00-00-openclaw-backup.tar.gz"\necho '{"archivePath":"'"$out"'/2026-01-01T00-00-00.000+00-00-openclaw-backup.tar.gz"}'\nEOF2\nchmod 755 fake-openclaw`,
    );
    let killed = false;
    await assert.rejects(
      backupNode({
        store,
        nodeId: 'killed-native',
        transport: transports[0]!,
        engine: 'openclaw',
        openclaw: { command: join(sshNode.home, 'fake-openclaw'), version: '2026.9.6' },
        sources: await sourcesOf(nodes[0]!),
        onProgress: (p) => {
          if (!killed && p.phase === 'transferring' && p.bytes > 2_000_000) {
            killed = true;
            void killSessions(sshNode);
          }
        },
      }),
      (e: unknown) => isOcmError(e),
    );
    assert.ok(killed);
    await assertNothingLeft('killed-native');
    // The node's temp copy is removed too (the cleanup reconnects).
    const left = await runAsNodeUser(sshNode, 'ls -d /tmp/ocm-native-backup.* 2>/dev/null | wc -l', { check: false });
    assert.equal(left.stdout.trim(), '0');
  });
});
