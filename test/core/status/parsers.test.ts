import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anomaliesOf } from '../../../src/core/status/anomalies';
import { parseHttpResponse, parseReadyz, parseStartupz } from '../../../src/core/status/gateway-probe';
import { countCpuList, diskFor, parseDfLine, parseHostFacts, parseLoad, parseUptimeLoad } from '../../../src/core/status/host-facts';
import { parseSessionsCliJson, parseSessionsJson, sessionUsages } from '../../../src/core/status/sessions';
import type { NodeStatus } from '../../../src/core/status/types';

const LINUX_OUTPUT = [
  'host.os=Linux',
  'host.cpus=4',
  'host.loadavg=0.52 0.58 0.59 1/389 12345',
  'host.uptime_sec=2619.33',
  'host.meminfo.MemTotal=16000000',
  'host.meminfo.MemFree=1000000',
  'host.meminfo.MemAvailable=12000000',
  'host.meminfo.Buffers=100',
  'host.meminfo.Cached=2000000',
  'host.df=/dev/vda 264212084 26810768 79580144 26% /',
  'host.df=tmpfs 65536 0 65536 0% /dev',
  'host.df=/dev/vdb1 1000 950 50 95% /home',
  'host.df=//server/my share 1000 100 900 10% /home/claw/my mount',
].join('\n');

test('Linux host facts: load, cpus, uptime, MemAvailable, the state dir filesystem by longest mount prefix', () => {
  const facts = parseHostFacts(LINUX_OUTPUT, '/home/claw/.openclaw');
  assert.equal(facts.os, 'Linux');
  assert.equal(facts.cpus, 4);
  assert.deepEqual([facts.load1, facts.load5, facts.load15], [0.52, 0.58, 0.59]);
  assert.equal(facts.uptimeSec, 2619);
  assert.equal(facts.memTotalBytes, 16000000 * 1024);
  assert.equal(facts.memAvailableBytes, 12000000 * 1024);
  assert.equal(facts.memUsedPct, 25);
  assert.equal(facts.disk?.mountPoint, '/home');
  assert.equal(facts.disk?.usedPct, 95);
  assert.equal(facts.disk?.availableBytes, 50 * 1024);
  // a mount whose name has spaces, and a prefix that is not a path boundary
  assert.equal(parseHostFacts(LINUX_OUTPUT, '/home/claw/my mount/.openclaw').disk?.filesystem, '//server/my share');
  assert.equal(parseHostFacts(LINUX_OUTPUT, '/homework/.openclaw').disk?.mountPoint, '/');
});

test('Linux online CPU list (read without a process) counts ranges and singles', () => {
  assert.equal(countCpuList('0-1'), 2);
  assert.equal(countCpuList('0'), 1);
  assert.equal(countCpuList('0-3,8-11'), 8);
  assert.equal(countCpuList('0,2,4-5\n'), 4);
  assert.equal(countCpuList('garbage'), undefined);
  assert.equal(parseHostFacts('host.cpus_online=0-15\n', undefined).cpus, 16);
});

test('old kernels without MemAvailable: free + buffers + cached', () => {
  const out = 'host.meminfo.MemTotal=1000\nhost.meminfo.MemFree=100\nhost.meminfo.Buffers=50\nhost.meminfo.Cached=250\n';
  const facts = parseHostFacts(out, undefined);
  assert.equal(facts.memAvailableBytes, 400 * 1024);
  assert.equal(facts.memUsedPct, 60);
  assert.equal(facts.disk, undefined);
});

test('macOS host facts: vm.loadavg, hw.memsize + vm_stat pages, kern.boottime', () => {
  const out = [
    'host.os=Darwin',
    'host.cpus=8',
    'host.loadavg={ 1.23 1.45 1.67 }',
    'host.boottime={ sec = 1700000000, usec = 0 } Tue Nov 14 22:13:20 2023',
    'host.now=1700003600',
    'host.memsize=17179869184',
    'host.vm.pagesize=16384',
    'host.vm.Pages_free=100000',
    'host.vm.Pages_inactive=200000',
    'host.vm.Pages_speculative=10000',
    'host.vm.Pages_purgeable=0',
    'host.df=/dev/disk3s5 971350180 400000000 500000000 45% /System/Volumes/Data',
    'host.df=/dev/disk3s1s1 971350180 10000000 500000000 2% /',
  ].join('\n');
  const facts = parseHostFacts(out, '/System/Volumes/Data/Users/me/.openclaw');
  assert.deepEqual([facts.load1, facts.load5, facts.load15], [1.23, 1.45, 1.67]);
  assert.equal(facts.uptimeSec, 3600);
  assert.equal(facts.memTotalBytes, 17179869184);
  assert.equal(facts.memAvailableBytes, 310000 * 16384);
  assert.equal(facts.disk?.mountPoint, '/System/Volumes/Data');
});

