import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isOcmError } from '../../src/core/errors';
import { NodeRegistry, convertImport, formatTarget, parseRegistryText, parseTarget } from '../../src/core/registry';

async function tempRegistry(): Promise<NodeRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'ocm-reg-'));
  return new NodeRegistry(join(dir, 'nodes.json'));
}

describe('node registry', () => {
  it('starts empty when nodes.json does not exist, and does not create it on load', async () => {
    const reg = await tempRegistry();
    assert.deepEqual((await reg.load()).nodes, []);
    await assert.rejects(stat(reg.file), /ENOENT/);
  });

  it('concurrent adds and patches keep every change (no lost update)', async () => {
    const reg = await tempRegistry();
    await Promise.all(Array.from({ length: 12 }, (_, i) => reg.add({ id: `n${i}`, host: `h${i}.example` })));
    await Promise.all(Array.from({ length: 12 }, (_, i) => reg.patch(`n${i}`, { port: 2200 + i })));
    const nodes = await reg.list();
    assert.deepEqual(nodes.map((n) => n.id).sort(), Array.from({ length: 12 }, (_, i) => `n${i}`).sort());
    assert.ok(
      nodes.every((n) => n.port === 2200 + Number(n.id.slice(1))),
      JSON.stringify(nodes),
    );
  });

  it('adds, lists and retires nodes; the file is owner-only', async () => {
    const reg = await tempRegistry();
    await reg.add({ id: 'alpha', host: 'alpha.example', port: 2222, user: 'claw' });
    await reg.add({ id: 'beta', host: 'beta' });
    await reg.setStatus('beta', 'retired');
    const all = await reg.list();
    assert.deepEqual(
      all.map((n) => [n.id, n.status]),
      [
        ['alpha', 'active'],
        ['beta', 'retired'],
      ],
    );
    assert.deepEqual(
      (await reg.list({ includeRetired: false })).map((n) => n.id),
      ['alpha'],
    );
    assert.equal((await stat(reg.file)).mode & 0o777, 0o600);
  });

  it('refuses a duplicate id and an invalid id with a clear message', async () => {
    const reg = await tempRegistry();
    await reg.add({ id: 'alpha', host: 'a' });
    await assert.rejects(reg.add({ id: 'alpha', host: 'b' }), (e) => isOcmError(e, 'exists') && /already exists/.test(e.message));
    await assert.rejects(reg.add({ id: 'bad id/x', host: 'b' }), (e) => isOcmError(e, 'invalidInput') && /id: must start/.test(e.message));
    await assert.rejects(reg.add({ id: 'c', host: 'c', port: 70000 }), (e) => isOcmError(e, 'invalidInput') && /port/.test(e.message));
  });

  it('reports a malformed file with file, field and problem, and never overwrites it', async () => {
    const reg = await tempRegistry();
    const broken = JSON.stringify({
      version: 1,
      nodes: [
        { id: 'ok', host: 'h' },
        { id: 'x', host: 'h', port: 'twenty-two' },
      ],
    });
    await writeFile(reg.file, broken);
    await assert.rejects(reg.load(), (e) => isOcmError(e, 'invalidInput') && e.message.includes(reg.file) && /nodes\[1\]\.port/.test(e.message));
    await assert.rejects(reg.add({ id: 'new', host: 'n' }));
    assert.equal(await readFile(reg.file, 'utf8'), broken);

    await writeFile(reg.file, '{"nodes": [');
    await assert.rejects(reg.load(), (e) => isOcmError(e, 'invalidInput') && /not valid JSON/.test(e.message));
  });

  it('reports duplicate ids in the file', () => {
    assert.throws(
      () =>
        parseRegistryText(
          JSON.stringify({
            version: 1,
            nodes: [
              { id: 'a', host: 'h' },
              { id: 'a', host: 'h2' },
            ],
          }),
          'nodes.json',
        ),
      /nodes\[1\]\.id: duplicate id "a"/,
    );
  });

  it('imports the older nodes-registry.json shape, where port is the gateway port', () => {
    const nodes = convertImport(
      {
        nodes: [
          { id: 'n1', host: '10.0.0.5', port: 18789, agents: ['main', 'work'], status: 'active' },
          { id: 'n2', host: 'n2.lan', status: 'retired' },
        ],
      },
      'nodes-registry.json',
    );
    assert.deepEqual(nodes, [
      { id: 'n1', host: '10.0.0.5', gatewayPort: 18789, status: 'active', labels: [] },
      { id: 'n2', host: 'n2.lan', status: 'retired', labels: [] },
    ]);
  });

  it('imports our own nodes.json shape as it is', () => {
    const nodes = convertImport({ version: 1, nodes: [{ id: 'n1', host: 'h', port: 2222, user: 'u' }] }, 'nodes.json');
    assert.equal(nodes[0]?.port, 2222);
    assert.equal(nodes[0]?.user, 'u');
  });

  it('rejects an import file of neither shape, naming the problem', () => {
    assert.throws(() => convertImport({ nodes: [{ host: 'h' }] }, 'x.json'), /nodes\[0\]\.id/);
  });
});

it('formatTarget writes what parseTarget reads: [user@]host[:port], IPv6 in brackets', () => {
  for (const t of ['claw@127.0.0.1:2222', '127.0.0.1', 'claw@localhost', 'localhost:22', 'claw@[::1]:2200', '[::1]']) {
    assert.equal(formatTarget(parseTarget(t)), t);
  }
  assert.equal(formatTarget({ host: 'local' }), 'local');
});
