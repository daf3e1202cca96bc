import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeSchema } from '../../../src/core/registry';
import { nodeStatus, type StatusDeps } from '../../../src/core/status';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import type { Transport } from '../../../src/core/transport/types';
import { createOpenclawNode, type OpenclawTestNode } from '../../support/openclaw';
import { fakeModelPatch, startFakeModel, type FakeModel } from './fake-model';

/**
 * Context-window usage from a REAL OpenClaw 2026.9.6 session: one agent turn against a loopback
 * model that reports 14,000 prompt tokens in a 16,000-token window, then `nodeStatus` with
 * `includeSessions` reads it through `openclaw sessions --all-agents --json` (87.5 % > 80 %).
 * The node is this machine (LocalTransport with the node's HOME): the OpenClaw install lives in
 * root's tools cache, which harness SSH users cannot execute.
 */
describe('session context usage from real OpenClaw 2026.9.6', { timeout: 600_000 }, () => {
  let root: string;
  let openclaw: OpenclawTestNode;
  let model: FakeModel;
  let wrapper: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ocm-status-sessions-'));
    model = await startFakeModel(14_000);
    openclaw = await createOpenclawNode({ version: '2026.9.6', home: root });
    const patch = join(root, 'patch.json5');
    await writeFile(patch, JSON.stringify(fakeModelPatch(model.port, 16_000)));
    const patched = await openclaw.run(['config', 'patch', '--file', patch]);
    assert.equal(patched.code, 0, patched.stderr);
    const turn = await openclaw.run(['agent', '--local', '--agent', 'main', '--message', 'hello', '--json'], { timeoutMs: 240_000 });
    assert.equal(turn.code, 0, turn.stdout.slice(-2000) + turn.stderr.slice(-2000));
    assert.ok(model.requests > 0, 'the agent called the model');
    // What the registry's openclawPath would point at on a real node: an executable `openclaw`.
    wrapper = join(root, 'bin', 'openclaw');
    await (await import('node:fs/promises')).mkdir(join(root, 'bin'));
    await writeFile(wrapper, `#!/bin/sh\nexec '${openclaw.install.nodeBin}' '${openclaw.install.bin}' "$@"\n`);
    await chmod(wrapper, 0o755);
  });
  after(async () => {
    await model?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  function deps(): StatusDeps {
    const env = { HOME: root, PATH: '/usr/bin:/bin', SHELL: '/bin/sh', ENV: '', OPENCLAW_OFFLINE: '1', OPENCLAW_NO_AUTO_UPDATE: '1', OPENCLAW_DISABLE_BONJOUR: '1' };
    const local = new LocalTransport({ nodeId: 'oc' });
    const transport = new Proxy(local, {
      get(target, prop, receiver) {
        if (prop === 'exec') return (cmd: string, opts: Record<string, unknown> = {}) => target.exec(cmd, { ...opts, env: { ...env, ...((opts.env as Record<string, string>) ?? {}) } });
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Transport;
    return { transportFor: async () => transport };
  }
  const entry = () => nodeSchema.parse({ id: 'oc', host: 'local', openclawPath: wrapper });

  it('without includeSessions the SQLite-era node is skipped (no CLI run), with a note', async () => {
    const s = await nodeStatus(entry(), deps());
    assert.equal(s.openclaw?.version, '2026.9.6', JSON.stringify(s.openclaw));
    assert.equal(s.sessions?.source, 'skipped');
    assert.match(s.sessions?.note ?? '', /--sessions/);
  });

  it('with includeSessions: the real row (fresh, totalTokensVersion 1) gives 87.5 % and is flagged over 80 %', async () => {
    const s = await nodeStatus(entry(), deps(), { includeSessions: true, timeoutMs: 120_000 });
    assert.equal(s.sessions?.source, 'openclaw-cli', JSON.stringify(s.sessions));
    const row = s.sessions?.rows.find((r) => r.key === 'agent:main:main');
    assert.ok(row, JSON.stringify(s.sessions));
    assert.equal(row.agentId, 'main');
    assert.equal(row.totalTokens, 14_000);
    assert.equal(row.contextTokens, 16_000);
    assert.equal(row.fresh, true);
    assert.equal(row.usedPct, 87.5);
    assert.equal(row.overThreshold, true);
    assert.ok(s.anomalies.some((a) => a.kind === 'contextOverThreshold' && a.message.includes('87.5%')), JSON.stringify(s.anomalies));
    const relaxed = await nodeStatus(entry(), deps(), { includeSessions: true, thresholdPct: 90, timeoutMs: 120_000 });
    assert.equal(relaxed.sessions?.rows.find((r) => r.key === 'agent:main:main')?.overThreshold, false);
  });
});
