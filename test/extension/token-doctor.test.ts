import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { DoctorReport } from '../../src/core/doctor/types';
import type { TokenRotationPlan } from '../../src/core/token/rotate-plan';
import type { TokenRotationResult } from '../../src/core/token/rotate-apply';
import { activateExtension, writeRegistry } from '../support/vscode/extension-host';

/**
 * Token rotation and the doctor in the real workbench, on two local nodes (this machine) with a
 * stand-in gateway that checks Bearer tokens like OpenClaw's /tools/invoke: the rotation preview
 * (Markdown, tokens masked) is open when the user is asked; declining changes nothing; accepting
 * rotates both configs and verifies the dependant. Run Doctor reports the dependant's stale token.
 */
suite('Token rotation and doctor', () => {
  const OLD = 'ext-old-gateway-token-0123456789abcdef';
  let root: string;
  let server: Server;
  let gwConfig: string;
  let depConfig: string;
  const token = async (): Promise<string> => JSON.parse(await fs.readFile(gwConfig, 'utf8')).gateway.auth.token;

  suiteSetup(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'ocm-token-ext-'));
    let current = OLD;
    server = createServer((req, res) => {
      if (req.url === '/readyz' || req.url === '/startupz') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(req.url === '/startupz' ? '{"ok":true,"status":"started","version":"2026.9.6"}' : '{"ready":true,"failing":[]}');
      }
      void token().then((t) => {
        current = t;
        res.writeHead(req.headers.authorization === `Bearer ${current}` ? 404 : 401);
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const gw = join(root, 'gw');
    const dep = join(root, 'dep');
    await fs.mkdir(join(gw, 'workspace'), { recursive: true });
    await fs.mkdir(join(dep, 'workspace'), { recursive: true });
    gwConfig = join(gw, 'openclaw.json');
    depConfig = join(dep, 'openclaw.json');
    await fs.writeFile(
      gwConfig,
      JSON.stringify({ agents: { defaults: { workspace: join(gw, 'workspace') } }, gateway: { port, auth: { mode: 'token', token: OLD } } }, null, 2),
    );
    await fs.writeFile(
      depConfig,
      JSON.stringify(
        {
          agents: { defaults: { workspace: join(dep, 'workspace') } },
          gateway: { port: port + 1, auth: { token: 'ext-dep-own-token-000000000000' }, remote: { url: `ws://127.0.0.1:${port}`, token: OLD } },
        },
        null,
        2,
      ),
    );
    await writeRegistry([
      { id: 'tokgw', host: 'local', stateDir: gw, openclawPath: join(root, 'no-openclaw'), labels: [] },
      { id: 'tokdep', host: 'local', stateDir: dep, openclawPath: join(root, 'no-openclaw'), labels: [] },
    ]);
    await activateExtension();
  });

  suiteTeardown(async () => {
    const api = await activateExtension();
    delete api.operations;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await new Promise((r) => server.close(r));
    await fs.rm(root, { recursive: true, force: true });
  });

  test('the masked rotation preview is open when asked; declining changes nothing; accepting rotates and verifies the dependant', async function () {
    this.timeout(120_000);
    const api = await activateExtension();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    let seen: TokenRotationPlan | undefined;
    let previewText = '';
    api.operations = {
      confirm: async (plan) => {
        seen = plan as TokenRotationPlan;
        previewText = vscode.workspace.textDocuments
          .filter((d) => d.languageId === 'markdown')
          .map((d) => d.getText())
          .join('\n');
        return false;
      },
    };
    const declined = await vscode.commands.executeCommand<TokenRotationResult | undefined>('openclaw.rotateToken', 'tokgw');
    assert.equal(declined, undefined);
    assert.ok(seen, 'the plan was put to the user');
    assert.deepEqual(
      seen.dependants.map((d) => d.nodeId),
      ['tokdep'],
    );
    assert.match(previewText, /# Rotate the gateway token of tokgw/);
    assert.match(previewText, /ext-…\(38 chars\)/);
    assert.ok(!previewText.includes(OLD), 'no token in the preview');
    assert.equal(await token(), OLD, 'nothing changed after declining');

    api.operations = { confirm: async () => true };
    const result = await vscode.commands.executeCommand<TokenRotationResult | undefined>('openclaw.rotateToken', 'tokgw');
    assert.ok(result?.ok, JSON.stringify(result));
    const now = await token();
    assert.notEqual(now, OLD);
    assert.equal(JSON.parse(await fs.readFile(depConfig, 'utf8')).gateway.remote.token, now);
    assert.deepEqual(result.verified, [{ nodeId: 'tokdep', ok: true }]);
    assert.ok(!JSON.stringify(result).includes(now) && !JSON.stringify(result).includes(OLD));
  });

  test('Run Doctor: a dependant left on an old token is an error with its fix, shown as a Markdown report', async function () {
    this.timeout(120_000);
    const cfg = JSON.parse(await fs.readFile(depConfig, 'utf8'));
    cfg.gateway.remote.token = OLD;
    await fs.writeFile(depConfig, JSON.stringify(cfg, null, 2));
    const report = await vscode.commands.executeCommand<DoctorReport | undefined>('openclaw.runDoctor');
    assert.ok(report);
    const stale = report.findings.find((f) => f.code === 'tokenStale');
    assert.equal(stale?.nodeId, 'tokdep');
    assert.equal(stale?.fix, 'ocm token rotate tokgw');
    assert.equal(report.ok, false);
    const md = vscode.workspace.textDocuments
      .filter((d) => d.languageId === 'markdown')
      .map((d) => d.getText())
      .join('\n');
    assert.match(md, /# OpenClaw fleet doctor/);
    assert.match(md, /ocm token rotate tokgw/);
  });
});