test('load from uptime text (Linux and macOS spelling, comma decimals)', () => {
  assert.deepEqual(parseUptimeLoad(' 10:01:02 up 3 days,  2 users,  load average: 0.10, 0.20, 0.30'), [0.1, 0.2, 0.3]);
  assert.deepEqual(parseUptimeLoad('10:01  up 3 days, 2 users, load averages: 1.23 1.45 1.67'), [1.23, 1.45, 1.67]);
  assert.deepEqual(parseUptimeLoad('load average: 0,10, 0,20, 0,30'), [0.1, 0.2, 0.3]);
  assert.equal(parseUptimeLoad('nothing here'), undefined);
  assert.equal(parseLoad(undefined), undefined);
});

test('df lines: POSIX format, garbage ignored, longest prefix wins', () => {
  assert.equal(parseDfLine('Filesystem 1024-blocks Used Available Capacity Mounted on'), undefined);
  const root = parseDfLine('overlay 100 10 90 10% /')!;
  const data = parseDfLine('/dev/sdb 200 150 50 75% /data')!;
  assert.equal(diskFor([root, data], '/data/x')?.mountPoint, '/data');
  assert.equal(diskFor([root, data], '/data')?.mountPoint, '/data');
  assert.equal(diskFor([root, data], '/database')?.mountPoint, '/');
});

function http(text: string): Buffer {
  return Buffer.from(text.replace(/\n/g, '\r\n').replace(/\r\n\r\n(.*)$/s, (_m, body: string) => `\r\n\r\n${body.replace(/\r\n/g, '\n')}`));
}

