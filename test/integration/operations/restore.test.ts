import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { backupStoreFor, type BackupStore } from '../../../src/core/backup';
import { locateOpenclaw, type OpenclawLocation } from '../../../src/core/openclaw';
import {
  applyRestore,
  planRestore,
  startGateway,
  stopGateway,
  takeSafetyBackup,
  waitForReady,
  type ApplyResult,
  type RestorePlan,
  type SafetyBackupRef,
} from '../../../src/core/operations';
import { SshPool } from '../../../src/core/ssh/pool';
import type { Transport } from '../../../src/core/transport/types';
import { ensureSqlite3 } from '../../core/backup/tools';
import { runCli } from '../../support/cli';
import { createOpenclawNode, ensureOpenclaw, type OpenclawTestNode } from '../../support/openclaw';
import { freeze, killSessions, runAsNodeUser, thaw, startSshNodes, targetFor, type SshNodeSet } from '../../support/sshd';
import { cliEnvFor, entryFor, installWrapper, nodeEntryFor, shareOpenclawInstall, type SharedInstall } from '../../support/ssh-openclaw-node';

/**
 * `ocm restore` end to end: a harness sshd node whose user runs a REAL OpenClaw 2026.9.6 gateway
 * (agents main + work). MEMORY.md corrupted and SOUL.md deleted → restore one file, then the
 * agent, then the whole node, each previewed first (--dry-run lists exactly those) and verified
 * byte for byte against the backup. Failure injection: an invalid config in the backup, a killed
 * SSH connection mid-apply, a gateway that does not come back — each ends with the node as it
 * was and its gateway running.
 */
