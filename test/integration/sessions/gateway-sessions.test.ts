import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { pathKey, readHistoryEntry } from '../../../src/core/history/store';
import { locateOpenclaw } from '../../../src/core/openclaw/locate';
import { nodeSchema, type NodeEntry } from '../../../src/core/registry';
import { captureRemotePath, connectGatewayRpc, runSessionAction, sessionId } from '../../../src/core/sessions';
import { nodeStatus } from '../../../src/core/status';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import { shellQuote } from '../../../src/core/transport/shell-quote';
import type { Transport } from '../../../src/core/transport/types';
import { runCli, tempOcmHome } from '../../support/cli';
import { ensureOpenclaw, TEST_GATEWAY_TOKEN } from '../../support/openclaw';
import { materialiseFixture } from '../../support/openclaw-fixtures';
import { prepareGatewayNode, type GatewayNode } from '../../support/openclaw-gateway-node';

/**
 * Sessions of a REAL OpenClaw 2026.9.6 gateway (pre-onboarded fixture copied, stub model on
 * loopback, sessions created by the gateway itself through `sessions.create` with a first turn):
 * read by default through the gateway RPC, flagged and predicted, compacted / reset / archived
 * through the RPC with the transcript captured first, a gateway killed mid-compact, and the
 * 2026.7.1 "not supported" answer.
 */

