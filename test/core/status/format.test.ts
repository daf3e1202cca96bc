import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderStatusTable } from '../../../src/cli/commands/status';
import { anomaliesOf, formatBytes, formatDuration, gatewayLabel, reachabilityLabel, shortNotes, versionLabel, type NodeStatus } from '../../../src/core/status';

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

const healthy = status({
  nodeId: 'alpha',
  openclaw,
  gateway: { port: 18789, live: true, ready: true, failing: [], startup: 'started', version: '2026.9.6', uptimeMs: 93_784_000 },
  agents: { count: 3, ids: ['main', 'work', 'ops'] },
  hostFacts: {
    load1: 0.5,
    cpus: 4,
    memUsedPct: 41.6,
    disk: { mountPoint: '/', filesystem: 'x', totalBytes: 100, usedBytes: 20, availableBytes: 80, usedPct: 20 },
  },
});
const sick = status({
  nodeId: 'beta',
  openclaw,
  gateway: { port: 18789, live: true, ready: false, failing: ['agent-database:main'], startup: 'started', uptimeMs: 5000 },
  agents: { count: 1, ids: ['main'] },
  hostFacts: { disk: { mountPoint: '/', filesystem: 'x', totalBytes: 100, usedBytes: 95, availableBytes: 5 * 1024 ** 3, usedPct: 95 } },
  sessions: {
    source: 'openclaw-cli',
    thresholdPct: 80,
    rows: [
      { agentId: 'main', key: 'agent:main:main', usedPct: 91, fresh: true, overThreshold: true },
      { agentId: 'main', key: 'agent:main:x', usedPct: 85, fresh: true, overThreshold: true },
    ],
  },
});
const down = status({
  nodeId: 'gamma',
  reachable: false,
  error: { kind: 'hostKeyChanged', message: 'Host key of gamma changed: known SHA256:a, offered SHA256:b.' },
});

test('labels: reachability per error kind, gateway states, version, durations, bytes', () => {
  assert.equal(reachabilityLabel(healthy), 'yes');
  assert.equal(reachabilityLabel(down), 'HOST KEY CHANGED');
  assert.equal(reachabilityLabel(status({ reachable: false, error: { kind: 'auth', message: 'x' } })), 'auth failed');
  assert.equal(reachabilityLabel(status({ reachable: false, error: { kind: 'hostKeyUnknown', message: 'x' } })), 'host key unknown');
  assert.equal(reachabilityLabel(status({ reachable: false, error: { kind: 'timeout', message: 'x' } })), 'timeout');
  assert.equal(gatewayLabel(healthy), 'ready');
  assert.equal(gatewayLabel(sick), 'not ready');
  assert.equal(gatewayLabel(status({ gateway: { port: 1, live: true, ready: false, failing: ['starting'], startup: 'starting' } })), 'starting');
  assert.equal(gatewayLabel(status({ gateway: { port: 1, live: false, ready: false, failing: [] } })), 'down');
  assert.equal(gatewayLabel(down), '-');
  assert.equal(versionLabel(healthy), '2026.9.6');
  assert.equal(versionLabel(status({ openclaw: { ...openclaw, installed: false } })), 'not installed');
  assert.equal(formatDuration(93_784_000), '1d 2h');
  assert.equal(formatDuration(3_720_000), '1h 2m');
  assert.equal(formatDuration(45_000), '45s');
  assert.equal(formatDuration(undefined), '-');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(5 * 1024 ** 3), '5.0 GiB');
  assert.equal(shortNotes(sick), 'failing: agent-database:main; disk 95% full; context 91% agent:main:main (+1)');
});

test('table: columns, anomaly lines below, colour only when asked (red for errors, yellow for warnings)', () => {
  const plain = renderStatusTable([healthy, sick, down], { color: false });
  const lines = plain.split('\n');
  assert.match(lines[0]!, /^NODE\s+REACHABLE\s+VERSION\s+GATEWAY\s+UPTIME\s+AGENTS\s+LOAD\s+MEM\s+DISK\s+BACKUP\s+NOTES$/);
  assert.match(lines[1]!, /^alpha\s+yes\s+2026\.9\.6\s+ready\s+1d 2h\s+3\s+0\.50\/4\s+42%\s+20%\s+-\s+-$/);
  assert.match(lines[2]!, /^beta\s+yes\s+2026\.9\.6\s+not ready\s+5s\s+1\s+-\s+-\s+95%\s+-\s+failing: agent-database:main/);
  assert.match(lines[3]!, /^gamma\s+HOST KEY CHANGED\s+-\s+-\s+-\s+-\s+-\s+-\s+-\s+-\s+-$/);
  const backedUp = renderStatusTable([{ ...healthy, lastBackup: { id: 'b1', createdAt: '2026-01-01T00:00:00.000Z', ageMs: 3_720_000 } }], {
    color: false,
  }).split('\n');
  assert.match(backedUp[1]!, /\s20%\s+1h 2m\s+-$/, 'the BACKUP column shows the last backup’s age');
  assert.ok(plain.includes('gamma: Host key of gamma changed: known SHA256:a, offered SHA256:b.'));
  assert.ok(plain.includes('beta: Session agent:main:main (agent main) uses 91% of its context window (over 80%).'));
  assert.doesNotMatch(plain, /\x1b\[/);
  const coloured = renderStatusTable([healthy, sick, down], { color: true }).split('\n');
  assert.doesNotMatch(coloured[1]!, /\x1b\[/, 'healthy rows stay plain');
  assert.match(coloured[2]!, /^\x1b\[31m.*\x1b\[0m$/, 'a node with an error-level anomaly is red');
  assert.match(coloured[3]!, /^\x1b\[31m/);
  const warnOnly = renderStatusTable([status({ nodeId: 'delta', openclaw: { ...openclaw, installed: false } })], { color: true }).split('\n');
  assert.match(warnOnly[1]!, /^\x1b\[33m/, 'warnings are yellow');
});
