import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { locateOpenclaw } from '../../../src/core/openclaw';
import { parseJson5 } from '../../../src/core/openclaw/config';
import { startGateway, stopGateway, waitForReady } from '../../../src/core/operations';
import { SshPool } from '../../../src/core/ssh/pool';
import { probeGatewayToken } from '../../../src/core/token';
import type { Transport } from '../../../src/core/transport/types';
import { runCli, type CliRun } from '../../support/cli';
import { createOpenclawNode, ensureOpenclaw } from '../../support/openclaw';
import { startSshNodes, targetFor, type SshNodeSet } from '../../support/sshd';
import { cliEnvFor, entryFor, installWrapper, nodeEntryFor, shareOpenclawInstall, type SharedInstall } from '../../support/ssh-openclaw-node';

/**
 * `ocm token rotate` against a REAL OpenClaw 2026.9.6 gateway on harness sshd node n1 (run by its
 * user, started over SSH), with n2 a dependant whose gateway.remote.token points at n1's gateway.
 * n2's state dir is a copy of n1's onboarded one (one onboard for the whole file). Rotation: both
 * configs and n1's .env get the new token, the gateway hot-reloads it, n2's token is accepted, the
 * old one refused. Fault injection: n2's state dir made read-only for its user → its config write
 * fails after n1 was updated → both nodes are back on the old token byte for byte, and the gateway
 * accepts it. No token ever appears in stdout/stderr/--json.
 */
