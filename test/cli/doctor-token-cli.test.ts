import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../support/cli';

/**
 * `ocm doctor` and `ocm token rotate` in-process on local nodes (registry host "local" with their
 * own state dirs) and a stand-in gateway that checks Bearer tokens like OpenClaw's /tools/invoke:
 * doctor's exit code (1 on an error finding, 0 with warnings only), --json, the Japanese text;
 * token rotate's --dry-run/--yes/no-TTY convention; no token in any output.
 */
const OLD = 'cli-old-gateway-token-0123456789abcdef';

describe('ocm doctor / ocm token rotate (in-process CLI, local nodes)', () => {
  let root: string;
  let server: Server;
  let port: number;
  let env: NodeJS.ProcessEnv;
  let gwConfig: string;
  let depConfig: string;

  const token = (): string => JSON.parse(readFileSync(gwConfig, 'utf8')).gateway.auth.token;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'ocm-doctor-cli-'));
    server = createServer((req, res) => {
      if (req.url === '/readyz' || req.url === '/startupz') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(req.url === '/startupz' ? '{"ok":true,"status":"started","version":"2026.9.6","uptimeMs":1}' : '{"ready":true,"failing":[]}');
      }
      const ok = req.headers.authorization === `Bearer ${token()}`;
      res.writeHead(ok ? 404 : 401);
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
    const gw = join(root, 'gw');
    const dep = join(root, 'dep');
    mkdirSync(join(gw, 'workspace'), { recursive: true });
    mkdirSync(join(dep, 'workspace'), { recursive: true });
    gwConfig = join(gw, 'openclaw.json');
    depConfig = join(dep, 'openclaw.json');
    writeFileSync(
      gwConfig,
      JSON.stringify({ agents: { defaults: { workspace: join(gw, 'workspace') } }, gateway: { port, auth: { mode: 'token', token: OLD } } }, null, 2),
      { mode: 0o600 },
    );
    writeFileSync(
      depConfig,
      JSON.stringify(
        {
          agents: { defaults: { workspace: join(dep, 'workspace') } },
          gateway: {
            port: 9,
            auth: { token: 'dep-own-token-00000000000000' },
            remote: { url: `ws://127.0.0.1:${port}`, token: 'stale-token-00000000000000000000' },
          },
        },
        null,
        2,
      ),
      { mode: 0o600 },
    );
    const home = join(root, 'ocm');
    mkdirSync(home);
    env = { ...process.env, OCM_HOME: home, OCM_LANG: 'en', NO_COLOR: '1' };
    for (const [id, dir] of [
      ['gw', gw],
      ['dep', dep],
    ] as const) {
      const add = await runCli(['add', id, 'local', '--state-dir', dir, '--openclaw', join(root, 'no-openclaw')], env);
      assert.equal(add.code, 0, add.stderr);
    }
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    rmSync(root, { recursive: true, force: true });
  });

  it('doctor: a stale dependant token and a gateway that is down are errors → exit 1; --json carries code, severity and fix', async () => {
    const r = await runCli(['doctor', '--json'], env);
    assert.equal(r.code, 1, r.stderr);
    const report = r.json();
    const codes = report.findings.map((f: { code: string; nodeId: string }) => `${f.code}:${f.nodeId}`);
    assert.ok(codes.includes('tokenStale:dep'), codes.join());
    assert.ok(codes.includes('gatewayDown:dep'), codes.join());
    assert.equal(report.findings.find((f: { code: string }) => f.code === 'tokenStale').fix, 'ocm token rotate gw');
    assert.ok(!r.stdout.includes(OLD) && !r.stdout.includes('stale-token-0000'));
    const ja = await runCli(['doctor'], { ...env, OCM_LANG: 'ja' });
    assert.equal(ja.code, 1);
    assert.match(ja.stdout, /エラー/);
    assert.match(ja.stdout, /ocm token rotate gw/);
  });

  it('doctor on the gateway alone: warnings only (no backup) → exit 0', async () => {
    const r = await runCli(['doctor', 'gw', '--json'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(
      r.json().findings.map((f: { code: string }) => f.code),
      ['noBackup'],
    );
  });

  it('token rotate: --dry-run shows a masked plan; no --yes without a terminal exits 2; --yes rotates and the stale dependant follows', async () => {
    const dry = await runCli(['token', 'rotate', 'gw', '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /cli-…\(38 chars\)/);
    assert.ok(!dry.stdout.includes(OLD) && !dry.stdout.includes('stale-token-0000'), 'no token (nor the stale one) in the plan');
    const ja = await runCli(['token', 'rotate', 'gw', '--dry-run'], { ...env, OCM_LANG: 'ja' });
    assert.match(ja.stdout, /計画: gw のゲートウェイトークンを入れ替える/);
    assert.match(ja.stdout, /新しいトークンを書き込む/);
    assert.match(ja.stdout, /古いトークン|入れ替えで新しいトークンを渡します/);
    assert.ok(!ja.stdout.includes(OLD));
    const no = await runCli(['token', 'rotate', 'gw'], env);
    assert.equal(no.code, 2);
    assert.match(no.stderr, /--dry-run.*--yes/s);
    assert.equal(token(), OLD);
    const yes = await runCli(['token', 'rotate', 'gw', '--yes', '--json'], env);
    assert.equal(yes.code, 0, yes.stdout + yes.stderr);
    const now = token();
    assert.notEqual(now, OLD);
    assert.equal(JSON.parse(readFileSync(depConfig, 'utf8')).gateway.remote.token, now);
    for (const out of [yes.stdout, yes.stderr, dry.stderr, no.stderr]) assert.ok(!out.includes(now) && !out.includes(OLD), 'a token appears in the output');
    assert.deepEqual(
      yes.json().plan.dependants.map((d: { nodeId: string; stale: boolean }) => [d.nodeId, d.stale]),
      [['dep', true]],
    );
    const after = await runCli(['doctor', '--json'], env);
    assert.ok(!after.json().findings.some((f: { code: string }) => f.code === 'tokenStale'), 'the rotation fixed the stale token');
  });
});
