import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import JSON5 from 'json5';
import { main } from '../../../src/cli/main';
import { BackupStore } from '../../../src/core/backup';
import { isOcmError } from '../../../src/core/errors';
import { locateOpenclaw } from '../../../src/core/openclaw';
import { applyMigration, planMigration, type MigrationResult } from '../../../src/core/operations/migrate';
import { gatewayListening, startGateway, stopGateway, waitForReady, type GatewayTarget } from '../../../src/core/operations/gateway';
import { NodeRegistry } from '../../../src/core/registry/store';
import type { NodeEntry } from '../../../src/core/registry';
import { SshPool } from '../../../src/core/ssh/pool';
import type { Transport } from '../../../src/core/transport/types';
import { createOpenclawNode, ensureOpenclaw, httpGet, TEST_GATEWAY_TOKEN, type OpenclawTestNode } from '../../support/openclaw';
import { processesOfUid, signalAll } from '../../support/sshd/processes';
import { freePort } from '../../support/free-port';
import { shareOpenclawInstall, sharedWrapper, type SharedInstall } from '../../support/ssh-openclaw-node';
import { runAsNodeUser, startSshNodes, targetFor, writeOcmHome, type SshNode, type SshNodeSet, type TestOcmHome } from '../../support/sshd';

/**
 * Migrate end to end with real parts: two sshd harness nodes (own Unix users and homes) sharing one
 * OpenClaw 2026.9.6 install. Node A: onboarded, agent "work" with its workspace OUTSIDE the state
 * dir, MEMORY.md and a memory note, gateway running (started over SSH as A's user, like a real
 * unmanaged node). Node B: onboarded, its own gateway running.
 * - dry run changes nothing on either node; the printed diff shows the rewritten paths, no secrets;
 * - a state dir in use is refused without --replace;
 * - failure injection (invalid config in the staged state, replacing B's own state dir and port):
 *   B ends as it was, its previous gateway running again;
 * - A → B with a new state dir, new port and new token: B ready, agents with B's paths, files
 *   identical byte for byte, A untouched and still running.
 */

const VERSION = '2026.9.6';
function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Relative path → sha256 of every file below `dir` (skips .git internals: OpenClaw's workspace repo). */
function treeHashes(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== '.git') walk(p);
      } else if (e.isFile()) out.set(relative(dir, p), sha256(p));
    }
  };
  walk(dir);
  return out;
}

function cliContext(env: NodeJS.ProcessEnv): { ctx: Parameters<typeof main>[1] & object; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { ctx: { out: (s) => void (out += s), err: (s) => void (err += s), env, json: false }, out: () => out, err: () => err };
}

