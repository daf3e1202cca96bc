import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BackupStore } from '../../../src/core/backup/store';
import { runDoctor, type DoctorReport } from '../../../src/core/doctor';
import { nodeSchema, type NodeEntry } from '../../../src/core/registry';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import type { Transport } from '../../../src/core/transport/types';
import { materialiseFixture, type MaterialisedFixture } from '../../support/openclaw-fixtures';

/**
 * ocm doctor's core over a fixture fleet: real OpenClaw 2026.9.6 state trees (test/fixtures) seen
 * through LocalTransport with their own HOME, stand-in gateways answering /readyz and /startupz.
 * A fleet seeded with one of each problem gives each finding; a clean fleet gives none.
 */
function transportAs(home: string, nodeId: string): Transport {
  const local = new LocalTransport({ nodeId });
  const exec = local.exec.bind(local);
  local.exec = (cmd, opts = {}) => exec(cmd, { ...opts, env: { HOME: home, PATH: '/usr/bin:/bin', SHELL: '/bin/sh', ...(opts.env ?? {}) } });
  return local;
}

async function standInGateway(version: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      req.url === '/startupz'
        ? JSON.stringify({ ok: true, status: 'started', version, uptimeMs: 5000 })
        : JSON.stringify({ ready: true, failing: [], uptimeMs: 5000 }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port };
}

function editConfig(fx: MaterialisedFixture, edit: (c: any) => void): void {
  const path = join(fx.stateDir, 'openclaw.json');
  const c = JSON.parse(readFileSync(path, 'utf8'));
  edit(c);
  writeFileSync(path, JSON.stringify(c, null, 2));
}

const TOKEN = 'test-gateway-token-not-a-secret';

describe('ocm doctor core on a fixture fleet', () => {
  const servers: Server[] = [];
  const fixtures: MaterialisedFixture[] = [];
  let planted: DoctorReport;
  let clean: DoctorReport;

  const fleet = async (n: number) => {
    const out: MaterialisedFixture[] = [];
    for (let i = 0; i < n; i++) out.push(await materialiseFixture('v2026.9.6'));
    fixtures.push(...out);
    return out;
  };
  const run = (entries: Array<{ entry: NodeEntry; home: string }>, store?: Partial<BackupStore>) =>
    runDoctor({
      nodes: entries.map((e) => e.entry),
      deps: { transportFor: async (n) => transportAs(entries.find((e) => e.entry.id === n.id)!.home, n.id) },
      ...(store ? { store: store as BackupStore } : {}),
      loginShell: false,
    });

  before(async () => {
    const a = await standInGateway('2026.9.6');
    const b = await standInGateway('2026.7.1');
    const c = await standInGateway('2026.9.6');
    const d = await standInGateway('2026.9.6');
    servers.push(a.server, b.server, c.server, d.server);
    const [gw, client, down, cgw, cclient] = await fleet(5);
    // Planted fleet: gw (stale token in its systemd unit, MEMORY.md too long, agent work's workspace gone),
    // client (stale remote token for gw, research shares main's workspace, older OpenClaw), down (no gateway).
    editConfig(gw!, (cfg) => (cfg.gateway.port = a.port));
    mkdirSync(join(gw!.home, '.config', 'systemd', 'user'), { recursive: true });
    writeFileSync(
      join(gw!.home, '.config', 'systemd', 'user', 'openclaw-gateway.service'),
      '[Service]\nEnvironment=OPENCLAW_GATEWAY_TOKEN=an-old-token-from-the-install-000000\nExecStart=/usr/bin/openclaw gateway run\n',
    );
    writeFileSync(join(gw!.stateDir, 'workspace', 'MEMORY.md'), `# Memory\n${'記憶'.repeat(12_000)}\n`);
    rmSync(join(gw!.stateDir, 'workspace-work'), { recursive: true, force: true });
    editConfig(client!, (cfg) => {
      cfg.gateway.port = b.port;
      cfg.gateway.remote = { url: `ws://127.0.0.1:${a.port}`, token: 'a-stale-token-from-before-rotation' };
      cfg.agents.entries.research.workspace = cfg.agents.entries.main.workspace;
    });
    editConfig(down!, (cfg) => (cfg.gateway.port = 9));
    const entries = [
      { entry: nodeSchema.parse({ id: 'gw', host: 'local' }), home: gw!.home },
      { entry: nodeSchema.parse({ id: 'client', host: 'local' }), home: client!.home },
      { entry: nodeSchema.parse({ id: 'down', host: 'local' }), home: down!.home },
    ];
    planted = await run(entries, { list: async () => [{ nodeId: 'down', createdAt: new Date().toISOString() }] as never });
    // Clean fleet: two ready gateways, the client's remote token is the gateway's, recent backups.
    editConfig(cgw!, (cfg) => (cfg.gateway.port = c.port));
    editConfig(cclient!, (cfg) => {
      cfg.gateway.port = d.port;
      cfg.gateway.remote = { url: `ws://127.0.0.1:${c.port}`, token: TOKEN };
    });
    const now = new Date().toISOString();
    clean = await run(
      [
        { entry: nodeSchema.parse({ id: 'cgw', host: 'local' }), home: cgw!.home },
        { entry: nodeSchema.parse({ id: 'cclient', host: 'local' }), home: cclient!.home },
      ],
      {
        list: async () =>
          [
            { nodeId: 'cgw', createdAt: now },
            { nodeId: 'cclient', createdAt: now },
          ] as never,
      },
    );
  });
  after(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
    for (const f of fixtures) await f.cleanup();
  });

  it('the seeded fleet reports each planted problem, errors first, and is not ok', () => {
    const got = planted.findings.map((f) => `${f.severity}:${f.code}:${f.nodeId}${f.agentId ? `/${f.agentId}` : ''}`);
    assert.deepEqual(
      got.sort(),
      [
        'error:gatewayDown:down',
        'error:tokenStale:client',
        'error:workspaceMissing:gw/work',
        'error:workspaceShared:client/research',
        'warning:memoryTooLarge:gw/main',
        'warning:noBackup:client',
        'warning:noBackup:gw',
        'warning:unitTokenStale:gw',
        'warning:versionsDiffer:client',
      ].sort(),
    );
    assert.equal(planted.ok, false);
    assert.ok(planted.findings.slice(0, planted.summary.errors).every((f) => f.severity === 'error'));
    const stale = planted.findings.find((f) => f.code === 'tokenStale')!;
    assert.equal(stale.fix, 'ocm token rotate gw');
    const mem = planted.findings.find((f) => f.code === 'memoryTooLarge')!;
    assert.equal(mem.params.chars, 24_010, 'characters, not bytes (the file is 72 KB of UTF-8)');
    const json = JSON.stringify(planted);
    for (const secret of [TOKEN, 'a-stale-token-from-before-rotation', 'an-old-token-from-the-install-000000'])
      assert.ok(!json.includes(secret), 'no token in the report');
  });

  it('a clean fleet reports nothing', () => {
    assert.deepEqual(clean.findings, []);
    assert.equal(clean.ok, true);
  });
});
