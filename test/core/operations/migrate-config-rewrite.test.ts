import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import JSON5 from 'json5';
import {
  flagExternalSymlinks,
  mapPath,
  rewriteConfig,
  rewritePathsInString,
  rewriteRemoteUrl,
  withTildeForms,
} from '../../../src/core/operations/config-rewrite';
import { parseJson5Spans, setJson5Value } from '../../../src/core/operations/config-rewrite-json5';

const SRC = '/home/alice/.openclaw';
const DST = '/home/bob/oc-new';
const map = [
  { from: SRC, to: DST },
  { from: '/home/alice', to: '/home/bob' },
];

const MAIN = `// my node
{
  gateway: {
    port: 18789, // the default
    auth: { mode: 'token', token: 'old-secret-token' },
  },
  agents: {
    defaults: { workspace: "/home/alice/.openclaw/workspace" },
    entries: {
      work: { workspace: '/home/alice/.openclaw/workspace-work', agentDir: "/home/alice/.openclaw/agents/work/agent" },
      notes: { workspace: '/home/alice/notes' },
      tilde: { workspace: '~/.openclaw/workspace-tilde' },
    },
  },
  hooks: { cmd: "node /home/alice/.openclaw/hooks/x.js --log=/home/alice/.openclaw/logs" },
  other: ["/home/alice/.openclaw-other/keep", "/home/alicex/keep", "/opt/shared"],
}
`;

