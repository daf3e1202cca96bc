import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { locateOpenclaw } from '../../../src/core/openclaw';
import { startGateway, stopGateway, waitForReady, type RestartResult } from '../../../src/core/operations';
import { SshPool } from '../../../src/core/ssh/pool';
import type { Transport } from '../../../src/core/transport/types';
import { runCli } from '../../support/cli';
import { createOpenclawNode, ensureOpenclaw } from '../../support/openclaw';
import { startSshNodes, targetFor, type SshNodeSet } from '../../support/sshd';
import { cliEnvFor, entryFor, installWrapper, nodeEntryFor, shareOpenclawInstall, type SharedInstall } from '../../support/ssh-openclaw-node';

/**
 * `ocm restart` against a REAL OpenClaw 2026.9.6 gateway run by a harness sshd node's own user
 * (started over SSH with ocm's default detached start): graceful restart → ready again with the
 * time reported; --force → ready again; a start command that exits → not ready, failing checks
 * and log lines reported, exit 1; then a plain restart starts it again.
 */
describe('ocm restart over real sshd with a real gateway', { timeout: 600_000 }, () => {
  let set: SshNodeSet;
  let shared: SharedInstall;
  let wrapper: string;
  const pool = new SshPool();
  let transport: Transport;
  let cli: ReturnType<typeof cliEnvFor>;

  const located = async () => locateOpenclaw(transport, nodeEntryFor(set.nodes[0]!, { openclawPath: wrapper }));

  before(async () => {
    set = await startSshNodes(1, { idPrefix: 'rs' });
    const node = set.nodes[0]!;
    shared = shareOpenclawInstall(await ensureOpenclaw('2026.9.6'));
    await createOpenclawNode({ version: '2026.9.6', home: node.home, owner: node.user });
    wrapper = installWrapper(node, shared);
    transport = pool.transportFor(targetFor(node));
    const location = await located();
    await startGateway({ transport, location, node: { id: node.id } });
    const ready = await waitForReady({ transport, location, node: { id: node.id } }, { timeoutMs: 300_000 });
    assert.equal(ready.ready, true, JSON.stringify(ready));
    cli = cliEnvFor(set, [entryFor(node, { openclawPath: wrapper })]);
  });
  after(async () => {
    if (transport && set) {
      const location = await located().catch(() => undefined);
      if (location) await stopGateway({ transport, location, node: { id: set.nodes[0]!.id } }).catch(() => undefined);
    }
    await pool.close();
    await set?.stop();
    shared?.dispose();
  });

  it('graceful restart: openclaw gateway restart, ready again, time reported', async () => {
    const run = await runCli(['restart', set.nodes[0]!.id, '--json', '--timeout', '240'], cli.env);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const r = run.json<RestartResult>();
    assert.equal(r.ok, true);
    assert.equal(r.mode, 'graceful');
    assert.equal(r.method, 'openclaw-restart');
    assert.equal(r.supervisor, 'unmanaged');
    assert.equal(r.wasRunning, true);
    assert.ok((r.readyAfterMs ?? 0) > 0, JSON.stringify(r));
    const text = await runCli(['restart', set.nodes[0]!.id, '--timeout', '240'], cli.env);
    assert.equal(text.code, 0, text.stdout + text.stderr);
    assert.match(text.stdout, /restarted \(unmanaged\); ready after \d+\.\d s/);
  });

  it('--force: the gateway is killed and started again, ready again', async () => {
    const before = await located();
    const run = await runCli(['restart', set.nodes[0]!.id, '--force', '--json', '--timeout', '240'], cli.env);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const r = run.json<RestartResult>();
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.method, 'stop-start');
    assert.ok((await waitForReady({ transport, location: before, node: { id: set.nodes[0]!.id } }, { timeoutMs: 5_000 })).ready);
  });

  it('a start command that exits: not ready within the timeout, failing checks and log lines reported, exit 1; a plain restart brings it back', async () => {
    const node = set.nodes[0]!;
    cli.writeRegistry([entryFor(node, { openclawPath: wrapper, startCommand: 'echo "start command ran but did not start anything"; exit 0' })]);
    const run = await runCli(['restart', node.id, '--force', '--json', '--timeout', '8'], cli.env);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const r = run.json<RestartResult>();
    assert.equal(r.ok, false);
    assert.match(r.lastError ?? r.failing.join(','), /nothing listens/);
    assert.ok(Array.isArray(r.logTail), JSON.stringify(r));
    const text = await runCli(['restart', node.id, '--timeout', '5'], cli.env);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /NOT ready within 5 s/);
    assert.match(text.stdout, /last probe: nothing listens/);
    cli.writeRegistry([entryFor(node, { openclawPath: wrapper })]);
    const back = await runCli(['restart', node.id, '--json', '--timeout', '240'], cli.env);
    assert.equal(back.code, 0, back.stdout + back.stderr);
    const b = back.json<RestartResult>();
    assert.equal(b.method, 'start');
    assert.equal(b.wasRunning, false);
    assert.equal(b.ok, true);
  });
});