describe('ocm migrate between two real nodes', { timeout: 1_500_000 }, () => {
  let set: SshNodeSet;
  let A: SshNode;
  let B: SshNode;
  let ocA: OpenclawTestNode;
  let ocB: OpenclawTestNode;
  let ocmHome: TestOcmHome;
  let registry: NodeRegistry;
  let store: BackupStore;
  const pool = new SshPool();
  let tA: Transport;
  let tB: Transport;
  const started: GatewayTarget[] = [];
  let env: NodeJS.ProcessEnv;
  let shared: SharedInstall | undefined;

  const entry = (id: string): Promise<NodeEntry> => registry.get(id);
  const gatewayOf = async (node: NodeEntry, t: Transport): Promise<GatewayTarget> => ({ transport: t, location: await locateOpenclaw(t, node), node });

  before(async () => {
    // The tools cache is under /root (0700): a hard-linked, world-readable copy for the node users.
    shared = shareOpenclawInstall(await ensureOpenclaw(VERSION));
    const wrapper = sharedWrapper(shared);
    set = await startSshNodes(2, { idPrefix: 'mig' });
    [A, B] = set.nodes as [SshNode, SshNode];
    ocA = await createOpenclawNode({ version: VERSION, home: A.home, owner: A.user, agents: [{ id: 'work', workspace: join(A.home, 'work-ws') }] });
    ocB = await createOpenclawNode({ version: VERSION, home: B.home, owner: B.user, token: 'b-own-token-not-a-secret' });
    await runAsNodeUser(
      A,
      `printf '# Memory\\n- migrated with ocm\\n' > .openclaw/workspace/MEMORY.md && mkdir -p work-ws/memory && printf 'note\\n' > work-ws/memory/2026-11-22.md && printf 'work memory\\n' > work-ws/MEMORY.md`,
    );
    ocmHome = writeOcmHome(set);
    // The CLI reads host keys from ~/.ssh/known_hosts of HOME (strict policy).
    mkdirSync(join(ocmHome.home, '.ssh'), { recursive: true });
    writeFileSync(join(ocmHome.home, '.ssh', 'known_hosts'), set.nodes.map((n) => `${n.knownHostsLine}\n`).join(''));
    registry = new NodeRegistry(ocmHome.registryPath);
    for (const n of set.nodes) await registry.patch(n.id, { openclawPath: wrapper });
    store = new BackupStore(join(ocmHome.home, 'backups'));
    env = { ...process.env, OCM_HOME: ocmHome.home, HOME: ocmHome.home, OCM_BACKUP_DIR: join(ocmHome.home, 'backups') };
    tA = pool.transportFor(targetFor(A));
    tB = pool.transportFor(targetFor(B));
    // Both gateways run as their node's user, started the way ocm starts an unmanaged gateway.
    for (const [node, t] of [
      [A, tA],
      [B, tB],
    ] as const) {
      const g = await gatewayOf(await entry(node.id), t);
      started.push(g);
      await startGateway(g);
      const ready = await waitForReady(g, { timeoutMs: 300_000 });
      assert.equal(ready.ready, true, `gateway of ${node.id} not ready: ${JSON.stringify(ready)}`);
    }
  });

  after(async () => {
    for (const g of started) await stopGateway(g, { graceMs: 15_000 }).catch(() => undefined);
    // Safety net: nothing of the test users may outlive the test.
    for (const n of set?.nodes ?? []) signalAll(processesOfUid(n.uid), 'SIGKILL');
    await pool.close();
    await set?.stop();
    shared?.dispose();
  });

  it('--dry-run prints the plan and a redacted config diff and changes nothing on either node', async () => {
    const port = await freePort();
    const aConfig = readFileSync(ocA.configPath, 'utf8');
    const bConfig = readFileSync(ocB.configPath, 'utf8');
    const aWork = treeHashes(join(A.home, 'work-ws'));
    // The running gateway itself may create folders (.npm, .cache): look for what migrate would leave.
    const ours = (): string[] => readdirSync(B.home).filter((n) => n.startsWith('.ocm-migrate') || n === 'oc-migrated' || n === 'work-ws');
    const { ctx, out, err } = cliContext(env);
    const code = await main(['migrate', A.id, B.id, '--state-dir', '~/oc-migrated', '--port', String(port), '--new-token', '--dry-run'], ctx);
    assert.equal(code, 0, err() + out());
    const text = out();
    assert.match(text, /Dry run: nothing was changed/);
    assert.ok(text.includes(`${B.home}/oc-migrated`), text);
    assert.ok(text.includes(`${B.home}/work-ws`), text);
    assert.ok(text.includes(`-`) && text.includes(`${A.home}/work-ws`), text);
    assert.match(text, new RegExp(`port.*${port}`));
    assert.ok(!text.includes(TEST_GATEWAY_TOKEN), 'the source token must not be printed');
    assert.equal(readFileSync(ocA.configPath, 'utf8'), aConfig);
    assert.equal(readFileSync(ocB.configPath, 'utf8'), bConfig);
    assert.deepEqual(treeHashes(join(A.home, 'work-ws')), aWork);
    assert.deepEqual(ours(), []);
    assert.equal(existsSync(join(B.home, 'oc-migrated')), false);

    const { ctx: jctx, out: jout } = cliContext(env);
    assert.equal(await main(['migrate', A.id, B.id, '--state-dir', '~/oc-migrated', '--port', String(port), '--new-token', '--dry-run', '--json'], jctx), 0);
    const json = JSON.parse(jout()) as {
      applied: boolean;
      plan: Record<string, unknown> & {
        secrets?: unknown;
        agents: Array<{ id: string; to: { workspace: string } }>;
        config: { files: Array<{ before: string; after: string }> };
      };
    };
    assert.equal(json.applied, false);
    assert.equal(json.plan.secrets, undefined);
    assert.deepEqual(json.plan.agents.map((a) => a.id).sort(), ['main', 'work']);
    assert.equal(json.plan.agents.find((a) => a.id === 'work')!.to.workspace, join(B.home, 'work-ws'));
    assert.ok(!jout().includes(TEST_GATEWAY_TOKEN));
    assert.deepEqual(ours(), []);
  });

  it("refuses a target state dir in use (B's own, gateway running) without --replace", async () => {
    await assert.rejects(
      planMigration({ from: { node: await entry(A.id), transport: tA }, to: { node: await entry(B.id), transport: tB }, port: await freePort() }),
      (e: unknown) => isOcmError(e, 'conflict') && /--replace/.test((e as Error).message),
    );
  });

  it("failure injection: invalid config staged while replacing B's own state → B rolled back, its previous gateway running again", async () => {
    const bHashesBefore = treeHashes(join(B.home, '.openclaw', 'workspace'));
    const bConfig = readFileSync(ocB.configPath, 'utf8');
    const aConfig = readFileSync(ocA.configPath, 'utf8');
    const from = { node: await entry(A.id), transport: tA };
    const to = { node: await entry(B.id), transport: tB };
    const plan = await planMigration({ from, to, replace: true });
    assert.equal(plan.to.stateDirInUse, true);
    assert.equal(plan.to.stopsCurrentGateway, true);
    assert.equal(plan.to.gatewayPort, ocB.port);
    assert.ok(plan.config.files[0]!.targetCurrent?.includes('b-own-token-not-a-secret'), "the target's current config is there for the second diff");
    const result: MigrationResult = await applyMigration(plan, {
      from,
      to,
      store,
      registry,
      readyTimeoutMs: 300_000,
      hooks: {
        afterStage: async ({ transport, stateDir }) => {
          await transport.writeFileAtomic(`${stateDir}/openclaw.json`, Buffer.from('{ gateway: { port: 1, bogusKeyOcmInjected: true }, agents: '));
        },
      },
    });
    assert.equal(result.ok, false, JSON.stringify(result.steps));
    assert.ok(result.error?.step === 'doctor' || result.error?.step === 'validate', JSON.stringify(result.error));
    assert.deepEqual(result.rollbackErrors, []);
    assert.equal(result.rolledBack, true);
    assert.ok(result.safetyBackup, 'safety backup of B taken first');
    assert.equal(result.safetyBackup.repositoryRoot, store.repositoryRoot);
    assert.ok(
      (await store.list(B.id)).some((s) => s.id === result.safetyBackup!.backupId),
      'the safety backup of B is in the repository',
    );
    assert.ok(result.sourceBackup);
    assert.equal(result.sourceBackup.repositoryRoot, store.repositoryRoot);
    assert.ok(
      (await store.list(A.id)).some((s) => s.id === result.sourceBackup!.backupId),
      'the source backup of A is in the repository',
    );
    // The archive built from the source snapshot for the upload is gone again.
    assert.deepEqual(existsSync(join(store.repositoryRoot, 'exports', A.id)) ? readdirSync(join(store.repositoryRoot, 'exports', A.id)) : [], []);
    const undone = result.steps.filter((s) => s.status === 'undone').map((s) => s.id);
    assert.deepEqual(
      undone,
      ['upload', 'stopCurrent', 'place'].filter((id) => undone.includes(id)),
    );
    assert.ok(undone.includes('place') && undone.includes('stopCurrent'), JSON.stringify(result.steps));
    // B as it was: config, workspace, no staging leftovers, registry unchanged, gateway ready again.
    assert.equal(readFileSync(ocB.configPath, 'utf8'), bConfig);
    assert.deepEqual(treeHashes(join(B.home, '.openclaw', 'workspace')), bHashesBefore);
    assert.deepEqual(
      readdirSync(B.home).filter((n) => n.startsWith('.ocm-migrate-')),
      [],
    );
    assert.equal((await entry(B.id)).stateDir, undefined);
    const ready = await httpGet(ocB.port, '/readyz');
    assert.equal(ready.status, 200, ready.body);
    // The source was only read.
    assert.equal(readFileSync(ocA.configPath, 'utf8'), aConfig);
  });

  it('failure injection: the migrated gateway does not come back (its port taken after planning) → B rolled back, nothing of ours left running', async () => {
    const port = await freePort();
    const from = { node: await entry(A.id), transport: tA };
    const to = { node: await entry(B.id), transport: tB };
    const plan = await planMigration({ from, to, stateDir: '~/oc-taken', port });
    assert.equal(plan.to.stateDirInUse, false);
    // Another program grabs the port between preview and apply: it accepts and never answers.
    const sockets = new Set<Socket>();
    const squatter = createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', () => r()));
    let result: MigrationResult;
    try {
      result = await applyMigration(plan, { from, to, store, registry, readyTimeoutMs: 20_000 });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => squatter.close(() => r()));
    }
    assert.equal(result.ok, false, JSON.stringify(result.steps));
    assert.equal(result.error?.step, 'ready', JSON.stringify(result.error));
    assert.deepEqual(result.rollbackErrors, []);
    assert.ok(
      result.steps.some((s) => s.id === 'start' && s.status === 'undone'),
      JSON.stringify(result.steps),
    );
    assert.deepEqual(
      readdirSync(B.home).filter((n) => n.startsWith('.ocm-migrate') || n === 'oc-taken' || n === 'work-ws'),
      [],
    );
    const leftovers = execFileSync('sh', ['-c', `pgrep -u ${B.uid} -f 'gateway run --port ${port}( |$)' || true`])
      .toString()
      .trim();
    assert.equal(leftovers, '', 'the gateway migrate started is stopped');
    assert.equal((await entry(B.id)).stateDir, undefined);
    assert.equal((await httpGet(ocB.port, '/readyz')).status, 200, "B's own gateway was never touched");
  });

  it("A → B with a new state dir, new port and new token: B ready with A's agents at B's paths, files identical, A untouched and running", async () => {
    const port = await freePort();
    const aConfig = readFileSync(ocA.configPath, 'utf8');
    const aMain = treeHashes(join(A.home, '.openclaw', 'workspace'));
    const aWork = treeHashes(join(A.home, 'work-ws'));
    const aGateway = started[0]!;
    const aPidsBefore = execFileSync('sh', ['-c', `ss -Hltnp '( sport = :${ocA.port} )' | grep -o 'pid=[0-9]*' | sort -u`]).toString();
    const { ctx, out, err } = cliContext(env);
    const code = await main(['migrate', A.id, B.id, '--state-dir', '~/oc-migrated', '--port', String(port), '--new-token', '--yes', '--json'], ctx);
    const json = JSON.parse(out()) as { ok: boolean; result: MigrationResult };
    // The migrated gateway is ours to stop at the end, whatever happened.
    started.push(await gatewayOf({ ...(await entry(B.id)), stateDir: join(B.home, 'oc-migrated'), gatewayPort: port }, tB));
    assert.equal(
      code,
      0,
      `${err()}\n${JSON.stringify(json.result?.steps, null, 1)}\n${JSON.stringify(json.result?.error)}\n${(json.result?.logTail ?? []).join('\n')}`,
    );
    assert.equal(json.ok, true);
    const r = json.result;

    // B: ready on the new port, agents with B's paths.
    assert.equal((await httpGet(port, '/readyz')).status, 200);
    const agents = Object.fromEntries((r.agents ?? []).map((a) => [a.id, a]));
    assert.equal(agents.main?.workspace, join(B.home, 'oc-migrated', 'workspace'));
    assert.equal(agents.work?.workspace, join(B.home, 'work-ws'));
    assert.equal(agents.work?.agentDir, join(B.home, 'oc-migrated', 'agents', 'work', 'agent'));
    // Config adapted: new port, new token, no source paths.
    const bConfig = readFileSync(join(B.home, 'oc-migrated', 'openclaw.json'), 'utf8');
    const parsed = JSON5.parse(bConfig) as { gateway: { port: number; auth: { token: string } } };
    assert.equal(parsed.gateway.port, port);
    assert.notEqual(parsed.gateway.auth.token, TEST_GATEWAY_TOKEN);
    assert.match(parsed.gateway.auth.token, /^[0-9a-f]{48}$/);
    assert.ok(!bConfig.includes(A.home), bConfig);
    // Files identical byte for byte, owned by B's user.
    assert.deepEqual(treeHashes(join(B.home, 'oc-migrated', 'workspace')), aMain);
    assert.deepEqual(treeHashes(join(B.home, 'work-ws')), aWork);
    assert.equal(readFileSync(join(B.home, 'oc-migrated', 'workspace', 'MEMORY.md'), 'utf8'), '# Memory\n- migrated with ocm\n');
    for (const p of ['oc-migrated', 'oc-migrated/openclaw.json', 'work-ws/MEMORY.md', 'oc-migrated/workspace/MEMORY.md'])
      assert.equal(statSync(join(B.home, p)).uid, B.uid, p);
    // Registry knows where B's OpenClaw is now.
    assert.equal((await entry(B.id)).stateDir, join(B.home, 'oc-migrated'));
    // B's previous gateway (own state dir, other port) kept running.
    assert.equal((await httpGet(ocB.port, '/readyz')).status, 200);

    // A untouched and still running (same process).
    assert.equal(readFileSync(ocA.configPath, 'utf8'), aConfig);
    assert.deepEqual(treeHashes(join(A.home, '.openclaw', 'workspace')), aMain);
    assert.deepEqual(treeHashes(join(A.home, 'work-ws')), aWork);
    assert.equal(await gatewayListening(aGateway), true);
    assert.equal((await httpGet(ocA.port, '/readyz')).status, 200);
    assert.equal(execFileSync('sh', ['-c', `ss -Hltnp '( sport = :${ocA.port} )' | grep -o 'pid=[0-9]*' | sort -u`]).toString(), aPidsBefore);
  });
});