describe('ocm restore over real sshd with a real gateway', { timeout: 1_200_000 }, () => {
  let set: SshNodeSet;
  let shared: SharedInstall;
  let openclaw: OpenclawTestNode;
  let wrapper: string;
  const pool = new SshPool();
  let transport: Transport;
  let cli: ReturnType<typeof cliEnvFor>;
  let store: BackupStore;
  let good: SafetyBackupRef;
  let memoryPath: string;
  let workSoul: string;
  let mainSoul: string;
  let extraPath: string;

  const node = () => set.nodes[0]!;
  const nodeId = () => node().id;
  const located = (): Promise<OpenclawLocation> => locateOpenclaw(transport, nodeEntryFor(node(), { openclawPath: wrapper }));
  const onNode = (cmd: string) => runAsNodeUser(node(), cmd);
  const exists = async (path: string) => (await runAsNodeUser(node(), `test -e '${path}'`, { check: false })).code === 0;
  const goodBytes = (path: string) => store.readFile({ nodeId: good.nodeId, id: good.backupId }, path);
  const assertReady = async () => {
    const location = await located();
    const ready = await waitForReady({ transport, location, node: { id: nodeId() } }, { timeoutMs: 10_000 });
    assert.equal(ready.ready, true, `gateway not ready: ${JSON.stringify(ready)}`);
  };
  const leftovers = async () => (await onNode('ls -a ~ | grep -- "ocm-" || true')).stdout.trim();

  before(async () => {
    ensureSqlite3();
    set = await startSshNodes(1, { idPrefix: 'rt' });
    shared = shareOpenclawInstall(await ensureOpenclaw('2026.9.6'));
    openclaw = await createOpenclawNode({ version: '2026.9.6', home: node().home, owner: node().user, agents: [{ id: 'work' }] });
    wrapper = installWrapper(node(), shared);
    memoryPath = join(openclaw.stateDir, 'workspace', 'MEMORY.md');
    mainSoul = join(openclaw.stateDir, 'workspace', 'SOUL.md');
    workSoul = join(openclaw.stateDir, 'workspace-work', 'SOUL.md');
    extraPath = join(openclaw.stateDir, 'workspace-work', 'EXTRA.md');
    await onNode(`printf '# Memory\\n- the user prefers short answers\\n- project: ocm\\n' > '${memoryPath}' && chmod 600 '${memoryPath}'`);
    assert.ok(await exists(workSoul), 'agents add wrote SOUL.md');
    transport = pool.transportFor(targetFor(node()));
    const location = await located();
    await startGateway({ transport, location, node: { id: nodeId() } });
    assert.equal((await waitForReady({ transport, location, node: { id: nodeId() } }, { timeoutMs: 300_000 })).ready, true);
    cli = cliEnvFor(set, [entryFor(node(), { openclawPath: wrapper })]);
    store = backupStoreFor(cli.env);
    good = await takeSafetyBackup({ store, transport, location, nodeId: nodeId() });
  });
  after(async () => {
    if (set) thaw(node());
    if (transport && set) {
      const location = await located().catch(() => undefined);
      if (location) await stopGateway({ transport, location, node: { id: nodeId() } }).catch(() => undefined);
    }
    await pool.close();
    await set?.stop();
    shared?.dispose();
  });

  const ref = () => `${good.nodeId}/${good.backupId}`;
  const plan = async (args: string[]) => {
    const run = await runCli(['restore', ref(), ...args, '--dry-run', '--json'], cli.env);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    return run.json<{ plan: RestorePlan }>().plan;
  };
  const apply = async (args: string[], expectCode = 0) => {
    const run = await runCli(['restore', ref(), ...args, '--yes', '--json'], cli.env);
    assert.equal(run.code, expectCode, run.stdout + run.stderr);
    return run.json<{ plan: RestorePlan; result: ApplyResult }>();
  };

  it('one file: refused without --yes off a terminal; previewed; restored byte for byte with its mode; nothing else touched', async () => {
    await onNode(`printf 'CORRUPTED\\n' > '${memoryPath}' && rm '${workSoul}'`);
    const refused = await runCli(['restore', ref(), '--agent', 'main', '--file', 'MEMORY.md'], cli.env);
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /--dry-run, then add --yes/);
    assert.equal((await onNode(`cat '${memoryPath}'`)).stdout, 'CORRUPTED\n');

    const p = await plan(['--agent', 'main', '--file', 'MEMORY.md']);
    assert.deepEqual(
      p.files.map((f) => [f.action, f.path]),
      [['update', memoryPath]],
    );
    assert.equal(p.files[0]!.after!.sha256.length, 64);
    const { result } = await apply(['--agent', 'main', '--file', 'MEMORY.md']);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.ok(result.safetyBackup?.backupId);
    assert.deepEqual(Buffer.from((await onNode(`base64 -w0 '${memoryPath}'`)).stdout, 'base64'), await goodBytes(memoryPath));
    assert.equal((await onNode(`stat -c %a '${memoryPath}'`)).stdout.trim(), '600');
    assert.equal(await exists(workSoul), false, 'the agent file was not part of a one-file restore');
  });

  it('one agent: previewed (exactly the deleted SOUL.md), restored byte for byte', async () => {
    const p = await plan(['--agent', 'work']);
    assert.deepEqual(
      p.files.map((f) => [f.action, f.path]),
      [['create', workSoul]],
    );
    const { result } = await apply(['--agent', 'work']);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual(Buffer.from((await onNode(`base64 -w0 '${workSoul}'`)).stdout, 'base64'), await goodBytes(workSoul));
  });

  it('whole node: previewed, swapped in with the gateway stopped, validated, started and ready; files byte for byte', async (t) => {
    await onNode(`printf 'CORRUPTED AGAIN\\n' > '${memoryPath}' && rm '${workSoul}' && printf 'new\\n' > '${extraPath}'`);
    const p = await plan([]);
    const byPath = new Map(p.files.map((f) => [f.path, f.action]));
    assert.equal(byPath.get(memoryPath), 'update');
    assert.equal(byPath.get(workSoul), 'create');
    assert.equal(byPath.get(extraPath), 'delete');
    // Anything else listed is the gateway's own state (it keeps running), never a workspace file.
    for (const f of p.files) if (![memoryPath, workSoul, extraPath].includes(f.path)) assert.doesNotMatch(f.path, /\/workspace/, f.path);
    assert.ok(p.steps.some((s) => s.id === 'swap'));
    const { result } = await apply(['--timeout', '240']);
    assert.equal(result.ok, true, JSON.stringify(result, null, 2));
    t.diagnostic(
      `steps: ${result.steps.map((s) => `${s.id} ${(s.durationMs / 1000).toFixed(1)} s`).join(', ')}; total ${(result.durationMs / 1000).toFixed(1)} s`,
    );
    assert.deepEqual(
      result.steps.map((s) => s.status),
      result.steps.map(() => 'done'),
    );
    for (const path of [memoryPath, workSoul])
      assert.deepEqual(Buffer.from((await onNode(`base64 -w0 '${path}'`)).stdout, 'base64'), await goodBytes(path), path);
    assert.equal(await exists(extraPath), false);
    await assertReady();
    assert.equal(await leftovers(), '', 'no staging, old tree or archive left in the home');
  });

  it('an invalid config in the backup: validation fails after the swap → swapped back, old gateway started, config unchanged', async () => {
    const configBefore = (await onNode(`cat '${openclaw.configPath}'`)).stdout;
    const broken = JSON.parse(configBefore) as Record<string, unknown>;
    broken.ocmTestUnknownKey = true;
    await onNode(`cat > '${openclaw.configPath}' <<'OCM_EOF'\n${JSON.stringify(broken, null, 2)}\nOCM_EOF`);
    const bad = await takeSafetyBackup({ store, transport, location: await located(), nodeId: nodeId(), engine: 'ocm' });
    await onNode(`cat > '${openclaw.configPath}' <<'OCM_EOF'\n${configBefore}OCM_EOF`);
    assert.equal((await onNode(`cat '${openclaw.configPath}'`)).stdout, configBefore);
    const memoryBefore = (await onNode(`cat '${memoryPath}'`)).stdout;

    const run = await runCli(['restore', `${bad.nodeId}/${bad.backupId}`, '--yes', '--json', '--timeout', '240'], cli.env);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const { result } = run.json<{ result: ApplyResult }>();
    assert.ok(result, run.stdout + run.stderr);
    assert.equal(result.ok, false);
    assert.equal(result.error?.step, 'validate', JSON.stringify(result, null, 2));
    assert.equal(result.error?.kind, 'invalidConfig');
    assert.equal(result.rolledBack, true, JSON.stringify(result.rollbackErrors));
    assert.ok(result.steps.some((s) => s.id === 'swap' && s.status === 'undone'));
    assert.equal((await onNode(`cat '${openclaw.configPath}'`)).stdout, configBefore);
    assert.equal((await onNode(`cat '${memoryPath}'`)).stdout, memoryBefore);
    await assertReady();
    assert.equal(await leftovers(), '');
  });

  it('a killed SSH connection mid-apply: the files already written are put back, the node holds its old content', async () => {
    await onNode(`printf 'CORRUPTED THIRD\\n' > '${memoryPath}' && rm '${mainSoul}'`);
    const location = await located();
    const index = await store.resolve(ref());
    const p = await planRestore({
      transport,
      location,
      nodeId: nodeId(),
      index,
      repositoryRoot: good.repositoryRoot,
      scope: { kind: 'agent', agentId: 'main' },
    });
    assert.deepEqual(
      p.files.map((f) => [f.action, f.path]),
      [
        ['update', memoryPath],
        ['create', mainSoul],
      ],
    );
    let killed = 0;
    // The connection dies WHILE SOUL.md is being written: the node is frozen (SIGSTOP) so the write
    // is in flight, then its sshd sessions are SIGKILLed and the listener thawed (the rollback
    // reconnects through the pool).
    const killing: Transport = Object.create(transport) as Transport;
    killing.writeFileAtomic = async (path, data, options) => {
      if (path !== mainSoul || killed > 0) return transport.writeFileAtomic(path, data, options);
      freeze(node());
      const write = transport.writeFileAtomic(path, data, options);
      write.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      killed = await killSessions(node());
      thaw(node());
      return write;
    };
    const result = await applyRestore({ transport: killing, location, node: { id: nodeId() }, plan: p, store, home: cli.ocmHome });
    assert.ok(killed > 0, 'the connection was killed');
    assert.equal(result.ok, false, JSON.stringify(result, null, 2));
    assert.match(result.error?.step ?? '', /SOUL\.md/);
    assert.equal(result.rolledBack, true, JSON.stringify(result.rollbackErrors));
    assert.equal((await onNode(`cat '${memoryPath}'`)).stdout, 'CORRUPTED THIRD\n');
    assert.equal(await exists(mainSoul), false);
    await assertReady();
  });

  it('a gateway that does not come back after a whole-node restore: rolled back, the old gateway started and ready', async () => {
    const marker = join(openclaw.stateDir, 'ocm-test-no-start');
    await onNode(`touch '${marker}'`);
    const poisoned = await takeSafetyBackup({ store, transport, location: await located(), nodeId: nodeId() });
    await onNode(`rm '${marker}'`);
    const port = openclaw.port;
    // The node's start command refuses to start while the marker (only in the backup) exists.
    const startCommand = `if [ -e "$HOME/.openclaw/ocm-test-no-start" ]; then echo 'not starting'; exit 0; fi; mkdir -p "$HOME/.openclaw/logs"; nohup setsid openclaw gateway run --port ${port} --bind loopback >>"$HOME/.openclaw/logs/ocm-gateway.log" 2>&1 </dev/null &`;
    cli.writeRegistry([entryFor(node(), { openclawPath: wrapper, startCommand })]);
    try {
      const memoryBefore = (await onNode(`cat '${memoryPath}'`)).stdout;
      const run = await runCli(['restore', `${poisoned.nodeId}/${poisoned.backupId}`, '--yes', '--json', '--timeout', '20'], cli.env);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      const { result } = run.json<{ result: ApplyResult }>();
      assert.ok(result, run.stdout + run.stderr);
      assert.ok(result, run.stdout + run.stderr);
      assert.equal(result.error?.step, 'startGateway', JSON.stringify(result, null, 2));
      assert.match(result.error?.message ?? '', /not ready within 20 s/);
      assert.equal(result.rolledBack, true, JSON.stringify(result.rollbackErrors));
      assert.equal(await exists(marker), false);
      assert.equal((await onNode(`cat '${memoryPath}'`)).stdout, memoryBefore);
      await assertReady();
      assert.equal(await leftovers(), '');
    } finally {
      cli.writeRegistry([entryFor(node(), { openclawPath: wrapper })]);
    }
  });
});
