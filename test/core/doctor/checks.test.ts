import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { doctorReport, findingText, parseExtras, bootstrapLimit, tokenDigest, type NodeFacts } from '../../../src/core/doctor';
import { checkBackups } from '../../../src/core/doctor/checks/backups';
import { checkGateways } from '../../../src/core/doctor/checks/gateway';
import { checkMemory } from '../../../src/core/doctor/checks/memory';
import { checkSessions } from '../../../src/core/doctor/checks/sessions';
import { checkTokens } from '../../../src/core/doctor/checks/tokens';
import { checkVersions } from '../../../src/core/doctor/checks/versions';
import { checkWorkspaces } from '../../../src/core/doctor/checks/workspaces';
import type { NodeStatus } from '../../../src/core/status/types';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const T1 = 'token-one-aaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const T2 = 'token-two-bbbbbbbbbbbbbbbbbbbbbbbbbbbb';

function status(nodeId: string, extra: Partial<NodeStatus> = {}): NodeStatus {
  return {
    nodeId,
    host: 'local',
    checkedAt: new Date(NOW).toISOString(),
    durationMs: 5,
    reachable: true,
    openclaw: {
      installed: true,
      version: '2026.9.6',
      stateDir: '/s',
      stateDirExists: true,
      configPath: '/s/openclaw.json',
      configExists: true,
      gatewayPort: 18789,
      gatewayPortSource: 'config',
      supervisor: 'unmanaged',
    },
    gateway: { port: 18789, live: true, ready: true, failing: [] },
    anomalies: [],
    ...extra,
  };
}

function node(nodeId: string, extra: Partial<NodeFacts> = {}): NodeFacts {
  return {
    nodeId,
    host: '127.0.0.1',
    status: status(nodeId),
    gatewayPort: 18789,
    agents: [{ id: 'main', workspace: `/h/${nodeId}/workspace` }],
    workspaceExists: { main: true },
    memory: [],
    tokens: { authDigest: tokenDigest(T1), unitDigests: [] },
    lastBackupAt: new Date(NOW - 3600_000).toISOString(),
    ...extra,
  };
}

