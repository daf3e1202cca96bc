import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { OcmError } from '../../../src/core/errors';
import type { NodeEntry } from '../../../src/core/registry';
import { nodeStatus, statusOfNodes, type StatusDeps } from '../../../src/core/status';
import { withPiggybackScript } from '../../../src/core/status/piggyback';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import type { Transport } from '../../../src/core/transport/types';
import { materialiseFixture, type MaterialisedFixture } from '../../support/openclaw-fixtures';

/** A LocalTransport whose commands see `home` as HOME, a bare PATH and /bin/sh as login shell. */
function transportWithHome(home: string, nodeId = 'n1'): Transport {
  const local = new LocalTransport({ nodeId });
  const env = { HOME: home, PATH: '/usr/bin:/bin', SHELL: '/bin/sh', ENV: '' };
  return new Proxy(local, {
    get(target, prop, receiver) {
      if (prop === 'exec')
        return (cmd: string, opts: Record<string, unknown> = {}) =>
          target.exec(cmd, { ...opts, env: { ...env, ...((opts.env as Record<string, string>) ?? {}) } });
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

async function fakeOpenclaw(path: string, versionLine: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `#!/bin/sh\n[ "$1" = --version ] && echo ${JSON.stringify(versionLine)}\n`);
  await chmod(path, 0o755);
}

function entry(id: string, extra: Partial<NodeEntry> = {}): NodeEntry {
  return { id, host: 'local', status: 'active', labels: [], ...extra };
}

/** A stand-in gateway on loopback: answers /readyz and /startupz with what the test sets. */
let gateway: Server;
let gatewayPort = 0;
let readyz = { status: 200, body: { ready: true, failing: [] as string[], uptimeMs: 61_000 } as Record<string, unknown> };
before(async () => {
  gateway = createServer((req, res) => {
    const answer =
      req.url === '/readyz'
        ? readyz
        : req.url === '/startupz'
          ? { status: 200, body: { ok: true, status: 'started', version: '2026.5.1', uptimeMs: 61_000 } }
          : { status: 404, body: {} };
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', () => r()));
  gatewayPort = (gateway.address() as { port: number }).port;
});
after(() => gateway.close());

test('piggyback: the first exec also runs the script; the caller sees its own output and exit code', async () => {
  let extra = '';
  const t = withPiggybackScript(new LocalTransport({ nodeId: 'p' }), `echo "it's here"; exit 3`, (o) => (extra = o));
  const r = await t.exec("printf 'no newline at end'; exit 7");
  assert.equal(r.stdout, 'no newline at end');
  assert.equal(r.exitCode, 7);
  assert.equal(extra.trim(), "it's here");
  extra = '';
  assert.equal((await t.exec('echo again')).stdout, 'again\n');
  assert.equal(extra, '', 'only the first exec carries the script');
});

let fx: MaterialisedFixture;
before(async () => {
  fx = await materialiseFixture('legacy-list');
  await fakeOpenclaw(join(fx.home, '.local', 'bin', 'openclaw'), 'OpenClaw 2026.5.1 (abcdef0)');
});
after(() => fx.cleanup());

test('a JSONL-era node over LocalTransport: version, agents from the config, host facts, ready gateway, sessions.json usage', async () => {
  const deps: StatusDeps = { transportFor: async () => transportWithHome(fx.home) };
  readyz = { status: 200, body: { ready: true, failing: [], uptimeMs: 61_000 } };
  const s = await nodeStatus(entry('n1', { gatewayPort }), deps, { thresholdPct: 20 });
  assert.equal(s.reachable, true, JSON.stringify(s.error));
  assert.equal(s.openclaw?.installed, true);
  assert.equal(s.openclaw?.version, '2026.5.1');
  assert.equal(s.openclaw?.stateDir, fx.stateDir);
  assert.deepEqual(s.agents?.ids.sort(), ['main', 'research', 'work']);
  assert.ok(s.hostFacts?.memTotalBytes && s.hostFacts.memTotalBytes > 0);
  assert.ok(s.hostFacts?.disk && s.hostFacts.disk.totalBytes > 0);
  assert.equal(typeof s.hostFacts?.load1, 'number');
  assert.deepEqual(
    { live: s.gateway?.live, ready: s.gateway?.ready, version: s.gateway?.version, uptimeMs: s.gateway?.uptimeMs },
    { live: true, ready: true, version: '2026.5.1', uptimeMs: 61_000 },
  );
  assert.equal(s.sessions?.source, 'sessions.json');
  const main = s.sessions?.rows.find((r) => r.key === 'agent:main:main');
  assert.equal(main?.usedPct, 25.6); // 51234 / 200000 in the fixture
  assert.equal(main?.overThreshold, true);
  const kinds = s.anomalies.map((a) => a.kind).filter((k) => k !== 'diskAlmostFull');
  assert.ok(kinds.length > 0 && kinds.every((k) => k === 'contextOverThreshold'), JSON.stringify(s.anomalies));
});

test('gateway 503 with failing checks → not ready; nothing on the port → not live', async () => {
  const deps: StatusDeps = { transportFor: async () => transportWithHome(fx.home) };
  readyz = { status: 503, body: { ready: false, failing: ['agent-database:main'], uptimeMs: 5 } };
  const notReady = await nodeStatus(entry('n1', { gatewayPort }), deps);
  assert.equal(notReady.gateway?.live, true);
  assert.equal(notReady.gateway?.ready, false);
  assert.deepEqual(notReady.gateway?.failing, ['agent-database:main']);
  assert.ok(notReady.anomalies.some((a) => a.kind === 'gatewayNotReady' && /agent-database:main/.test(a.message)));

  const closed = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const down = await nodeStatus(entry('n1', { gatewayPort: closed }), deps);
  assert.equal(down.gateway?.live, false);
  assert.match(down.gateway?.error ?? '', /nothing listens/);
  assert.ok(down.anomalies.some((a) => a.kind === 'gatewayDown'));
});

test('broken openclaw.json → configBroken anomaly with the parser message; no OpenClaw → notInstalled, not an error', async () => {
  const broken = await materialiseFixture('v2026.9.6');
  try {
    await fakeOpenclaw(join(broken.home, '.local', 'bin', 'openclaw'), 'OpenClaw 2026.9.6 (eb377ac)');
    await writeFile(join(broken.stateDir, 'openclaw.json'), '{ gateway: { port: 1, }, oops');
    const s = await nodeStatus(entry('b'), { transportFor: async () => transportWithHome(broken.home, 'b') });
    assert.equal(s.reachable, true);
    assert.equal(s.agents?.configError?.kind, 'invalidConfig');
    const a = s.anomalies.find((x) => x.kind === 'configBroken');
    assert.ok(a, JSON.stringify(s.anomalies));
    assert.match(a.message, /openclaw\.json/);
    assert.equal(s.sessions?.source, 'skipped', 'SQLite era without includeSessions');
  } finally {
    await broken.cleanup();
  }
  const empty = await materialiseFixture('v2026.9.6');
  try {
    const s = await nodeStatus(entry('e'), { transportFor: async () => transportWithHome(empty.home, 'e') });
    assert.equal(s.reachable, true);
    assert.equal(s.error, undefined);
    assert.equal(s.openclaw?.installed, false);
    assert.equal(s.gateway?.live ?? false, false);
    assert.ok(s.anomalies.some((x) => x.kind === 'notInstalled'));
  } finally {
    await empty.cleanup();
  }
});

test('statusOfNodes: registry order, progress, connection errors as values, a frozen transport cut at its budget without delaying others', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  const frozen: Transport = new Proxy({} as Transport, {
    get: (_t, prop) => (prop === 'nodeId' ? 'frozen' : prop === 'kind' ? 'ssh' : () => new Promise(() => undefined)), // never answers, ignores signals
  });
  const deps: StatusDeps = {
    transportFor: async (node) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        if (node.id === 'frozen') return frozen;
        if (node.id === 'badkey')
          throw new OcmError('hostKeyChanged', 'Host key of badkey CHANGED: expected SHA256:old, got SHA256:new.', { expected: 'SHA256:old' });
        if (node.id === 'noauth') throw new OcmError('auth', 'Authentication failed for noauth.');
        await new Promise((r) => setTimeout(r, 30));
        return transportWithHome(fx.home, node.id);
      } finally {
        inFlight--;
      }
    },
  };
  const nodes = ['a', 'frozen', 'badkey', 'b', 'noauth', 'c'].map((id) => entry(id, { gatewayPort }));
  const progress: string[] = [];
  const started = Date.now();
  // The budget must cover a real local status run on a loaded 2-core CI machine (seen > 1.5 s).
  const results = await statusOfNodes(nodes, deps, {
    concurrency: 2,
    perNodeTimeoutMs: 6000,
    onProgress: (p) => progress.push(`${p.done}/${p.total}:${p.status.nodeId}`),
  });
  const elapsed = Date.now() - started;
  assert.deepEqual(
    results.map((r) => r.nodeId),
    ['a', 'frozen', 'badkey', 'b', 'noauth', 'c'],
  );
  assert.equal(progress.length, 6);
  assert.ok(progress.at(-1)!.startsWith('6/6'));
  assert.ok(maxInFlight <= 2);
  assert.deepEqual(
    results.map((r) => r.reachable),
    [true, false, false, true, false, true],
    JSON.stringify(results.map((r) => r.error?.message ?? 'ok')),
  );
  assert.equal(results[1]!.error?.kind, 'timeout');
  assert.equal(results[2]!.error?.kind, 'hostKeyChanged');
  assert.match(results[2]!.error!.message, /SHA256:old/);
  assert.equal(results[4]!.error?.kind, 'auth');
  // The frozen node costs one budget (+ grace) in its worker; the other worker carries on meanwhile.
  assert.ok(elapsed < 6000 + 1000 + 20000, `took ${elapsed} ms`);
  assert.ok(progress.indexOf(progress.find((p) => p.endsWith(':frozen'))!) >= 2, 'others finished while the frozen node hung');
});
