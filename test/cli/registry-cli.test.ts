import { strict as assert } from 'node:assert';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempOcmHome } from '../support/cli';

describe('ocm list/add/retire/import', () => {
  it('prints help with exit 0, and exit 2 for no verb or an unknown verb', async () => {
    const env = { OCM_HOME: await tempOcmHome() };
    const help = await runCli(['--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: ocm/);
    assert.equal((await runCli([], env)).code, 2);
    const unknown = await runCli(['frobnicate'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command/);
  });

  it('adds nodes, lists them as a table and as stable JSON, and retires one', async () => {
    const home = await tempOcmHome();
    const env = { OCM_HOME: home };
    assert.equal((await runCli(['add', 'gw1', 'claw@gw1.example:2222', '--state-dir', '/srv/claw', '--label', 'prod'], env)).code, 0);
    assert.equal((await runCli(['add', 'gw2', 'gw2', '--identity', '~/.ssh/id_claw', '--openclaw', '/opt/oc/bin/openclaw'], env)).code, 0);
    const table = await runCli(['list'], env);
    assert.match(table.stdout, /^ID\s+TARGET/m);
    assert.match(table.stdout, /gw1\s+claw@gw1\.example:2222\s+\/srv\/claw\s+active\s+prod/);

    assert.equal((await runCli(['retire', 'gw2'], env)).code, 0);
    const listed = await runCli(['list', '--json'], env);
    assert.deepEqual(listed.json(), {
      nodes: [
        { id: 'gw1', host: 'gw1.example', port: 2222, user: 'claw', stateDir: '/srv/claw', status: 'active', labels: ['prod'] },
        { id: 'gw2', host: 'gw2', identityFile: '~/.ssh/id_claw', openclawPath: '/opt/oc/bin/openclaw', status: 'retired', labels: [] },
      ],
    });
    const active = await runCli(['list', '--active', '--json'], env);
    assert.deepEqual(
      active.json().nodes.map((n: { id: string }) => n.id),
      ['gw1'],
    );
  });

  it('rejects bad input clearly and leaves the registry unchanged', async () => {
    const home = await tempOcmHome();
    const env = { OCM_HOME: home };
    await runCli(['add', 'gw1', 'gw1'], env);
    const before = await readFile(join(home, 'nodes.json'), 'utf8');

    const badTarget = await runCli(['add', 'gw2', 'user@host:99999'], env);
    assert.equal(badTarget.code, 1);
    assert.match(badTarget.stderr, /Port 99999 .* out of range/);
    const dup = await runCli(['add', 'gw1', 'other'], env);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    const missing = await runCli(['retire', 'nope'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No node "nope"/);
    const usage = await runCli(['add', 'only-id'], env);
    assert.equal(usage.code, 2);
    assert.equal(await readFile(join(home, 'nodes.json'), 'utf8'), before);
  });

  it('reports a broken registry with file, field and problem, as text and as JSON', async () => {
    const home = await tempOcmHome();
    await writeFile(join(home, 'nodes.json'), JSON.stringify({ version: 1, nodes: [{ id: 'a', host: '' }] }));
    const text = await runCli(['list'], { OCM_HOME: home });
    assert.equal(text.code, 1);
    assert.ok(text.stderr.includes(join(home, 'nodes.json')));
    assert.match(text.stderr, /nodes\[0\]\.host: must not be empty/);
    const json = await runCli(['list', '--json'], { OCM_HOME: home });
    assert.equal(json.code, 1);
    assert.equal(json.json().error.kind, 'invalidInput');
  });

  it('imports a nodes-registry.json and skips ids already present', async () => {
    const home = await tempOcmHome();
    const env = { OCM_HOME: home };
    await runCli(['add', 'n1', 'n1.lan'], env);
    const file = join(home, 'nodes-registry.json');
    await writeFile(
      file,
      JSON.stringify({
        nodes: [
          { id: 'n1', host: 'x', port: 18789, agents: [] },
          { id: 'n2', host: '10.1.2.3', port: 18790, agents: ['main'], status: 'active' },
        ],
      }),
    );
    const result = await runCli(['import', file, '--json'], env);
    assert.equal(result.code, 0);
    assert.deepEqual(result.json(), { added: [{ id: 'n2', host: '10.1.2.3', gatewayPort: 18790, status: 'active', labels: [] }], skipped: ['n1'] });
    const bad = await runCli(['import', join(home, 'missing.json')], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not found/);
  });
});
