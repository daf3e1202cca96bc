import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  anomaliesOf,
  dashboardData,
  fleetSummary,
  formatDuration,
  gatewayLabel,
  lastBackupsOf,
  nodeHealth,
  versionLabel,
  withLastBackups,
  type NodeStatus,
} from '../../../src/core/status';

/** The dashboard's view-model (src/core/status/dashboard.ts) and the health word every face shows. */

function status(extra: Partial<NodeStatus>): NodeStatus {
  const s: Omit<NodeStatus, 'anomalies'> = { nodeId: 'n1', host: 'h', checkedAt: '2026-01-01T00:00:00.000Z', durationMs: 5, reachable: true, ...extra };
  return { ...s, anomalies: anomaliesOf(s) };
}

const openclaw = {
  installed: true,
  version: '2026.9.6',
  stateDir: '/s',
  stateDirExists: true,
  configPath: '/s/openclaw.json',
  configExists: true,
  gatewayPort: 18789,
  gatewayPortSource: 'config',
  supervisor: 'systemd' as const,
};
const NOW = Date.parse('2026-01-02T00:00:00.000Z');

const ready = status({
  nodeId: 'alpha',
  openclaw,
  gateway: { port: 18789, live: true, ready: true, failing: [], startup: 'started', version: '2026.9.6', uptimeMs: 93_784_000 },
  agents: { count: 2, ids: ['main', 'research'] },
  hostFacts: {
    load1: 2,
    cpus: 4,
    uptimeSec: 3600,
    memUsedPct: 41.6,
    memTotalBytes: 8 * 1024 ** 3,
    memAvailableBytes: 4 * 1024 ** 3,
    disk: { mountPoint: '/', filesystem: 'x', totalBytes: 100, usedBytes: 95, availableBytes: 5 * 1024 ** 3, usedPct: 95 },
  },
  sessions: {
    source: 'openclaw-cli',
    thresholdPct: 80,
    rows: [
      { agentId: 'main', key: 'agent:main:main', usedPct: 91, totalTokens: 182_000, contextTokens: 200_000, fresh: true, overThreshold: true },
      { agentId: 'main', key: 'agent:main:x', usedPct: 10, fresh: true, overThreshold: false },
      { agentId: 'research', key: 'agent:research:main', fresh: false, overThreshold: false },
    ],
  },
  lastBackup: { id: 'b1', createdAt: '2026-01-01T22:00:00.000Z', ageMs: 0 },
});
const notReady = status({ nodeId: 'beta', openclaw, gateway: { port: 18789, live: true, ready: false, failing: ['agent-database:main'], startup: 'started' } });
const down = status({
  nodeId: 'gamma',
  openclaw,
  gateway: { port: 18789, live: false, ready: false, failing: [], error: 'nothing listens on 127.0.0.1:18789' },
});
const unreachable = status({
  nodeId: 'delta',
  reachable: false,
  error: { kind: 'unreachable', message: 'Connection refused by 127.0.0.1:9. Check the port.' },
});
const noOpenclaw = status({ nodeId: 'eps', openclaw: { ...openclaw, installed: false, reason: 'openclaw was not found on PATH.', configExists: false } });

test('health: ready, not ready, gateway down, unreachable, not installed, not checked — with the reason', () => {
  assert.deepEqual(nodeHealth(ready), { health: 'ready' });
  assert.equal(nodeHealth(notReady).health, 'notReady');
  assert.match(nodeHealth(notReady).reason!, /failing agent-database:main/);
  assert.equal(nodeHealth(down).health, 'gatewayDown');
  assert.match(nodeHealth(down).reason!, /nothing listens/);
  assert.deepEqual(nodeHealth(unreachable), { health: 'unreachable', reason: 'Connection refused by 127.0.0.1:9. Check the port.' });
  assert.equal(nodeHealth(noOpenclaw).health, 'notInstalled');
  assert.match(nodeHealth(noOpenclaw).reason!, /not found on PATH/);
  assert.deepEqual(nodeHealth(undefined), { health: 'unknown' });
  const starting = status({ openclaw, gateway: { port: 1, live: true, ready: false, failing: [], startup: 'starting' } });
  assert.equal(nodeHealth(starting).health, 'notReady');
});

