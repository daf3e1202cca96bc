import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as esbuild from 'esbuild';

/**
 * Activation is cheap by design: it registers things and reads nothing remote. The bundle is
 * loaded and activated in a fresh process with a `vscode` stub (bench/activation-probe.cjs) that
 * records every socket connect, DNS lookup, http(s) request, fetch and child process.
 */
describe('extension activation', () => {
  const work = mkdtempSync(join(tmpdir(), 'ocm-activation-test-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('opens no sockets, resolves no names, starts no processes, and registers the commands', async () => {
    // The developer build (scripts/build.mjs): extension.js and the vendor/*.js it loads on first use.
    const { extensionBuilds } = await import('../../scripts/bundles.mjs');
    const outdir = join(work, 'dist');
    await Promise.all(extensionBuilds({ outdir, production: false }).map((b) => esbuild.build(b)));
    const bundle = join(outdir, 'extension.js');
    // A registry with a remote node: activation must still not contact it.
    const home = join(work, 'ocm-home');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'nodes.json'), JSON.stringify({ version: 1, nodes: [{ id: 'far', host: 'gateway.example.invalid' }] }));
    const result = runProbe(bundle, home);
    assert.deepEqual(result.network, []);
    assert.deepEqual(result.processes, []);
    assert.ok(result.commands > 10, `${result.commands} commands registered`);
    // ssh2, tar, diff and zod stay unread until a feature needs them (issue 8: activation ≤ 50 ms).
    assert.deepEqual(result.lazyLoaded, []);
  });

  it('the probe does notice an activation that connects or spawns', () => {
    const bad = join(work, 'bad.js');
    writeFileSync(
      bad,
      "exports.activate = () => { require('node:net').connect(9, '127.0.0.1').on('error', () => {}); require('node:dns').lookup('example.invalid', () => {}); require('node:child_process').spawn('true'); };",
    );
    const result = runProbe(bad, work);
    assert.ok(
      result.network.some((n) => n.startsWith('socket connect')),
      result.network.join('; '),
    );
    assert.ok(
      result.network.some((n) => n.startsWith('dns lookup')),
      result.network.join('; '),
    );
    assert.ok(
      result.processes.some((p) => p.startsWith('spawn')),
      result.processes.join('; '),
    );
  });
});

function runProbe(bundle: string, home: string): { network: string[]; processes: string[]; commands: number; lazyLoaded: string[] } {
  const probe = spawnSync(process.execPath, [join(__dirname, '..', '..', 'bench', 'activation-probe.cjs'), bundle], {
    env: { ...process.env, OCM_HOME: home },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(probe.status, 0, probe.stderr);
  return JSON.parse(probe.stdout.trim().split('\n').pop()!) as { network: string[]; processes: string[]; commands: number; lazyLoaded: string[] };
}