describe('config rewrite for migrate', () => {
  it('maps paths longest prefix first, with boundaries', () => {
    assert.equal(mapPath('/home/alice/.openclaw/workspace', map), '/home/bob/oc-new/workspace');
    assert.equal(mapPath('/home/alice/x', map), '/home/bob/x');
    assert.equal(mapPath('/home/alicex', map), '/home/alicex');
    assert.equal(rewritePathsInString('a=/home/alice/.openclaw/x b=/home/alice/.openclawz', map), 'a=/home/bob/oc-new/x b=/home/bob/.openclawz');
  });

  it('rewrites paths in many places, keeps comments, sets port and keeps the token', () => {
    const r = rewriteConfig({
      files: [{ path: `${SRC}/openclaw.json`, role: 'main', text: MAIN }],
      pathMap: map,
      sourceHome: '/home/alice',
      targetHome: '/home/bob',
      port: 19555,
      sourcePort: 18789,
      sourceToken: 'old-secret-token',
    });
    const f = r.files[0]!;
    assert.equal(f.targetPath, `${DST}/openclaw.json`);
    assert.equal(f.before, MAIN);
    assert.match(f.after, /^\/\/ my node/);
    assert.match(f.after, /port: 19555, \/\/ the default/);
    const parsed = JSON5.parse(f.after);
    assert.equal(parsed.gateway.auth.token, 'old-secret-token');
    assert.equal(parsed.agents.defaults.workspace, `${DST}/workspace`);
    assert.equal(parsed.agents.entries.work.workspace, `${DST}/workspace-work`);
    assert.equal(parsed.agents.entries.work.agentDir, `${DST}/agents/work/agent`);
    assert.equal(parsed.agents.entries.notes.workspace, '/home/bob/notes');
    assert.equal(parsed.agents.entries.tilde.workspace, '~/oc-new/workspace-tilde');
    assert.equal(parsed.hooks.cmd, `node ${DST}/hooks/x.js --log=${DST}/logs`);
    assert.deepEqual(parsed.other, ['/home/bob/.openclaw-other/keep', '/home/alicex/keep', '/opt/shared']);
    assert.ok(!f.after.includes('/home/alice/'), f.after);
    const keys = r.rewrites.map((w) => w.key);
    assert.ok(keys.includes('agents.entries.work.agentDir'));
    assert.ok(keys.includes('gateway.port'));
    assert.ok(!keys.includes('gateway.auth.token'));
  });

  it('new token: set and shown redacted; gateway.remote follows port and token', () => {
    const text = `{ gateway: { port: 18789, auth: { token: "old" }, remote: { url: "ws://127.0.0.1:18789", token: "old" } } }`;
    const r = rewriteConfig({
      files: [{ path: `${SRC}/openclaw.json`, role: 'main', text }],
      pathMap: map,
      sourceHome: '/home/alice',
      targetHome: '/home/bob',
      port: 20001,
      sourcePort: 18789,
      sourceToken: 'old',
      newToken: 'n3w',
      remoteUrl: 'ws://127.0.0.1:18789',
      remoteToken: 'old',
    });
    const parsed = JSON5.parse(r.files[0]!.after);
    assert.equal(parsed.gateway.auth.token, 'n3w');
    assert.equal(parsed.gateway.remote.url, 'ws://127.0.0.1:20001');
    assert.equal(parsed.gateway.remote.token, 'n3w');
    const tokenRewrite = r.rewrites.find((w) => w.key === 'gateway.auth.token')!;
    assert.equal(tokenRewrite.after, '<redacted>');
    assert.ok(!JSON.stringify(r.rewrites).includes('n3w'));
  });

  it('remote URL of another host is left alone; the source host is replaced', () => {
    assert.equal(rewriteRemoteUrl('wss://gw.example.com', { sourcePort: 18789, port: 1, sourceHost: 'a' }), 'wss://gw.example.com');
    assert.equal(rewriteRemoteUrl('ws://alpha:18789', { sourcePort: 18789, port: 19000, sourceHost: 'alpha', targetHost: 'beta' }), 'ws://beta:19000');
  });

  it('includes: paths rewritten in included files; port set where the gateway is included', () => {
    const main = `{ gateway: { $include: "./gateway.json5" }, agents: { $include: "./agents.json5" } }`;
    const gw = `// gateway\n{\n  port: 18789,\n  auth: { token: "t" },\n}\n`;
    const agents = `{ entries: { main: { workspace: "${SRC}/workspace" } } }`;
    const r = rewriteConfig({
      files: [
        { path: `${SRC}/openclaw.json`, role: 'main', text: main },
        { path: `${SRC}/gateway.json5`, role: 'include', text: gw },
        { path: `${SRC}/agents.json5`, role: 'include', text: agents },
      ],
      pathMap: map,
      sourceHome: '/home/alice',
      targetHome: '/home/bob',
      port: 19999,
      sourcePort: 18789,
      sourceToken: 't',
      newToken: 'fresh',
    });
    const byPath = Object.fromEntries(r.files.map((f) => [f.targetPath, f.after]));
    assert.equal(byPath[`${DST}/openclaw.json`], main);
    assert.match(byPath[`${DST}/gateway.json5`]!, /^\/\/ gateway/);
    assert.equal(JSON5.parse(byPath[`${DST}/gateway.json5`]!).port, 19999);
    assert.equal(JSON5.parse(byPath[`${DST}/gateway.json5`]!).auth.token, 'fresh');
    assert.equal(JSON5.parse(byPath[`${DST}/agents.json5`]!).entries.main.workspace, `${DST}/workspace`);
  });

  it('missing keys are added (nested objects created), trailing commas handled', () => {
    assert.deepEqual(JSON5.parse(setJson5Value('{}', ['gateway', 'port'], '1')), { gateway: { port: 1 } });
    assert.deepEqual(JSON5.parse(setJson5Value('{\n  a: 1,\n}\n', ['gateway', 'auth', 'token'], '"x"')), { a: 1, gateway: { auth: { token: 'x' } } });
    assert.deepEqual(JSON5.parse(setJson5Value('{ gateway: { bind: "loopback" } }', ['gateway', 'port'], '2')), { gateway: { bind: 'loopback', port: 2 } });
    assert.deepEqual(JSON5.parse(setJson5Value('{ gateway: { $include: "./g.json5" } }', ['gateway', 'port'], '3')), {
      gateway: { $include: './g.json5', port: 3 },
    });
    assert.throws(() => parseJson5Spans('{ a: "x }'), /unterminated/);
  });

  it('~ forms follow a state dir inside the home', () => {
    assert.deepEqual(withTildeForms([{ from: SRC, to: DST }], '/home/alice', '/home/bob'), [
      { from: SRC, to: DST },
      { from: '~/.openclaw', to: '~/oc-new' },
    ]);
  });

  it('flags absolute symlinks: into the migrated tree (still the source path) or outside', () => {
    const flags = flagExternalSymlinks(
      [
        { entryPath: `${SRC}/workspace/shared`, linkpath: `${SRC}/workspace-work/notes` },
        { entryPath: `${SRC}/workspace/data`, linkpath: '/srv/data' },
        { entryPath: `${SRC}/workspace/rel`, linkpath: '../x' },
      ],
      map,
    );
    assert.equal(flags.length, 2);
    assert.equal(flags[0]!.points, 'source-tree');
    assert.equal(flags[0]!.targetEntryPath, `${DST}/workspace/shared`);
    assert.match(flags[0]!.message, /ln -sfn \/home\/bob\/oc-new\/workspace-work\/notes/);
    assert.equal(flags[1]!.points, 'outside');
  });
});