describe('doctor checks (pure)', () => {
  it('a clean fleet has no findings and is ok', () => {
    const r = doctorReport([node('a'), node('b', { gatewayPort: 18790 })], { now: NOW });
    assert.deepEqual(r.findings, []);
    assert.equal(r.ok, true);
  });

  it('gateways: unreachable, down, not ready are errors with ocm restart / status as the fix', () => {
    const f = checkGateways([
      node('u', { status: { ...status('u'), reachable: false, error: { kind: 'unreachable', message: 'connection refused' } } }),
      node('d', { status: status('d', { gateway: { port: 1, live: false, ready: false, failing: [] } }) }),
      node('n', { status: status('n', { gateway: { port: 1, live: true, ready: false, failing: ['agent-database:main'] } }) }),
    ]);
    assert.deepEqual(
      f.map((x) => [x.code, x.severity, x.fix]),
      [
        ['unreachable', 'error', 'ocm status u'],
        ['gatewayDown', 'error', 'ocm restart d'],
        ['gatewayNotReady', 'error', 'ocm restart n'],
      ],
    );
  });

  it('tokens: a client whose remote.url points at a registered gateway with another token is stranded; matching is by host and port', () => {
    const gw = node('gw', { gatewayPort: 18800 });
    const stale = node('c1', {
      tokens: {
        authDigest: tokenDigest('own'),
        remoteDigest: tokenDigest(T2),
        remoteUrl: 'ws://127.0.0.1:18800',
        remote: { host: '127.0.0.1', port: 18800 },
        unitDigests: [],
      },
    });
    const good = node('c2', {
      tokens: {
        authDigest: tokenDigest('own2'),
        remoteDigest: tokenDigest(T1),
        remoteUrl: 'ws://127.0.0.1:18800',
        remote: { host: '127.0.0.1', port: 18800 },
        unitDigests: [],
      },
    });
    const elsewhere = node('c3', { tokens: { remoteDigest: tokenDigest(T2), remote: { host: '127.0.0.1', port: 9 }, unitDigests: [] } });
    const f = checkTokens([gw, stale, good, elsewhere]);
    assert.deepEqual(
      f.map((x) => [x.code, x.nodeId, x.fix]),
      [['tokenStale', 'c1', 'ocm token rotate gw']],
    );
    assert.ok(!JSON.stringify(f).includes(T1) && !JSON.stringify(f).includes(T2));
  });

  it('tokens: a token in the systemd unit (warning), stale there or in .env', () => {
    const f = checkTokens([
      node('u1', {
        tokens: {
          authDigest: tokenDigest(T1),
          unitPath: '/h/.config/systemd/user/openclaw-gateway.service',
          unitDigests: [tokenDigest(T1)],
          unitDigests_: undefined,
        } as never,
      }),
      node('u2', { tokens: { authDigest: tokenDigest(T1), unitPath: '/u', unitDigests: [tokenDigest(T2)], envPath: '/s/.env', envDigest: tokenDigest(T2) } }),
    ]);
    assert.deepEqual(
      f.map((x) => [x.code, x.nodeId, x.severity]),
      [
        ['unitToken', 'u1', 'warning'],
        ['unitTokenStale', 'u2', 'warning'],
        ['envTokenStale', 'u2', 'warning'],
      ],
    );
  });

  it('workspaces: missing (error) and shared by two agents (error)', () => {
    const f = checkWorkspaces([
      node('w', {
        agents: [
          { id: 'main', workspace: '/ws' },
          { id: 'work', workspace: '/ws' },
          { id: 'gone', workspace: '/gone' },
        ],
        workspaceExists: { main: true, work: true, gone: false },
      }),
    ]);
    assert.deepEqual(
      f.map((x) => [x.code, x.agentId]),
      [
        ['workspaceMissing', 'gone'],
        ['workspaceShared', 'work'],
      ],
    );
    assert.equal(f[1]!.params.agents, 'main, work');
  });

  it('memory: over bootstrapMaxChars is a warning; the limit comes from the agent, then defaults, then 20000', () => {
    const f = checkMemory([
      node('m', {
        memory: [
          { agentId: 'main', path: '/ws/MEMORY.md', chars: 25_000, limit: 20_000 },
          { agentId: 'x', path: '/x/MEMORY.md', chars: 100, limit: 20_000 },
        ],
      }),
    ]);
    assert.deepEqual(
      f.map((x) => [x.code, x.agentId, x.params.chars]),
      [['memoryTooLarge', 'main', 25_000]],
    );
    assert.equal(bootstrapLimit({}, 'main'), 20_000);
    assert.equal(bootstrapLimit({ agents: { defaults: { bootstrapMaxChars: 5000 } } }, 'main'), 5000);
    assert.equal(bootstrapLimit({ agents: { defaults: { bootstrapMaxChars: 5000 }, entries: { main: { bootstrapMaxChars: 900 } } } }, 'main'), 900);
    assert.equal(bootstrapLimit({ agents: { list: [{ id: 'main', bootstrapMaxChars: 700 }] } }, 'main'), 700);
  });

  it('sessions: predicted overflow (from the status anomaly) and over the threshold, with the compact command', () => {
    const rows = [
      { agentId: 'main', key: 'agent:main:main', fresh: true, overThreshold: false, usedPct: 60, predictedOverflow: true, hoursToWindow: 3.24 },
      { agentId: 'work', key: 'agent:work:main', fresh: true, overThreshold: true, usedPct: 91 },
    ];
    const st = status('s', {
      sessions: { source: 'sessions.json', thresholdPct: 80, rows: rows as never },
      anomalies: [
        { kind: 'contextPredictedOverflow' as never, severity: 'warning', message: '' },
        { kind: 'contextOverThreshold', severity: 'warning', message: '' },
      ],
    });
    const f = checkSessions([node('s', { status: st })]);
    assert.deepEqual(
      f.map((x) => [x.code, x.params.key, x.fix]),
      [
        ['sessionOverflow', 'agent:main:main', 'ocm sessions compact s agent:main:main --agent main'],
        ['sessionOverThreshold', 'agent:work:main', 'ocm sessions compact s agent:work:main --agent work'],
      ],
    );
    assert.equal(f[0]!.params.hours, 3.2);
  });

  it('backups: none, or older than the limit', () => {
    const { lastBackupAt: _omit, ...noBackup } = node('n0');
    const f = checkBackups([noBackup as NodeFacts, node('old', { lastBackupAt: new Date(NOW - 9 * 24 * 3600_000).toISOString() }), node('fresh')], {
      now: NOW,
      maxAgeMs: 7 * 24 * 3600_000,
    });
    assert.deepEqual(
      f.map((x) => [x.code, x.nodeId, x.fix]),
      [
        ['noBackup', 'n0', 'ocm backup n0'],
        ['backupOld', 'old', 'ocm backup old'],
      ],
    );
    assert.equal(f[1]!.params.days, 9);
  });

  it('versions: every node behind the newest is reported once', () => {
    const old = node('o', { status: status('o', { openclaw: { ...status('o').openclaw!, version: '2026.7.1' } }) });
    const f = checkVersions([node('a'), old, node('b')]);
    assert.deepEqual(
      f.map((x) => [x.code, x.nodeId, x.params.newest]),
      [['versionsDiffer', 'o', '2026.9.6']],
    );
    assert.deepEqual(checkVersions([node('a'), node('b')]), []);
  });

  it('the aggregator: errors first, in registry order; ok=false with any error; every finding has a localized text', () => {
    const r = doctorReport([node('a', { lastBackupAt: undefined as never }), node('b', { workspaceExists: { main: false } })], { now: NOW });
    assert.deepEqual(
      r.findings.map((f) => [f.severity, f.code, f.nodeId]),
      [
        ['error', 'workspaceMissing', 'b'],
        ['warning', 'noBackup', 'a'],
      ],
    );
    assert.equal(r.ok, false);
    assert.deepEqual(r.summary, { errors: 1, warnings: 1, infos: 0 });
    const t = { t: (m: string, ...a: Array<string | number | boolean>) => m.replace(/\{(\d+)\}/g, (_x, i: string) => String(a[Number(i)])) };
    assert.equal(findingText(r.findings[0]!, t), "b: agent main's workspace /h/b/workspace does not exist");
  });

  it('parseExtras: workspaces, memory sizes, token lines become digests only', () => {
    const agents = [
      { id: 'main', workspace: '/w' },
      { id: 'work', workspace: '/w2' },
    ];
    const out = [
      'ws 0 1',
      'mem 0 30000 29000',
      'ws 1 0',
      '__UNIT__',
      `Environment=OPENCLAW_GATEWAY_TOKEN=${T2}`,
      '__END__',
      '__ENV__',
      `OPENCLAW_GATEWAY_TOKEN=${T1}`,
      '__END__',
    ].join('\n');
    const r = parseExtras(
      out,
      agents,
      [
        { index: 0, workspace: '/w', limit: 20_000 },
        { index: 1, workspace: '/w2', limit: 20_000 },
      ],
      { gateway: { auth: { token: T1 }, remote: { url: 'ws://127.0.0.1:1', token: T2 } } },
      '/u.service',
      '/s/.env',
    );
    assert.deepEqual(r.workspaceExists, { main: true, work: false });
    assert.deepEqual(r.memory, [{ agentId: 'main', path: '/w/MEMORY.md', chars: 29000, limit: 20_000 }]);
    assert.equal(r.tokens!.authDigest, tokenDigest(T1));
    assert.deepEqual(r.tokens!.unitDigests, [tokenDigest(T2)]);
    assert.equal(r.tokens!.envDigest, tokenDigest(T1));
    const s = JSON.stringify(r);
    assert.ok(!s.includes(T1) && !s.includes(T2), 'no token value in the facts');
  });
});
