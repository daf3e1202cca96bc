import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { deepMerge, parseJson5, readOpenclawConfig, resolveOpenclawConfig } from '../../../src/core/openclaw/config';
import { OcmError } from '../../../src/core/errors';
import { LocalTransport } from '../../../src/core/transport/local-transport';

function reader(files: Record<string, string>) {
  const reads: string[] = [];
  const read = async (path: string): Promise<string> => {
    reads.push(path);
    const text = files[path];
    if (text === undefined) throw new OcmError('notFound', `no such file ${path}`);
    return text;
  };
  return { read, reads };
}

test('JSON5 with comments, trailing commas and ${VAR} left as written', async () => {
  const { read } = reader({ '/s/openclaw.json': '// c\n{ gateway: { auth: { token: "${OPENCLAW_GATEWAY_TOKEN}" }, }, }' });
  const c = await resolveOpenclawConfig('/s/openclaw.json', read);
  assert.deepEqual(c.resolved, { gateway: { auth: { token: '${OPENCLAW_GATEWAY_TOKEN}' } } });
  assert.equal(c.files.length, 1);
  assert.equal(c.files[0]!.role, 'main');
});

test('$include: single file replaces, array deep-merges (arrays concatenate), siblings override, nested relative paths', async () => {
  const { read } = reader({
    '/s/openclaw.json': '{ agents: { $include: "./inc/agents.json5", defaults: { workspace: "~/w" } }, tools: { $include: ["./a.json5", "./b.json5"] } }',
    '/s/inc/agents.json5': '{ entries: { $include: "./entries.json5" }, defaults: { workspace: "/x", model: "m" } }',
    '/s/inc/entries.json5': '{ main: {}, work: { workspace: "/ws" } }',
    '/s/a.json5': '{ allow: ["x"], deep: { a: 1, b: 1 }, v: 1 }',
    '/s/b.json5': '{ allow: ["y"], deep: { b: 2 }, v: 2 }',
  });
  const c = await resolveOpenclawConfig('/s/openclaw.json', read);
  assert.deepEqual(c.resolved, {
    agents: { entries: { main: {}, work: { workspace: '/ws' } }, defaults: { workspace: '~/w', model: 'm' } },
    tools: { allow: ['x', 'y'], deep: { a: 1, b: 2 }, v: 2 },
  });
  assert.deepEqual(
    c.files.map((f) => f.path),
    ['/s/openclaw.json', '/s/inc/agents.json5', '/s/inc/entries.json5', '/s/a.json5', '/s/b.json5'],
  );
  assert.ok(c.raw.agents && (c.raw.agents as Record<string, unknown>).$include);
});

test('fingerprint changes when an included file changes', async () => {
  const files = { '/s/openclaw.json': '{ a: { $include: "./x.json5" } }', '/s/x.json5': '{ v: 1 }' };
  const one = await resolveOpenclawConfig('/s/openclaw.json', reader(files).read);
  const two = await resolveOpenclawConfig('/s/openclaw.json', reader({ ...files, '/s/x.json5': '{ v: 2 }' }).read);
  assert.notEqual(one.fingerprint, two.fingerprint);
});

test('circular $include is invalidConfig showing the chain', async () => {
  const { read } = reader({ '/s/openclaw.json': '{ a: { $include: "./x.json5" } }', '/s/x.json5': '{ b: { $include: "./openclaw.json" } }' });
  await assert.rejects(
    resolveOpenclawConfig('/s/openclaw.json', read),
    (e: OcmError) => e.kind === 'invalidConfig' && /Circular \$include: \/s\/openclaw.json -> \/s\/x.json5 -> \/s\/openclaw.json/.test(e.message),
  );
});

test('missing include, include outside the config folder, bad include value', async () => {
  await assert.rejects(
    resolveOpenclawConfig('/s/openclaw.json', reader({ '/s/openclaw.json': '{ a: { $include: "./gone.json5" } }' }).read),
    (e: OcmError) => e.kind === 'invalidConfig' && /gone\.json5.*not found/.test(e.message),
  );
  await assert.rejects(
    resolveOpenclawConfig('/s/openclaw.json', reader({ '/s/openclaw.json': '{ a: { $include: "../etc.json5" } }' }).read),
    (e: OcmError) => e.kind === 'invalidConfig' && /outside the config folder/.test(e.message),
  );
  await assert.rejects(
    resolveOpenclawConfig('/s/openclaw.json', reader({ '/s/openclaw.json': '{ a: { $include: 3 } }' }).read),
    (e: OcmError) => e.kind === 'invalidConfig' && /must be a path/.test(e.message),
  );
});

test('a syntax error in an include names that file with line and column', async () => {
  const { read } = reader({ '/s/openclaw.json': '{ a: { $include: "./x.json5" } }', '/s/x.json5': '{\n  ok: 1,\n  bad: [1, 2\n}' });
  await assert.rejects(
    resolveOpenclawConfig('/s/openclaw.json', read),
    (e: OcmError) => e.kind === 'invalidConfig' && /^\/s\/x\.json5:4:1: /.test(e.message) && e.details.line === 4,
  );
});

test('parseJson5 error message says what to do', () => {
  assert.throws(
    () => parseJson5('{ a: }', '/c.json'),
    (e: OcmError) => e.kind === 'invalidConfig' && /^\/c\.json:1:6: invalid character '}'.*Fix the file/.test(e.message),
  );
});