function transportAs(home: string): Transport {
  const local = new LocalTransport({ nodeId: 'gw' });
  const exec = local.exec.bind(local);
  local.exec = (cmd, opts = {}) => exec(cmd, { ...opts, env: { HOME: home, PATH: '/usr/bin:/bin', SHELL: '/bin/sh', ENV: '', ...(opts.env ?? {}) } });
  return local;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('sessions through a real OpenClaw 2026.9.6 gateway', { timeout: 600_000 }, () => {
  let node: GatewayNode;
  let transport: Transport;
  let entry: NodeEntry;
  let home: string;
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, OCM_HOME: home, OCM_LANG: 'en' });

  /** A session made by the gateway with one real turn (the stub reports the current promptTokens). */
  async function createSession(key: string): Promise<void> {
    const rpc = await connectGatewayRpc(transport, { port: node.openclaw.port, token: TEST_GATEWAY_TOKEN });
    try {
      await rpc.call('sessions.create', { key, agentId: 'main', message: `hello from ${key}` }, { timeoutMs: 60_000 });
      let lastRequests = -1;
      await waitFor(`${key} to have a fresh count and the gateway's follow-up model calls to end`, async () => {
        if (node.model.requests !== lastRequests) {
          lastRequests = node.model.requests;
          await new Promise((r) => setTimeout(r, 2000));
          return undefined;
        }
        const list = await rpc.call<{ sessions: Array<Record<string, unknown>> }>('sessions.list', { agentId: 'main' });
        const row = list.sessions.find((s) => s.key === key);
        return row && row.totalTokensFresh === true && row.hasActiveRun === false ? row : undefined;
      });
    } finally {
      rpc.close();
    }
  }

  before(async () => {
    node = await prepareGatewayNode({ contextWindow: 16_000, promptTokens: 14_000 });
    transport = transportAs(node.fixture.home);
    entry = nodeSchema.parse({ id: 'gw', host: 'local', openclawPath: node.wrapper, stateDir: node.fixture.stateDir });
    home = await tempOcmHome();
    await node.start();
    await createSession('agent:main:side');
    const add = await runCli(['add', 'gw', 'local', '--openclaw', node.wrapper, '--state-dir', node.fixture.stateDir], env());
    assert.equal(add.code, 0, add.stderr);
  });
  after(async () => {
    await node?.cleanup();
  });

  it('status reads sessions from the running gateway by default, flags 87.5 % and predicts from recorded samples', async () => {
    // One earlier sample an hour ago (8000 tokens) as if a previous check had recorded it.
    await mkdir(join(home, 'sessions'), { recursive: true, mode: 0o700 });
    await writeFile(
      join(home, 'sessions', 'gw.json'),
      JSON.stringify({
        version: 1,
        sessions: { [sessionId('main', 'agent:main:side')]: { samples: [{ t: Date.now() - 3_600_000, tokens: 8000 }], lastSeen: Date.now() } },
      }),
      { mode: 0o600 },
    );
    const s = await nodeStatus(entry, { transportFor: async () => transport }, { predict: { home, warnHours: 6 }, timeoutMs: 60_000 });
    assert.equal(s.sessions?.source, 'gateway-rpc', JSON.stringify(s.sessions));
    const row = s.sessions!.rows.find((r) => r.key === 'agent:main:side');
    assert.ok(row, JSON.stringify(s.sessions));
    assert.equal(row.usedPct, 87.5);
    assert.equal(row.overThreshold, true);
    assert.equal(row.active, false);
    // 6000 tokens/h, 2000 left → about 0.3 h.
    assert.ok(row.growthTokensPerHour! > 5000 && row.growthTokensPerHour! < 7000, JSON.stringify(row));
    assert.ok(row.hoursToWindow! > 0.2 && row.hoursToWindow! < 0.5, JSON.stringify(row));
    assert.equal(row.predictedOverflow, true);
    assert.ok(
      s.anomalies.some((a) => a.kind === 'contextPredictedOverflow'),
      JSON.stringify(s.anomalies),
    );

    const cli = await runCli(['status', 'gw', '--json', '--no-fail'], env());
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.json().nodes[0].sessions.source, 'gateway-rpc');
    const off = await runCli(['status', 'gw', '--json', '--no-fail', '--no-sessions'], env());
    assert.equal(off.json().nodes[0].sessions.source, 'skipped');
  });

  it('ocm sessions lists key, activity, context and transcript size (en and ja)', async () => {
    const list = await runCli(['sessions', 'gw', '--json'], env());
    assert.equal(list.code, 0, list.stderr);
    const row = list.json().rows.find((r: { key: string }) => r.key === 'agent:main:side');
    assert.ok(row.transcriptBytes > 0, JSON.stringify(row));
    assert.ok((row.lastActivityAt ?? row.updatedAt) > 0, JSON.stringify(row));
    const table = await runCli(['sessions', 'gw'], env());
    assert.match(table.stdout, /agent:main:side .*88% !/);
    const ja = await runCli(['sessions', 'gw'], { ...env(), OCM_LANG: 'ja' });
    assert.match(ja.stdout, /キー/);
  });

  it('compact: without --yes and without a terminal exits 2; with --yes the transcript is captured first and context use drops', async () => {
    const refused = await runCli(['sessions', 'compact', 'gw', 'agent:main:side', '--json'], env());
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    const dry = await runCli(['sessions', 'compact', 'gw', 'agent:main:side', '--dry-run', '--json'], env());
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.json().session.usedPct, 87.5);
    node.model.promptTokens = 2000;
    const run = await runCli(['sessions', 'compact', 'gw', 'agent:main:side', '--yes', '--json'], env());
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const result = run.json();
    assert.equal(result.before.usedPct, 87.5);
    assert.ok(result.after === undefined || result.after.usedPct === undefined || result.after.usedPct < 87.5, JSON.stringify(result.after));
    const { entry: h, content } = await readHistoryEntry(home, result.backup.id);
    assert.equal(h.remotePath, captureRemotePath('main', 'agent:main:side'));
    const capture = JSON.parse(content.toString('utf8'));
    assert.equal(capture.action, 'compact');
    assert.ok(JSON.stringify(capture.messages).includes('hello from agent:main:side'), 'the old transcript is in the backup');
    assert.equal(capture.row.totalTokens, 14_000);
  });

  it('reset starts a new session (new session id), archive removes it from the list; both captured first', async () => {
    const location = await locateOpenclaw(transport, entry);
    const reset = await runSessionAction(transport, location, {
      nodeId: 'gw',
      agentId: 'main',
      key: 'agent:main:side',
      action: 'reset',
      home,
      thresholdPct: 80,
    });
    // OpenClaw 2026.9.6 resets in place (same session id, empty transcript, count 0).
    assert.ok(reset.after && (reset.after.sessionId !== reset.before.sessionId || reset.after.totalTokens === 0), JSON.stringify([reset.before, reset.after]));
    assert.equal(reset.after!.usedPct ?? 0, 0);
    assert.ok(reset.capturedMessages > 0);
    const archived = await runSessionAction(transport, location, {
      nodeId: 'gw',
      agentId: 'main',
      key: 'agent:main:side',
      action: 'archive',
      home,
      thresholdPct: 80,
    });
    assert.equal(archived.after, undefined, 'archived sessions are not listed');
    const list = await runCli(['sessions', 'gw', '--json'], env());
    assert.ok(!list.json().rows.some((r: { key: string }) => r.key === 'agent:main:side'));
  });

  it('auto-compaction (ocm status --auto-compact): postponed mid-turn, then once, and not again within the cooldown', async () => {
    node.model.promptTokens = 14_000;
    await createSession('agent:main:auto');
    const rpc = await connectGatewayRpc(transport, { port: node.openclaw.port, token: TEST_GATEWAY_TOKEN });
    const autoOf = async (): Promise<Array<{ key: string; status: string; backupId?: string }>> => {
      const r = await runCli(['status', 'gw', '--json', '--no-fail', '--auto-compact', '80'], env());
      assert.equal(r.code, 0, r.stderr);
      return (r.json().autoCompacted as Array<{ key: string; status: string; backupId?: string }>).filter((a) => a.key === 'agent:main:auto');
    };
    const activeIs = (want: boolean) => async () => {
      const list = await rpc.call<{ sessions: Array<Record<string, unknown>> }>('sessions.list', { agentId: 'main' });
      return list.sessions.find((s) => s.key === 'agent:main:auto')?.hasActiveRun === want ? true : undefined;
    };
    /** One more real turn in the session; resolves when its count is fresh and the gateway is idle again. */
    const turn = async (message: string): Promise<void> => {
      // A real agent turn on a loaded 2-core machine took over 60 s once; once (CI) no fresh count came
      // within 3 min at all: wait 90 s, then send the turn once more, and say what the gateway showed last.
      let last: unknown;
      const fresh = async (): Promise<true | undefined> => {
        const list = await rpc.call<{ sessions: Array<Record<string, unknown>> }>('sessions.list', { agentId: 'main' });
        const row = list.sessions.find((s) => s.key === 'agent:main:auto');
        last = row && { ...row, modelRequests: node.model.requests };
        // At least the stub's prompt count: after a compaction OpenClaw adds the summary's tokens (14,689 seen in a full run).
        return row?.totalTokensFresh === true && row.hasActiveRun === false && Number(row.totalTokens) >= 14_000 ? true : undefined;
      };
      for (let attempt = 1; ; attempt++) {
        await rpc.call('sessions.send', { key: 'agent:main:auto', message }, { timeoutMs: 60_000 });
        try {
          await waitFor('a fresh count after the turn', fresh, 90_000);
          return;
        } catch (e) {
          if (attempt === 2) throw new Error(`${String(e)} (sent twice); last row: ${JSON.stringify(last)}`);
        }
      }
    };
    try {
      // A turn held by the model: the gateway says hasActiveRun, so nothing is compacted.
      node.model.hang = true;
      await rpc.call('sessions.send', { key: 'agent:main:auto', message: 'a long turn' }, { timeoutMs: 60_000 });
      await waitFor('the turn to be running', activeIs(true));
      assert.deepEqual(
        (await autoOf()).map((a) => a.status),
        ['skipped-active'],
      );
      await rpc.call('sessions.abort', { key: 'agent:main:auto' }, { timeoutMs: 60_000 });
      node.model.hang = false;
      await waitFor('the turn to end', activeIs(false));
      await turn('after the abort');
      const first = await autoOf();
      assert.deepEqual(
        first.map((a) => a.status),
        ['compacted'],
        JSON.stringify(first),
      );
      assert.ok(first[0]!.backupId);
      // Over the percentage again (another turn at 87.5 %), within the cooldown: not compacted again.
      await turn('again');
      assert.deepEqual(await autoOf(), [], 'not twice within the cooldown');
    } finally {
      node.model.hang = false;
      rpc.close();
    }
  });

  it('fault: the gateway killed mid-compact → the captured transcript is intact and the error says what happened', async () => {
    node.model.promptTokens = 13_000;
    await createSession('agent:main:fault');
    const location = await locateOpenclaw(transport, entry);
    node.model.hang = true;
    const historyDir = join(home, 'history', 'gw', pathKey(captureRemotePath('main', 'agent:main:fault')));
    const pending = runSessionAction(transport, location, {
      nodeId: 'gw',
      agentId: 'main',
      key: 'agent:main:fault',
      action: 'compact',
      home,
      thresholdPct: 80,
      timeoutMs: 60_000,
    });
    const outcome = pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    await waitFor('the capture to be stored', async () => ((await readdir(historyDir)).some((f) => f.endsWith('.json')) ? true : undefined), 60_000);
    node.kill();
    const error = await outcome;
    assert.ok(isOcmError(error), String(error));
    assert.equal(error.kind, 'disconnected', error.message);
    assert.match(error.message, /compact of session agent:main:fault failed/);
    assert.match(error.message, /history entry gw\//);
    const id = String(error.details.backupId);
    const { content } = await readHistoryEntry(home, id);
    const capture = JSON.parse(content.toString('utf8'));
    assert.ok(JSON.stringify(capture.messages).includes('hello from agent:main:fault'));
    assert.equal(capture.row.totalTokens, 13_000);
  });
});