test('HTTP responses: content-length (partial until complete), chunked, until EOF', () => {
  const body = '{"ready":true,"failing":[],"uptimeMs":1234}';
  const full = http(`HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: ${body.length}\n\n${body}`);
  assert.equal(parseHttpResponse(full.subarray(0, full.length - 5), false), undefined);
  assert.equal(parseHttpResponse(full, false)?.body, body);
  const chunked = Buffer.from(
    `HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"rea\r\n${(body.length - 5).toString(16)}\r\n${body.slice(5)}\r\n0\r\n\r\n`,
  );
  assert.equal(parseHttpResponse(chunked.subarray(0, chunked.length - 5), false), undefined);
  const r = parseHttpResponse(chunked, false)!;
  assert.equal(r.status, 503);
  assert.equal(r.body, body);
  assert.equal(parseHttpResponse(Buffer.from('HTTP/1.0 200 OK\r\n\r\nhello'), false), undefined);
  assert.equal(parseHttpResponse(Buffer.from('HTTP/1.0 200 OK\r\n\r\nhello'), true)?.body, 'hello');
  assert.equal(parseHttpResponse(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'), true), undefined);
});

test('/readyz and /startupz bodies', () => {
  assert.deepEqual(parseReadyz({ status: 200, headers: {}, body: '{"ready":true,"failing":[],"uptimeMs":5000}' }), {
    ready: true,
    failing: [],
    uptimeMs: 5000,
  });
  assert.deepEqual(parseReadyz({ status: 503, headers: {}, body: '{"ready":false,"failing":["agent-database:main","channel:telegram"],"uptimeMs":10}' }), {
    ready: false,
    failing: ['agent-database:main', 'channel:telegram'],
    uptimeMs: 10,
  });
  // 503 without details (remote caller, or draining) still says why
  assert.deepEqual(parseReadyz({ status: 503, headers: {}, body: '{"ok":false,"status":"draining"}' }), { ready: false, failing: ['draining'] });
  assert.deepEqual(parseReadyz({ status: 404, headers: {}, body: 'Not Found' }), { ready: false, failing: ['HTTP 404'] });
  assert.deepEqual(parseStartupz({ status: 200, headers: {}, body: '{"ok":true,"status":"started","version":"2026.9.6","uptimeMs":42}' }), {
    status: 'started',
    version: '2026.9.6',
    uptimeMs: 42,
  });
  assert.deepEqual(parseStartupz({ status: 503, headers: {}, body: '{"ok":false,"status":"starting"}' }), { status: 'starting' });
  assert.deepEqual(parseStartupz({ status: 200, headers: {}, body: 'not json' }), {});
});

test('sessions.json rows: fresh counts give a percentage, stale ones are unknown, threshold flags', () => {
  const text = JSON.stringify({
    'agent:main:main': { sessionId: 's1', updatedAt: 1, totalTokens: 170000, totalTokensFresh: true, contextTokens: 200000, model: 'gpt-test' },
    'agent:main:old': { sessionId: 's2', totalTokens: 199000, totalTokensFresh: false, contextTokens: 200000 },
    'agent:main:nofresh': { sessionId: 's3', totalTokens: 199000, contextTokens: 200000 },
    'agent:main:small': { sessionId: 's4', totalTokens: 1000, totalTokensFresh: true, contextTokens: 200000 },
    'agent:main:nowindow': { sessionId: 's5', totalTokens: 1000, totalTokensFresh: true },
  });
  const rows = sessionUsages(parseSessionsJson(text, 'main'), { version: '2026.5.1', thresholdPct: 80 });
  assert.deepEqual(
    rows.map((r) => [r.key, r.usedPct, r.fresh, r.overThreshold]),
    [
      ['agent:main:main', 85, true, true],
      ['agent:main:small', 0.5, true, false],
      ['agent:main:nofresh', undefined, false, false],
      ['agent:main:nowindow', undefined, true, false],
      ['agent:main:old', undefined, false, false],
    ],
  );
  assert.equal(rows[0]!.model, 'gpt-test');
  assert.equal(sessionUsages(parseSessionsJson(text, 'main'), { version: '2026.5.1', thresholdPct: 90 })[0]!.overThreshold, false);
});

test('2026.9.x rows count only with totalTokensVersion 1; CLI JSON envelope parsed (with a log line before it)', () => {
  const cli = `[plugins] loaded\n${JSON.stringify({
    path: null,
    allAgents: true,
    count: 3,
    sessions: [
      { agentId: 'main', key: 'agent:main:main', totalTokens: 90, contextTokens: 100, totalTokensFresh: true, totalTokensVersion: 1 },
      { agentId: 'work', key: 'agent:work:main', totalTokens: 95, contextTokens: 100, totalTokensFresh: true },
      { key: 'agent:ops:x', totalTokens: 10, contextTokens: 100, totalTokensFresh: true, totalTokensVersion: 1 },
    ],
  })}`;
  const rows = sessionUsages(parseSessionsCliJson(cli), { version: '2026.9.6', thresholdPct: 80 });
  assert.deepEqual(
    rows.map((r) => [r.agentId, r.usedPct, r.overThreshold]),
    [
      ['main', 90, true],
      ['ops', 10, false],
      ['work', undefined, false],
    ],
  );
  // 2026.8 does not version the count
  assert.equal(sessionUsages(parseSessionsCliJson(cli), { version: '2026.8.4', thresholdPct: 80 }).filter((r) => r.overThreshold).length, 2);
});

function base(extra: Partial<NodeStatus>): Omit<NodeStatus, 'anomalies'> {
  return { nodeId: 'n1', host: 'h', checkedAt: '', durationMs: 1, reachable: true, ...extra };
}

test('anomalies: unreachable alone; not installed; gateway down / not ready with failing checks; disk; context; broken config', () => {
  assert.deepEqual(
    anomaliesOf(base({ reachable: false, error: { kind: 'auth', message: 'Authentication failed.' } })).map((a) => [a.kind, a.severity, a.message]),
    [['unreachable', 'error', 'Authentication failed.']],
  );
  const oc = {
    installed: true,
    stateDir: '/s',
    stateDirExists: true,
    configPath: '/s/openclaw.json',
    configExists: true,
    gatewayPort: 18789,
    gatewayPortSource: 'default',
    supervisor: 'unmanaged' as const,
  };
  assert.deepEqual(
    anomaliesOf(base({ openclaw: { ...oc, installed: false, reason: 'not found' } })).map((a) => a.kind),
    ['notInstalled'],
  );
  const kinds = anomaliesOf(
    base({
      openclaw: oc,
      gateway: { port: 18789, live: true, ready: false, failing: ['agent-database:main'] },
      agents: { count: 0, ids: [], configError: { kind: 'invalidConfig', message: 'openclaw.json line 3: bad' } },
      hostFacts: { disk: { mountPoint: '/', filesystem: 'x', totalBytes: 100, usedBytes: 95, availableBytes: 5, usedPct: 95 } },
      sessions: { source: 'sessions.json', thresholdPct: 80, rows: [{ agentId: 'main', key: 'k', usedPct: 85, fresh: true, overThreshold: true }] },
    }),
  );
  assert.deepEqual(
    kinds.map((a) => a.kind),
    ['configBroken', 'gatewayNotReady', 'diskAlmostFull', 'contextOverThreshold'],
  );
  assert.match(kinds[1]!.message, /agent-database:main/);
  assert.match(kinds[3]!.message, /85%/);
  const down = anomaliesOf(base({ openclaw: oc, gateway: { port: 18789, live: false, ready: false, failing: [], error: 'nothing listens' } }));
  assert.deepEqual(
    down.map((a) => a.kind),
    ['gatewayDown'],
  );
  assert.deepEqual(anomaliesOf(base({ openclaw: oc, gateway: { port: 1, live: true, ready: true, failing: [] } })), []);
  assert.deepEqual(
    anomaliesOf(base({ hostFacts: { disk: { mountPoint: '/', filesystem: 'x', totalBytes: 100, usedBytes: 90, availableBytes: 10, usedPct: 90 } } })),
    [],
  );
});