test('deepMerge follows OpenClaw: arrays concat, objects merge, scalars replace', () => {
  assert.deepEqual(deepMerge({ a: [1], o: { x: 1 }, s: 1 }, { a: [2], o: { y: 2 }, s: 'two' }), { a: [1, 2], o: { x: 1, y: 2 }, s: 'two' });
});

test('limits: include references (repeats counted), bytes per include and in total, include paths', async () => {
  const many = (file: string, n: number): string => `{ $include: [${Array.from({ length: n }, () => `"./${file}"`).join(', ')}] }`;
  // 10 × 10 references to one tiny file: few reads, but the resolved value would multiply.
  const fan = reader({
    '/s/openclaw.json': '{ x: { $include: "./a.json5" } }',
    '/s/a.json5': many('b.json5', 10),
    '/s/b.json5': many('c.json5', 10),
    '/s/c.json5': '{ v: [1] }',
  });
  await assert.rejects(
    resolveOpenclawConfig('/s/openclaw.json', fan.read),
    (e: OcmError) => e.kind === 'invalidConfig' && /^\/s\/openclaw\.json: more than 100 \$include references \(repeats counted/.test(e.message),
  );
  assert.ok(fan.reads.length <= 4, 'each file is read once');
  // 100 references (1 + 9 + 90) are the limit, and fine
  const ok = reader({
    '/s/openclaw.json': '{ x: { $include: "./a.json5" } }',
    '/s/a.json5': many('b.json5', 9),
    '/s/b.json5': many('c.json5', 10),
    '/s/c.json5': '{ v: [1] }',
  });
  assert.equal(((await resolveOpenclawConfig('/s/openclaw.json', ok.read)).resolved.x as { v: number[] }).v.length, 90);

  const mib = (n: number): string => `{ pad: "${'a'.repeat(n * 1024 * 1024 - 20)}" }`;
  await assert.rejects(
    resolveOpenclawConfig('/s/openclaw.json', reader({ '/s/openclaw.json': '{ $include: "./big.json5" }', '/s/big.json5': mib(3) }).read),
    (e: OcmError) => e.kind === 'invalidConfig' && /^\/s\/openclaw\.json: \$include "\.\/big\.json5" \(\/s\/big\.json5\) is larger than 2 MiB/.test(e.message),
  );
  // Three 1.5 MiB includes, or one included three times: over the 4 MiB total.
  const half = mib(1.5);
  for (const main of ['{ $include: ["./a.json5", "./b.json5", "./c.json5"] }', '{ $include: ["./a.json5", "./a.json5", "./a.json5"] }']) {
    await assert.rejects(
      resolveOpenclawConfig('/s/openclaw.json', reader({ '/s/openclaw.json': main, '/s/a.json5': half, '/s/b.json5': half, '/s/c.json5': half }).read),
      (e: OcmError) => e.kind === 'invalidConfig' && /the \$include files add up to more than 4 MiB/.test(e.message),
    );
  }
  await assert.rejects(
    resolveOpenclawConfig('/s/openclaw.json', reader({ '/s/openclaw.json': '{ $include: "./a\\u0000.json5" }' }).read),
    (e: OcmError) => e.kind === 'invalidConfig' && /not a usable path/.test(e.message),
  );
});

test('through the real LocalTransport: includes are followed by real path on the node; outside targets and devices are refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ocm include '));
  const t = new LocalTransport({ nodeId: 'here' });
  try {
    // The state dir is reached through a symlink: includes inside it still count as inside.
    await mkdir(join(dir, 'real state', 'config'), { recursive: true });
    await symlink(join(dir, 'real state'), join(dir, 'state'));
    const state = join(dir, 'state');
    await writeFile(join(state, 'config', 'agents.json5'), '{ list: [{ id: "main" }] }');
    await symlink(join(state, 'config', 'agents.json5'), join(state, 'config', 'link.json5'));
    await writeFile(join(state, 'openclaw.json'), '{ agents: { $include: "./config/link.json5" } }');
    const c = await readOpenclawConfig(t, join(state, 'openclaw.json'));
    assert.deepEqual(c.resolved, { agents: { list: [{ id: 'main' }] } });
    assert.deepEqual(
      c.files.map((f) => f.path),
      [join(state, 'openclaw.json'), join(state, 'config', 'link.json5')],
    );

    await writeFile(join(dir, 'outside.json5'), '{ list: [] }');
    for (const [target, pattern] of [
      [join(dir, 'outside.json5'), /resolves \(through a symlink\) to .*outside\.json5, outside the config folder/],
      ['/dev/zero', /resolves \(through a symlink\) to \/dev\/zero, outside the config folder/],
      [join(dir, 'nowhere.json5'), /\$include "\.\/config\/bad\.json5" not found/],
    ] as const) {
      await rm(join(state, 'config', 'bad.json5'), { force: true });
      await symlink(target, join(state, 'config', 'bad.json5'));
      await writeFile(join(state, 'openclaw.json'), '{ agents: { $include: "./config/bad.json5" } }');
      await assert.rejects(
        readOpenclawConfig(t, join(state, 'openclaw.json')),
        (e: OcmError) => e.kind === 'invalidConfig' && pattern.test(e.message),
        String(target),
      );
    }
    await rm(join(state, 'config', 'bad.json5'));
    await mkdir(join(state, 'config', 'bad.json5'));
    await assert.rejects(
      readOpenclawConfig(t, join(state, 'openclaw.json')),
      (e: OcmError) => e.kind === 'invalidConfig' && /is not a regular file/.test(e.message),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
