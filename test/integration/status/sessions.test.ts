import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deepMerge } from '../../../src/core/openclaw/config';
import { nodeSchema } from '../../../src/core/registry';
import { nodeStatus, type StatusDeps } from '../../../src/core/status';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import type { Transport } from '../../../src/core/transport/types';
import { createOpenclawNode, type OpenclawTestNode } from '../../support/openclaw';
import { fakeModelPatch, startFakeModel, type FakeModel } from './fake-model';

/**
 * Context-window usage from REAL OpenClaw sessions: one agent turn against a loopback model that
 * reports 7/8 of the window as the prompt, then `nodeStatus` reads it — from sessions.json on
 * 2026.7.1 (no CLI), through `openclaw sessions --all-agents --json` on 2026.9.6 (only with
 * includeSessions). 87.5 % > 80 % is flagged. The node is this machine (LocalTransport with the
 * node's HOME): the OpenClaw install lives in root's tools cache, which harness SSH users cannot run.
 */

/** HOME-redirecting LocalTransport: the node is this machine, seen with the test node's HOME. */
function depsFor(home: string): StatusDeps {
  const env = {
    HOME: home,
    PATH: '/usr/bin:/bin',
    SHELL: '/bin/sh',
    ENV: '',
    OPENCLAW_OFFLINE: '1',
    OPENCLAW_NO_AUTO_UPDATE: '1',
    OPENCLAW_DISABLE_BONJOUR: '1',
  };
  const local = new LocalTransport({ nodeId: 'oc' });
  const transport = new Proxy(local, {
    get(target, prop, receiver) {
      if (prop === 'exec')
        return (cmd: string, opts: Record<string, unknown> = {}) =>
          target.exec(cmd, { ...opts, env: { ...env, ...((opts.env as Record<string, string>) ?? {}) } });
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as Transport;
  return { transportFor: async () => transport };
}

/**
 * A node of `version` in a temp home with one real agent turn recorded (the model reports 7/8 of
 * `contextWindow` as the prompt: 87.5 %), and an `openclaw` wrapper. 2026.7.1 refuses a turn whose
 * estimated prompt does not fit, so it needs a larger window than 2026.9.6.
 */
async function nodeWithSession(
  version: string,
  model: FakeModel,
  contextWindow: number,
): Promise<{ root: string; openclaw: OpenclawTestNode; wrapper: string }> {
  const root = await mkdtemp(join(tmpdir(), 'ocm-status-sessions-'));
  const openclaw = await createOpenclawNode({ version, home: root });
  // Merged straight into openclaw.json (what `openclaw config patch` would write, without its ~20 s start-up).
  const config = JSON.parse(await readFile(openclaw.configPath, 'utf8')) as Record<string, unknown>;
  await writeFile(openclaw.configPath, JSON.stringify(deepMerge(config, fakeModelPatch(model.port, contextWindow)), null, 2));
  const turn = await openclaw.run(['agent', '--local', '--agent', 'main', '--message', 'hello', '--json'], { timeoutMs: 240_000 });
  assert.equal(turn.code, 0, turn.stdout.slice(-2000) + turn.stderr.slice(-2000));
  // What the registry's openclawPath would point at on a real node: an executable `openclaw`.
  const wrapper = join(root, 'bin', 'openclaw');
  await mkdir(join(root, 'bin'));
  await writeFile(wrapper, `#!/bin/sh\nexec '${openclaw.install.nodeBin}' '${openclaw.install.bin}' "$@"\n`);
  await chmod(wrapper, 0o755);
  return { root, openclaw, wrapper };
}

describe('session context usage from real OpenClaw 2026.7.1 (sessions.json, no CLI run)', { timeout: 600_000 }, () => {
  let model: FakeModel;
  let node: Awaited<ReturnType<typeof nodeWithSession>>;
  before(async () => {
    model = await startFakeModel(56_000);
    node = await nodeWithSession('2026.7.1', model, 64_000);
  });
  after(async () => {
    await model?.close();
    if (node) await rm(node.root, { recursive: true, force: true });
  });

  it('the fast path reads agents/main/sessions/sessions.json and agrees with "openclaw sessions --json"', async () => {
    const s = await nodeStatus(nodeSchema.parse({ id: 'oc', host: 'local', openclawPath: node.wrapper }), depsFor(node.root));
    assert.equal(s.openclaw?.version, '2026.7.1');
    assert.equal(s.sessions?.source, 'sessions.json', JSON.stringify(s.sessions));
    const row = s.sessions?.rows.find((r) => r.key === 'agent:main:main');
    assert.ok(row, JSON.stringify(s.sessions));
    assert.equal(row.usedPct, 87.5);
    assert.equal(row.overThreshold, true);
    const cli = await node.openclaw.runJson<{ sessions: Array<Record<string, unknown>> }>(['sessions', '--all-agents', '--json']);
    const cliRow = cli.sessions.find((r) => r.key === 'agent:main:main')!;
    assert.deepEqual([row.totalTokens, row.contextTokens, row.fresh], [cliRow.totalTokens, cliRow.contextTokens, cliRow.totalTokensFresh === true]);
  });
});

describe('session context usage from real OpenClaw 2026.9.6 (SQLite: openclaw sessions only when asked)', { timeout: 600_000 }, () => {
  let model: FakeModel;
  let node: Awaited<ReturnType<typeof nodeWithSession>>;
  before(async () => {
    model = await startFakeModel(14_000);
    node = await nodeWithSession('2026.9.6', model, 16_000);
  });
  after(async () => {
    await model?.close();
    if (node) await rm(node.root, { recursive: true, force: true });
  });
  const entry = () => nodeSchema.parse({ id: 'oc', host: 'local', openclawPath: node.wrapper });

  it('without includeSessions the SQLite-era node is skipped (no CLI run), with a note', async () => {
    const s = await nodeStatus(entry(), depsFor(node.root));
    assert.equal(s.openclaw?.version, '2026.9.6', JSON.stringify(s.openclaw));
    assert.equal(s.sessions?.source, 'skipped');
    assert.match(s.sessions?.note ?? '', /--sessions/);
  });

  it('with includeSessions: the real row (fresh, totalTokensVersion 1) gives 87.5 % and is flagged over 80 %', async () => {
    const s = await nodeStatus(entry(), depsFor(node.root), { includeSessions: true, timeoutMs: 120_000 });
    assert.equal(s.sessions?.source, 'openclaw-cli', JSON.stringify(s.sessions));
    const row = s.sessions?.rows.find((r) => r.key === 'agent:main:main');
    assert.ok(row, JSON.stringify(s.sessions));
    assert.equal(row.agentId, 'main');
    assert.equal(row.totalTokens, 14_000);
    assert.equal(row.contextTokens, 16_000);
    assert.equal(row.fresh, true);
    assert.equal(row.usedPct, 87.5);
    assert.equal(row.overThreshold, true);
    assert.ok(
      s.anomalies.some((a) => a.kind === 'contextOverThreshold' && a.message.includes('87.5%')),
      JSON.stringify(s.anomalies),
    );
    const relaxed = await nodeStatus(entry(), depsFor(node.root), { includeSessions: true, thresholdPct: 90, timeoutMs: 120_000 });
    assert.equal(relaxed.sessions?.rows.find((r) => r.key === 'agent:main:main')?.overThreshold, false);
  });
});
