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
