import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isMixupError, MixupGuard } from '../../../src/core/guard';
import { storePreEditBackup } from '../../../src/core/history/store';
import type { AgentInfo } from '../../../src/core/openclaw';
import { atlas } from './corpus-agents';

/**
 * OpenClaw's stock SOUL.md (fixture: the one `openclaw onboard` 2026.9.6 writes, MIT) is nobody's
 * memory: saved into a new agent on a node where one other agent still has it, it passes; that
 * other agent's own lines pasted in are still caught.
 */
const stockSoul = readFileSync(join(__dirname, 'fixtures', 'SOUL.openclaw-2026.9.6.md'), 'utf8');
const agents: AgentInfo[] = [
  { id: 'main', workspace: '/w/main', agentDir: '/a/main', isDefault: true, source: 'entries' },
  { id: 'ops', workspace: '/w/ops', agentDir: '/a/ops', isDefault: false, source: 'entries' },
];

describe('stock template text in the mix-up guard', () => {
  it("the stock SOUL.md into a new agent passes; the other agent's own lines with it are caught", async () => {
    const home = await mkdtemp(join(tmpdir(), 'ocm-guard-stock-'));
    try {
      const mainSoul = stockSoul + '\n## Mine\n' + atlas.files['SOUL.md'];
      await storePreEditBackup(home, { nodeId: 'n1', remotePath: '/w/main/SOUL.md', content: Buffer.from(mainSoul), reason: 'saved' });
      const guard = new MixupGuard(home);
      await guard.refresh([{ nodeId: 'n1', agents }]);
      const hook = guard.hookFor('n1', agents, '/w/ops/SOUL.md')!;
      hook(Buffer.from(stockSoul), undefined);
      assert.throws(
        () => hook(Buffer.from(mainSoul), undefined),
        (e) => isMixupError(e) && (e.details.findings as { other: { agentId: string } }[])[0]!.other.agentId === 'main',
      );
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