test('one card per registry node, in registry order; nodes not checked yet have a card too', () => {
  const nodes = [
    { id: 'alpha', host: 'local' },
    { id: 'delta', host: '127.0.0.1', user: 'claw', port: 9 },
    { id: 'new', host: 'local' },
  ];
  const data = dashboardData({ nodes, statuses: [unreachable, ready], now: NOW, thresholdPct: 80 });
  assert.deepEqual(
    data.cards.map((c) => [c.nodeId, c.health, c.checked]),
    [
      ['alpha', 'ready', true],
      ['delta', 'unreachable', true],
      ['new', 'unknown', false],
    ],
  );
  assert.equal(data.cards[1]!.target, 'claw@127.0.0.1:9');
  assert.deepEqual(data.summary, { nodes: 2, reachable: 1, unreachable: 1, withAnomalies: 2, ready: 1, notChecked: 1 });
  assert.equal(data.generatedAt, new Date(NOW).toISOString());
  assert.equal(data.checkedAt, '2026-01-01T00:00:00.000Z');
});

test('a card holds the facts of ocm status --json: version, gateway, uptimes, agents with context use, gauges, last backup, problems', () => {
  const [card] = dashboardData({ nodes: [{ id: 'alpha', host: 'local' }], statuses: [ready], now: NOW, thresholdPct: 80 }).cards;
  assert.ok(card);
  assert.equal(card.version, versionLabel(ready));
  assert.equal(card.gateway, gatewayLabel(ready));
  assert.equal(card.gatewayPort, 18789);
  assert.equal(card.gatewayUptime, formatDuration(93_784_000));
  assert.equal(card.hostUptime, '1h 0m');
  assert.deepEqual(card.agents, [
    { id: 'main', sessions: 2, contextPct: 91, tokens: '182k / 200k', level: 'warning' },
    { id: 'research', sessions: 1, level: 'ok' },
  ]);
  assert.deepEqual(
    card.gauges.map((g) => [g.kind, g.pct, g.level, g.value, g.args]),
    [
      ['load', 50, 'ok', '2.00', ['4']],
      ['memory', 41.6, 'ok', '42%', ['4.0 GiB', '8.0 GiB']],
      ['disk', 95, 'warning', '95%', ['5.0 GiB', '/']],
    ],
  );
  assert.deepEqual(card.lastBackup, { id: 'b1', createdAt: '2026-01-01T22:00:00.000Z', ageMs: 2 * 3600_000, age: '2h 0m', stale: false });
  assert.deepEqual(card.problems, ready.anomalies);
  assert.deepEqual(
    card.problems.map((p) => p.kind),
    ['diskAlmostFull', 'contextOverThreshold'],
  );
  const old = dashboardData({ nodes: [{ id: 'alpha', host: 'local' }], statuses: [ready], now: NOW + 8 * 24 * 3600_000, thresholdPct: 80 }).cards[0]!;
  assert.equal(old.lastBackup?.stale, true, 'a week-old backup is stale');
});

test('fleetSummary is the --json summary', () => {
  assert.deepEqual(fleetSummary([ready, notReady, unreachable]), { nodes: 3, reachable: 2, unreachable: 1, withAnomalies: 3 });
  assert.deepEqual(fleetSummary([]), { nodes: 0, reachable: 0, unreachable: 0, withAnomalies: 0 });
});

test('last backups: newest per node from the store, ageMs at now; a missing store folder is no backups (and is not created)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ocm-lastbackup-'));
  try {
    const store = {
      root,
      list: async () => [
        { nodeId: 'alpha', id: 'old', createdAt: '2026-01-01T00:00:00.000Z' },
        { nodeId: 'alpha', id: 'new', createdAt: '2026-01-01T23:00:00.000Z' },
        { nodeId: 'beta', id: 'b', createdAt: '2026-01-01T12:00:00.000Z' },
      ],
    };
    const map = await lastBackupsOf(store);
    assert.deepEqual(map.get('alpha'), { id: 'new', createdAt: '2026-01-01T23:00:00.000Z' });
    const [a, g] = await withLastBackups([ready, down], store, NOW);
    assert.deepEqual(a!.lastBackup, { id: 'new', createdAt: '2026-01-01T23:00:00.000Z', ageMs: 3600_000 });
    assert.equal(g!.lastBackup, undefined);
    let listed = false;
    const missing = { root: join(root, 'nope'), list: async () => ((listed = true), []) };
    assert.equal((await lastBackupsOf(missing)).size, 0);
    assert.equal(listed, false);
    const broken = { root, list: async () => Promise.reject(new Error('unreadable')) };
    assert.equal((await lastBackupsOf(broken)).size, 0, 'a store that cannot be read never fails status');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