describe('ocm token rotate over real sshd with a real 2026.9.6 gateway and a dependant', { timeout: 600_000 }, () => {
  const OLD = 'rotation-test-old-token-0123456789abcdef';
  let set: SshNodeSet;
  let shared: SharedInstall;
  const pool = new SshPool();
  let gwTransport: Transport;
  let cli: ReturnType<typeof cliEnvFor>;
  let port: number;
  let n1Config: string;
  let n2Config: string;
  let n1Env: string;

  const located = async () => locateOpenclaw(gwTransport, nodeEntryFor(set.nodes[0]!, { openclawPath: join(set.nodes[0]!.home, '.local', 'bin', 'openclaw') }));
  const readJson = (path: string) =>
    parseJson5(readFileSync(path, 'utf8'), path) as { gateway: { auth: { token: string }; remote?: { token?: string; url?: string } } };
  const noSecret = (run: CliRun, secrets: string[]) => {
    for (const s of secrets) {
      assert.ok(!run.stdout.includes(s), `a token appears in stdout`);
      assert.ok(!run.stderr.includes(s), `a token appears in stderr`);
    }
  };

  before(async () => {
    set = await startSshNodes(2, { idPrefix: 'tk' });
    const [n1, n2] = set.nodes as [(typeof set.nodes)[0] & object, (typeof set.nodes)[1] & object];
    shared = shareOpenclawInstall(await ensureOpenclaw('2026.9.6'));
    const node = await createOpenclawNode({ version: '2026.9.6', home: n1.home, owner: n1.user, token: OLD });
    port = node.port;
    n1Config = join(n1.home, '.openclaw', 'openclaw.json');
    n1Env = join(n1.home, '.openclaw', '.env');
    writeFileSync(n1Env, `# gateway secrets\nOPENCLAW_GATEWAY_TOKEN=${OLD}\nOTHER=1\n`, { mode: 0o600 });
    // n2: a copy of the onboarded state, its own port and token, a client of n1's gateway.
    cpSync(join(n1.home, '.openclaw'), join(n2.home, '.openclaw'), { recursive: true });
    n2Config = join(n2.home, '.openclaw', 'openclaw.json');
    const cfg = JSON.parse(readFileSync(n2Config, 'utf8').split(n1.home).join(n2.home)) as Record<string, any>;
    cfg.gateway.port = port + 1;
    cfg.gateway.auth.token = 'n2-own-token-not-rotated-0000000000';
    cfg.gateway.remote = { url: `ws://127.0.0.1:${port}`, token: OLD };
    writeFileSync(n2Config, JSON.stringify(cfg, null, 2) + '\n');
    execFileSync('rm', ['-f', join(n2.home, '.openclaw', '.env')]);
    installWrapper(n1, shared);
    installWrapper(n2, shared);
    execFileSync('chown', ['-R', `${n1.user}:`, n1.home]);
    execFileSync('chown', ['-R', `${n2.user}:`, n2.home]);
    gwTransport = pool.transportFor(targetFor(n1));
    const location = await located();
    await startGateway({ transport: gwTransport, location, node: { id: n1.id } });
    const ready = await waitForReady({ transport: gwTransport, location, node: { id: n1.id } }, { timeoutMs: 300_000 });
    assert.equal(ready.ready, true, JSON.stringify(ready));
    cli = cliEnvFor(set, [
      entryFor(n1, { openclawPath: join(n1.home, '.local', 'bin', 'openclaw') }),
      entryFor(n2, { openclawPath: join(n2.home, '.local', 'bin', 'openclaw') }),
    ]);
  });
  after(async () => {
    if (gwTransport && set) {
      const location = await located().catch(() => undefined);
      if (location) await stopGateway({ transport: gwTransport, location, node: { id: set.nodes[0]!.id } }).catch(() => undefined);
    }
    await pool.close();
    await set?.stop();
    shared?.dispose();
  });

  let rotated: string;

  it('dry run: the plan names n1 (config, .env) and the dependant n2, tokens masked; without --yes it exits 2', async () => {
    const [n1, n2] = set.nodes;
    const dry = await runCli(['token', 'rotate', n1!.id, '--dry-run', '--json'], cli.env);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    noSecret(dry, [OLD]);
    const plan = dry.json().plan;
    assert.deepEqual(
      plan.dependants.map((d: { nodeId: string }) => d.nodeId),
      [n2!.id],
    );
    assert.deepEqual(
      plan.places.map((p: { nodeId: string; path: string }) => `${p.nodeId}:${p.path}`).sort(),
      [`${n1!.id}:${n1Config}`, `${n1!.id}:${n1Env}`, `${n2!.id}:${n2Config}`].sort(),
    );
    assert.match(plan.gateway.oldToken, /^rota…\(40 chars\)$/);
    const text = await runCli(['token', 'rotate', n1!.id, '--dry-run'], cli.env);
    assert.equal(text.code, 0);
    noSecret(text, [OLD]);
    assert.match(text.stdout, /gateway\.remote\.token/);
    const refused = await runCli(['token', 'rotate', n1!.id], cli.env);
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /--yes/);
    assert.equal(readJson(n1Config).gateway.auth.token, OLD);
  });

  it('--yes: every place gets the new token, the gateway takes it without a restart, n2 is verified, the old token is refused', async () => {
    const [n1, n2] = set.nodes;
    const run = await runCli(['token', 'rotate', n1!.id, '--yes', '--json'], cli.env);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const out = run.json();
    assert.equal(out.ok, true, JSON.stringify(out.result));
    rotated = readJson(n1Config).gateway.auth.token;
    assert.notEqual(rotated, OLD);
    assert.match(rotated, /^[0-9a-f]{48}$/);
    noSecret(run, [OLD, rotated]);
    assert.equal(readJson(n2Config).gateway.remote!.token, rotated);
    assert.equal(readFileSync(n1Env, 'utf8'), `# gateway secrets\nOPENCLAW_GATEWAY_TOKEN=${rotated}\nOTHER=1\n`);
    assert.deepEqual(out.result.verified, [{ nodeId: n2!.id, ok: true }]);
    assert.equal(out.result.restarted, false);
    assert.equal((await probeGatewayToken(gwTransport, port, rotated)).verdict, 'accepted');
    assert.equal((await probeGatewayToken(gwTransport, port, OLD)).verdict, 'refused');
    void n2;
  });

  it('fault injection: n2 cannot be written after n1 was updated → both back on the previous token byte for byte, gateway works with it', async () => {
    const [n1, n2] = set.nodes;
    const before1 = readFileSync(n1Config);
    const before2 = readFileSync(n2Config);
    const beforeEnv = readFileSync(n1Env);
    const stateDir2 = join(n2!.home, '.openclaw');
    execFileSync('chmod', ['0555', stateDir2]);
    let run: CliRun;
    try {
      run = await runCli(['token', 'rotate', n1!.id, '--yes', '--json'], cli.env);
    } finally {
      execFileSync('chmod', ['0700', stateDir2]);
    }
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const out = run.json();
    assert.equal(out.ok, false);
    assert.equal(out.result.rolledBack, true, JSON.stringify(out.result));
    assert.match(out.result.error.step, new RegExp(`^write:${n2!.id}:`));
    const steps = out.result.steps as Array<{ id: string; status: string }>;
    assert.equal(steps.find((s) => s.id === `write:${n1!.id}:${n1Config}`)?.status, 'undone');
    assert.equal(steps.find((s) => s.id === `reload:${n1!.id}`)?.status, 'done');
    assert.deepEqual(readFileSync(n1Config), before1);
    assert.deepEqual(readFileSync(n2Config), before2);
    assert.deepEqual(readFileSync(n1Env), beforeEnv);
    noSecret(run, [OLD, rotated]);
    assert.equal((await probeGatewayToken(gwTransport, port, rotated)).verdict, 'accepted');
    const location = await located();
    assert.equal((await waitForReady({ transport: gwTransport, location, node: { id: n1!.id } }, { timeoutMs: 10_000 })).ready, true);
  });

  it('ocm doctor over sshd: n2 follows n1 (no stale token), n2 has no gateway (error → exit 1), no token in the report', async () => {
    const [n1, n2] = set.nodes;
    const run = await runCli(['doctor', '--json'], cli.env);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const codes = (run.json().findings as Array<{ code: string; nodeId: string }>).map((f) => `${f.code}:${f.nodeId}`);
    assert.ok(!codes.some((c) => c.startsWith('tokenStale')), codes.join());
    assert.ok(codes.includes(`gatewayDown:${n2!.id}`), codes.join());
    assert.ok(!codes.some((c) => c.endsWith(`:${n1!.id}`) && !c.startsWith('noBackup')), codes.join());
    noSecret(run, [OLD, rotated]);
    // A dependant left on an old token is what the doctor is for.
    const cfg = JSON.parse(readFileSync(n2Config, 'utf8'));
    cfg.gateway.remote.token = OLD;
    writeFileSync(n2Config, JSON.stringify(cfg, null, 2));
    const stale = await runCli(['doctor', n1!.id, n2!.id, '--json'], cli.env);
    const finding = (stale.json().findings as Array<{ code: string; nodeId: string; fix: string }>).find((f) => f.code === 'tokenStale');
    assert.equal(finding?.nodeId, n2!.id);
    assert.equal(finding?.fix, `ocm token rotate ${n1!.id}`);
    noSecret(stale, [OLD, rotated]);
  });
});