describe('sessions on OpenClaw 2026.7.1: no way from outside, said plainly', { timeout: 120_000 }, () => {
  it('ocm sessions compact exits 1 naming the version and the manual step', async () => {
    const fixture = await materialiseFixture('v2026.7.1');
    try {
      const install = await ensureOpenclaw('2026.7.1');
      const wrapper = join(fixture.home, 'bin', 'openclaw');
      await mkdir(join(fixture.home, 'bin'), { recursive: true });
      await writeFile(
        wrapper,
        `#!/bin/sh\nexport HOME=${shellQuote(fixture.home)} OPENCLAW_OFFLINE=1 OPENCLAW_NO_AUTO_UPDATE=1\nexec ${shellQuote(install.nodeBin)} ${shellQuote(install.bin)} "$@"\n`,
      );
      await chmod(wrapper, 0o755);
      const home = await tempOcmHome();
      const env = { ...process.env, OCM_HOME: home, OCM_LANG: 'en' };
      assert.equal((await runCli(['add', 'old', 'local', '--openclaw', wrapper, '--state-dir', fixture.stateDir], env)).code, 0);
      const r = await runCli(['sessions', 'compact', 'old', 'agent:main:main', '--yes'], env);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /OpenClaw 2026\.7\.1 .* cannot compact a session from outside/);
      assert.match(r.stderr, /\/compact/);
      const ja = await runCli(['sessions', 'compact', 'old', 'agent:main:main', '--yes'], { ...env, OCM_LANG: 'ja' });
      assert.equal(ja.code, 1);
      assert.match(ja.stderr, /外部から/);
    } finally {
      await fixture.cleanup();
    }
  });
});
