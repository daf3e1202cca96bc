import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveAgents } from '../../../src/core/openclaw/agents';
import { readOpenclawConfig } from '../../../src/core/openclaw/config';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import { FIXTURE_TREES, fixtureManifest, materialiseFixture } from '../../support/openclaw-fixtures';

/** The fields our fast answer shares with `openclaw agents list --json`. */
function comparable(a: object): Record<string, unknown> {
  const r = a as Record<string, unknown>;
  return { id: r.id, workspace: r.workspace, agentDir: r.agentDir, isDefault: r.isDefault, ...(r.name ? { name: r.name } : {}) };
}

for (const tree of FIXTURE_TREES) {
  const manifest = fixtureManifest(tree);
  for (const variant of [undefined, ...manifest.variants]) {
    test(`agents from the raw config equal the real CLI's answer: ${tree}${variant ? ` / ${variant}` : ''}`, async () => {
      const fx = await materialiseFixture(tree, variant);
      try {
        const transport = new LocalTransport({ nodeId: 'fixture' });
        const config = await readOpenclawConfig(transport, join(fx.stateDir, 'openclaw.json'));
        const agents = resolveAgents(config.resolved, { home: fx.home, stateDir: fx.stateDir, stateDirFromEnv: fx.stateDirFromEnv, version: fx.version });
        assert.deepEqual(agents.map(comparable), fx.expectedAgents.map(comparable));
      } finally {
        await fx.cleanup();
      }
    });
  }
}

const ctx = { home: '/home/u', stateDir: '/home/u/.openclaw', stateDirFromEnv: false };

test('entries win over list when both exist; ids are normalised', () => {
  const agents = resolveAgents(
    { agents: { list: [{ id: 'old' }], entries: { Main: { default: true }, 'Work Bot': { workspace: '~/wb', agentDir: 'rel/dir' } } } },
    { ...ctx, version: '2026.9.6' },
  );
  assert.deepEqual(
    agents.map((a) => [a.id, a.workspace, a.agentDir, a.isDefault, a.source]),
    [
      ['main', '/home/u/.openclaw/workspace', '/home/u/.openclaw/agents/main/agent', true, 'entries'],
      ['work-bot', '/home/u/wb', '/home/u/rel/dir', false, 'entries'],
    ],
  );
});

test('no roster at all: one implicit main agent in both eras', () => {
  for (const version of ['2026.9.6', '2026.7.1']) {
    const agents = resolveAgents({}, { ...ctx, version });
    assert.deepEqual(
      agents.map((a) => [a.id, a.workspace, a.isDefault, a.source]),
      [['main', '/home/u/.openclaw/workspace', true, 'implicit']],
    );
  }
});

test('unknown version: the rules follow the config shape', () => {
  const modern = resolveAgents({ agents: { entries: { a: {}, b: {} }, ownership: 'explicit', defaults: { systemAgent: { agentId: 'b' } } } }, ctx);
  assert.deepEqual(
    modern.map((a) => [a.id, a.workspace, a.isDefault]),
    [
      ['a', '/home/u/.openclaw/workspace-a', false],
      ['b', '/home/u/.openclaw/workspace-b', true],
    ],
  );
  const old = resolveAgents({ agents: { list: [{ id: 'a' }, { id: 'b' }] } }, ctx);
  assert.deepEqual(
    old.map((a) => [a.id, a.workspace, a.isDefault]),
    [
      ['a', '/home/u/.openclaw/workspace', true],
      ['b', '/home/u/.openclaw/workspace-b', false],
    ],
  );
});

test('the model comes from the agent, else agents.defaults (string or {primary})', () => {
  const agents = resolveAgents(
    { agents: { defaults: { model: { primary: 'openai/gpt-x' } }, list: [{ id: 'a', model: 'anthropic/c' }, { id: 'b' }] } },
    { ...ctx, version: '2026.7.1' },
  );
  assert.deepEqual(
    agents.map((a) => a.model),
    ['anthropic/c', 'openai/gpt-x'],
  );
});
