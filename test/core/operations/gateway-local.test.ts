import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { OpenclawLocation } from '../../../src/core/openclaw';
import {
  configuredLogFile,
  gatewayListening,
  gatewayLogTail,
  parseStatusListenerPids,
  restartGateway,
  startGateway,
  stopGateway,
  supervisorName,
  waitForReady,
  type GatewayTarget,
} from '../../../src/core/operations';
import { shellQuote } from '../../../src/core/transport/shell-quote';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import { freePort } from '../../support/free-port';
import { STAND_IN_GATEWAY } from './stand-in-gateway';

/**
 * Gateway control through the real LocalTransport with a stand-in gateway: a tiny Node HTTP server
 * answering /readyz (503 for its first second, then 200), started by a node start command, found
 * by `ss -ltnp` and stopped with SIGTERM. The real OpenClaw gateway is in
 * test/integration/operations/restart.test.ts.
 */

const transport = new LocalTransport({ nodeId: 'g1' });
let root: string;
let port: number;
let target: GatewayTarget;

before(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'ocm-gw-'));
  await fs.writeFile(join(root, 'fake-gateway.js'), STAND_IN_GATEWAY);
  port = await freePort();
  const location = {
    nodeId: 'g1',
    installed: false,
    home: root,
    stateDir: join(root, '.openclaw'),
    stateDirSource: 'registry',
    stateDirExists: false,
    configPath: join(root, '.openclaw/openclaw.json'),
    configSource: 'state',
    configExists: false,
    gatewayPort: port,
    gatewayPortSource: 'registry',
    supervisor: 'unmanaged',
    openclawEnv: {},
    cliEnv: {},
    durationMs: 0,
  } satisfies OpenclawLocation;
  const start = `nohup ${shellQuote(process.execPath)} ${shellQuote(join(root, 'fake-gateway.js'))} ${port} >>${shellQuote(join(root, 'gw.log'))} 2>&1 </dev/null &`;
  target = { transport, location, node: { id: 'g1', startCommand: start } };
});
after(async () => {
  await stopGateway(target).catch(() => undefined);
  await fs.rm(root, { recursive: true, force: true });
});

describe('gateway control (stand-in gateway, LocalTransport)', () => {
  it('start with the node start command, wait until /readyz says ready (not before)', async () => {
    assert.equal(await gatewayListening(target), false);
    const started = await startGateway(target);
    assert.equal(started.method, 'startCommand');
    const ready = await waitForReady(target, { timeoutMs: 15_000, pollMs: 100 });
    assert.equal(ready.ready, true, JSON.stringify(ready));
    assert.ok(ready.waitedMs >= 500, `waited ${ready.waitedMs} ms: the 503 phase was not taken for ready`);
  });

  it('restart of a running unmanaged gateway with --force: stopped by signal, started, ready again (fresh uptime)', async () => {
    const r = await restartGateway({ transport, location: target.location, node: target.node, force: true, timeoutMs: 15_000 });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.method, 'stop-start');
    assert.equal(r.wasRunning, true);
    assert.ok((r.readyAfterMs ?? 0) >= 500);
  });

  it('stop: SIGTERM to the listener found by ss, port free afterwards; stopping again is a no-op', async () => {
    const stopped = await stopGateway(target);
    assert.equal(stopped.wasRunning, true);
    assert.equal(stopped.method, 'signal');
    assert.equal(stopped.pids.length, 1);
    assert.equal(await gatewayListening(target), false);
    assert.deepEqual(await stopGateway(target), { wasRunning: false, pids: [], method: 'none' });
  });

  it('a gateway that never comes: not ready within the timeout, says nothing listens', async () => {
    const r = await waitForReady(target, { timeoutMs: 800, pollMs: 100 });
    assert.equal(r.ready, false);
    assert.match(r.lastError ?? '', /nothing listens/);
  });

  it('parses listener pids from openclaw gateway status --json and names supervisor units', () => {
    assert.deepEqual(parseStatusListenerPids('warning line\n{"port":{"port":18789,"listeners":[{"pid":4242,"address":"127.0.0.1"},{"pid":1}]}}'), [4242]);
    assert.deepEqual(parseStatusListenerPids('not json'), []);
    assert.equal(
      supervisorName({ ...target.location, supervisor: 'systemd', supervisorUnit: '/home/u/.config/systemd/user/openclaw-gateway.service' }),
      'openclaw-gateway.service',
    );
    assert.equal(
      supervisorName({ ...target.location, supervisor: 'launchd', supervisorUnit: '/Users/u/Library/LaunchAgents/ai.openclaw.gateway.plist' }),
      'ai.openclaw.gateway',
    );
  });

  it("the log tail follows OpenClaw's logging.file (each demo gateway has its own), else the shared daily log", async () => {
    const own = join(root, 'own-logs', 'openclaw.log');
    await fs.mkdir(join(own, '..'), { recursive: true });
    await fs.writeFile(own, '{"msg":"line from this gateway"}\n');
    const withLogging = (file: string): OpenclawLocation => ({
      ...target.location,
      config: { path: target.location.configPath, raw: {}, resolved: { logging: { file } }, files: [], fingerprint: '' },
    });
    const location = withLogging(own);
    assert.equal(configuredLogFile(location), own);
    assert.equal(configuredLogFile(withLogging('~/l/o.log')), join(root, 'l/o.log'));
    assert.equal(configuredLogFile(target.location), undefined);
    const tail = await gatewayLogTail({ ...target, location });
    assert.ok(tail.includes(`==> ${own}`), tail.join('\n'));
    assert.ok(tail.includes('{"msg":"line from this gateway"}'));
    assert.ok(!tail.some((l) => l.startsWith('==> /tmp/openclaw/')), 'not the machine-wide log');
  });
});
