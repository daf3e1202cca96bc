import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deepMerge, parseJson5, resolveOpenclawConfig } from '../../../src/core/openclaw/config';
import { OcmError } from '../../../src/core/errors';

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
  await assert.rejects(resolveOpenclawConfig('/s/openclaw.json', read), (e: OcmError) => e.kind === 'invalidConfig' && /Circular \$include: \/s\/openclaw.json -> \/s\/x.json5 -> \/s\/openclaw.json/.test(e.message));
});

test('missing include, include outside the config folder, bad include value', async () => {
  await assert.rejects(resolveOpenclawConfig('/s/openclaw.json', reader({ '/s/openclaw.json': '{ a: { $include: "./gone.json5" } }' }).read), (e: OcmError) => e.kind === 'invalidConfig' && /gone\.json5.*not found/.test(e.message));
  await assert.rejects(resolveOpenclawConfig('/s/openclaw.json', reader({ '/s/openclaw.json': '{ a: { $include: "../etc.json5" } }' }).read), (e: OcmError) => e.kind === 'invalidConfig' && /outside the config folder/.test(e.message));
  await assert.rejects(resolveOpenclawConfig('/s/openclaw.json', reader({ '/s/openclaw.json': '{ a: { $include: 3 } }' }).read), (e: OcmError) => e.kind === 'invalidConfig' && /must be a path/.test(e.message));
});

test('a syntax error in an include names that file with line and column', async () => {
  const { read } = reader({ '/s/openclaw.json': '{ a: { $include: "./x.json5" } }', '/s/x.json5': '{\n  ok: 1,\n  bad: [1, 2\n}' });
  await assert.rejects(resolveOpenclawConfig('/s/openclaw.json', read), (e: OcmError) => e.kind === 'invalidConfig' && /^\/s\/x\.json5:4:1: /.test(e.message) && e.details.line === 4);
});

test('parseJson5 error message says what to do', () => {
  assert.throws(() => parseJson5('{ a: }', '/c.json'), (e: OcmError) => e.kind === 'invalidConfig' && /^\/c\.json:1:6: invalid character '}'.*Fix the file/.test(e.message));
});

test('deepMerge follows OpenClaw: arrays concat, objects merge, scalars replace', () => {
  assert.deepEqual(deepMerge({ a: [1], o: { x: 1 }, s: 1 }, { a: [2], o: { y: 2 }, s: 'two' }), { a: [1, 2], o: { x: 1, y: 2 }, s: 'two' });
});
