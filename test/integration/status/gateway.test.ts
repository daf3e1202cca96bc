import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nodeSchema } from '../../../src/core/registry';
import { SshPool } from '../../../src/core/ssh/pool';
import { nodeStatus, type StatusDeps } from '../../../src/core/status';
import { createOpenclawNode, type OpenclawTestNode } from '../../support/openclaw';
import { startSshNodes, targetFor, type SshNodeSet } from '../../support/sshd';

/**
 * A REAL OpenClaw 2026.9.6 gateway in a harness node's home, asked through the SSH transport's
 * connectTcp (direct-tcpip to the node's loopback) — ready while it runs, down after SIGTERM.
 * The gateway is started once for the file (~11 s).
 */
describe('status of a real OpenClaw gateway over SSH', { timeout: 300_000 }, () => {
  let set: SshNodeSet;
  let openclaw: OpenclawTestNode;
  const pool = new SshPool();
  let deps: StatusDeps;

  before(async () => {
    set = await startSshNodes(1, { idPrefix: 'gw' });
    const node = set.nodes[0]!;
    openclaw = await createOpenclawNode({ version: '2026.9.6', home: node.home, owner: node.user });
    await openclaw.startGateway();
    deps = { transportFor: async () => pool.transportFor(targetFor(node)) };
  });
  after(async () => {
    await openclaw?.stopGateway();
    await pool.close();
    await set?.stop();
  });

  const entry = () => nodeSchema.parse({ id: set.nodes[0]!.id, host: set.nodes[0]!.host, port: set.nodes[0]!.port, user: set.nodes[0]!.user });

  it('running gateway: live, ready, version and uptime from /startupz, port and agents from the config', async () => {
    const s = await nodeStatus(entry(), deps);
    assert.equal(s.reachable, true, JSON.stringify(s.error));
    assert.equal(s.openclaw?.configExists, true);
    assert.equal(s.openclaw?.gatewayPort, openclaw.port);
    assert.equal(s.openclaw?.gatewayPortSource, 'config');
    assert.deepEqual(s.agents?.ids, ['main']);
    assert.equal(s.gateway?.live, true, JSON.stringify(s.gateway));
    assert.equal(s.gateway?.ready, true, JSON.stringify(s.gateway));
    assert.deepEqual(s.gateway?.failing, []);
    assert.equal(s.gateway?.startup, 'started');
    assert.equal(s.gateway?.version, '2026.9.6');
    assert.ok((s.gateway?.uptimeMs ?? 0) > 0);
    assert.ok(!s.anomalies.some((a) => a.kind === 'gatewayDown' || a.kind === 'gatewayNotReady'), JSON.stringify(s.anomalies));
  });

  it('after kill -TERM: not live, not ready, flagged', async () => {
    await openclaw.stopGateway();
    const s = await nodeStatus(entry(), deps);
    assert.equal(s.reachable, true);
    assert.equal(s.gateway?.live, false, JSON.stringify(s.gateway));
    assert.equal(s.gateway?.ready, false);
    assert.match(s.gateway?.error ?? '', /nothing listens/);
    const down = s.anomalies.find((a) => a.kind === 'gatewayDown');
    assert.ok(down, JSON.stringify(s.anomalies));
    assert.equal(down.severity, 'error');
  });
});
