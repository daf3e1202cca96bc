import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { OcmError } from '../../../src/core/errors';
import { parseJson5 } from '../../../src/core/openclaw/config';
import { nodeSchema, type NodeEntry } from '../../../src/core/registry';
import { applyTokenRotation, prepareTokenRotation } from '../../../src/core/token';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import type { Transport } from '../../../src/core/transport/types';

/**
 * Token rotation with LocalTransport against an in-process stand-in gateway that checks the
 * Bearer token of POST /tools/invoke like OpenClaw does: `reload` mode reads the token from the
 * config on every request (OpenClaw 2026.9 hot-reloads it); `stuck` mode keeps the token it
 * started with and cannot be restarted (no openclaw binary) — "the gateway that does not come back".
 * Every failure must leave every file byte for byte as it was; no result contains a token.
 */
const OLD = 'old-gateway-token-0123456789abcdef0123';

describe('token rotation (LocalTransport, stand-in gateway)', () => {
  let root: string;
  let server: Server;
  let port: number;
  let mode: 'reload' | 'stuck';
  let gwConfig: string;
  let gwEnv: string;
  let depConfig: string;
  let nodes: NodeEntry[];

  const currentToken = (): string => (parseJson5(readFileSync(gwConfig, 'utf8'), gwConfig) as { gateway: { auth: { token: string } } }).gateway.auth.token;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'ocm-rotate-'));
    mode = 'reload';
    const startedWith = OLD;
    server = createServer((req, res) => {
      const want = mode === 'reload' ? currentToken() : startedWith;
      const ok = req.headers.authorization === `Bearer ${want}`;
      res.writeHead(ok ? 404 : 401, { 'content-type': 'application/json' });
      res.end(ok ? '{"ok":false,"error":{"type":"not_found"}}' : '{"error":{"type":"unauthorized"}}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
    const gwState = join(root, 'gw', '.openclaw');
    const depState = join(root, 'dep', '.openclaw');
    mkdirSync(gwState, { recursive: true });
    mkdirSync(depState, { recursive: true });
    gwConfig = join(gwState, 'openclaw.json');
    gwEnv = join(gwState, '.env');
    depConfig = join(depState, 'openclaw.json');
    writeFileSync(gwConfig, `// the gateway\n{\n  gateway: { port: ${port}, auth: { mode: "token", token: "${OLD}" } },\n}\n`, { mode: 0o600 });
    writeFileSync(gwEnv, `OPENCLAW_GATEWAY_TOKEN=${OLD}\n`, { mode: 0o600 });
    writeFileSync(
      depConfig,
      JSON.stringify(
        { gateway: { port: port + 1, auth: { token: 'dep-own-token-xxxxxxxxxxxxxxxx' }, remote: { url: `ws://127.0.0.1:${port}`, token: OLD } } },
        null,
        2,
      ),
      { mode: 0o600 },
    );
    nodes = [
      nodeSchema.parse({ id: 'gw', host: 'local', stateDir: gwState, openclawPath: join(root, 'no-openclaw') }),
      nodeSchema.parse({ id: 'dep', host: 'local', stateDir: depState, openclawPath: join(root, 'no-openclaw') }),
    ];
  });
  afterEach(async () => {
    await new Promise((r) => server.close(r));
    rmSync(root, { recursive: true, force: true });
  });

  const prepare = (transportFor: (n: NodeEntry) => Transport = (n) => new LocalTransport({ nodeId: n.id })) =>
    prepareTokenRotation({ gatewayId: 'gw', nodes, transportFor: async (n) => transportFor(n) });
  const snapshot = () => [readFileSync(gwConfig), readFileSync(gwEnv), readFileSync(depConfig)];
  const noToken = (value: unknown, tokens: string[]) => {
    const s = JSON.stringify(value);
    for (const t of tokens) assert.ok(!s.includes(t), 'a token appears in the plan or result');
  };

  it('plans the gateway config, its .env and the dependant; the plan carries no token', async () => {
    const { plan } = await prepare();
    assert.deepEqual(
      plan.places.map((p) => `${p.nodeId}:${p.kind}:${p.keys.join('+')}`),
      ['gw:env:OPENCLAW_GATEWAY_TOKEN', 'gw:config:gateway.auth.token', 'dep:config:gateway.remote.token'],
    );
    assert.deepEqual(
      plan.dependants.map((d) => [d.nodeId, d.why]),
      [['dep', 'token+url']],
    );
    assert.equal(plan.gateway.running, true);
    noToken(plan, [OLD]);
  });

  it('applies: every place gets the new token, the gateway takes it, the dependant is verified; no command line carries a token', async () => {
    const home = join(root, 'ocm-home');
    const commands: string[] = [];
    const prepared = await prepare((n) => {
      const t = new LocalTransport({ nodeId: n.id });
      const exec = t.exec.bind(t);
      // What a transport logs of an exec: its command text and exported environment.
      t.exec = (cmd, opts = {}) => (commands.push(cmd, JSON.stringify(opts.env ?? {})), exec(cmd, opts));
      return t;
    });
    const r = await applyTokenRotation({ plan: prepared.plan, nodes: prepared.nodes, home });
    assert.equal(r.ok, true, JSON.stringify(r));
    const now = currentToken();
    assert.notEqual(now, OLD);
    assert.match(readFileSync(gwConfig, 'utf8'), /^\/\/ the gateway\n/, 'comments kept');
    assert.equal(readFileSync(gwEnv, 'utf8'), `OPENCLAW_GATEWAY_TOKEN=${now}\n`);
    assert.equal(JSON.parse(readFileSync(depConfig, 'utf8')).gateway.remote.token, now);
    assert.deepEqual(r.verified, [{ nodeId: 'dep', ok: true }]);
    noToken(r, [OLD, now]);
    assert.ok(commands.length > 0);
    for (const cmd of commands) assert.ok(!cmd.includes(OLD) && !cmd.includes(now), 'a token in a command line (which the SSH transport logs)');
  });

  it('a systemd unit embedding the token (OpenClaw #19410) is rewritten too; put back on failure', async () => {
    const unitDir = join(root, 'gw', '.config', 'systemd', 'user');
    mkdirSync(unitDir, { recursive: true });
    const unit = join(unitDir, 'openclaw-gateway.service');
    const unitText = `[Service]\nEnvironment=HOME=${join(root, 'gw')}\nEnvironment=OPENCLAW_GATEWAY_TOKEN=${OLD}\nExecStart=/usr/bin/openclaw gateway run\n`;
    writeFileSync(unit, unitText);
    const withHome = (n: NodeEntry): Transport => {
      const t = new LocalTransport({ nodeId: n.id });
      const exec = t.exec.bind(t);
      t.exec = (cmd, opts = {}) => exec(cmd, { ...opts, env: { HOME: join(root, n.id), PATH: '/usr/bin:/bin', SHELL: '/bin/sh', ...(opts.env ?? {}) } });
      return t;
    };
    const prepared = await prepare(withHome);
    assert.equal(prepared.plan.gateway.supervisor, 'systemd');
    assert.deepEqual(
      prepared.plan.places.map((p) => `${p.nodeId}:${p.kind}`),
      ['gw:systemd', 'gw:env', 'gw:config', 'dep:config'],
    );
    noToken(prepared.plan, [OLD]);
    const r = await applyTokenRotation({ plan: prepared.plan, nodes: prepared.nodes, home: join(root, 'ocm-home') });
    assert.equal(r.ok, true, JSON.stringify(r));
    const now = currentToken();
    assert.equal(readFileSync(unit, 'utf8'), unitText.replace(OLD, now));
    noToken(r, [OLD, now]);
    // The dependant cannot be written: the unit gets its old bytes back with everything else.
    const before = readFileSync(unit);
    const again = await prepare((n) => {
      const t = withHome(n);
      if (n.id === 'dep')
        t.writeFileAtomic = async () => {
          throw new OcmError('permission', 'injected');
        };
      return t;
    });
    const failed = await applyTokenRotation({ plan: again.plan, nodes: again.nodes, home: join(root, 'ocm-home') });
    assert.equal(failed.ok, false);
    assert.equal(failed.rolledBack, true, JSON.stringify(failed.rollbackErrors));
    assert.deepEqual(readFileSync(unit), before);
    assert.equal(currentToken(), now);
  });

  it('a gateway that never takes the new token and cannot be restarted: everything is put back', async () => {
    mode = 'stuck';
    const before = snapshot();
    const prepared = await prepare();
    const r = await applyTokenRotation({ plan: prepared.plan, nodes: prepared.nodes, home: join(root, 'ocm-home'), reloadTimeoutMs: 1200 });
    assert.equal(r.ok, false);
    assert.equal(r.error?.step, 'reload:gw');
    assert.equal(r.rolledBack, true, JSON.stringify(r.rollbackErrors));
    assert.deepEqual(snapshot(), before);
    assert.deepEqual(
      r.steps.map((s) => s.status),
      ['undone', 'undone', 'failed'],
    );
    noToken(r, [OLD]);
  });

  it("the dependant's config write fails after the gateway was updated: the gateway is back on the old token", async () => {
    const before = snapshot();
    const prepared = await prepare((n) => {
      const t = new LocalTransport({ nodeId: n.id });
      if (n.id === 'dep')
        t.writeFileAtomic = async () => {
          throw new OcmError('permission', 'injected: cannot write the dependant config');
        };
      return t;
    });
    const r = await applyTokenRotation({ plan: prepared.plan, nodes: prepared.nodes, home: join(root, 'ocm-home') });
    assert.equal(r.ok, false);
    assert.match(r.error!.step!, /^write:dep:/);
    assert.equal(r.rolledBack, true, JSON.stringify(r.rollbackErrors));
    assert.deepEqual(snapshot(), before);
    assert.equal(currentToken(), OLD);
    noToken(r, [OLD]);
  });
});
