import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyBulkPlan, planBulkApply, type NodeReach } from '../src/core/bulk';
import type { AgentInfo } from '../src/core/openclaw';
import { readForEdit, safeWrite } from '../src/core/safe-write';
import { SshPool } from '../src/core/ssh/pool';
import { shellQuote } from '../src/core/transport/shell-quote';
import type { Transport } from '../src/core/transport/types';
import { runAsNodeUser, startSshNodes, targetFor } from '../test/support/sshd';
import { compare } from './measure';

/**
 * Issue 15: bulk apply to 20 agents on 4 harness sshd nodes (5 agents each) — plan (one read
 * per file) + apply (each through the safe save) — against 20 single safe saves done one after
 * another (readForEdit + safeWrite, what an operator does by hand). Goal: ≤ 2×.
 * Run: `npm run bench bulk` or `node --import tsx bench/bulk.bench.ts`.
 */
export async function run(): Promise<void> {
  const set = await startSshNodes(4);
  const pool = new SshPool();
  const home = mkdtempSync(join(tmpdir(), 'ocm-bench-bulk-'));
  try {
    const transports = new Map<string, Transport>();
    const agents = new Map<string, AgentInfo[]>();
    for (const n of set.nodes) {
      transports.set(n.id, pool.transportFor(targetFor(n)));
      const list: AgentInfo[] = [];
      for (let a = 0; a < 5; a++) {
        const ws = `${n.home}/.openclaw/workspace-a${a}`;
        await runAsNodeUser(
          n,
          `mkdir -p ${shellQuote(ws)} && printf '# SOUL\\n\\n## Tools\\n- old\\n\\n## Rules\\nbe kind\\n' > ${shellQuote(ws + '/SOUL.md')}`,
        );
        list.push({ id: `a${a}`, workspace: ws, agentDir: `${n.home}/.openclaw/agents/a${a}/agent`, isDefault: a === 0, source: 'entries' });
      }
      agents.set(n.id, list);
    }
    const reach: NodeReach = { transport: async (id) => transports.get(id)!, agents: async (id) => agents.get(id)! };
    const targets = set.nodes.flatMap((n) => agents.get(n.id)!.map((a) => ({ nodeId: n.id, agentId: a.id })));
    let round = 0;
    await compare({
      name: 'bulk apply, 20 agents on 4 nodes (plan + apply)',
      ours: async () => {
        const plan = await planBulkApply(reach, targets, 'SOUL.md', {
          mode: 'replaceSection',
          heading: '## Tools',
          content: Buffer.from(`- tool ${round++}\n`),
        });
        const outcome = await applyBulkPlan(plan, { home, transport: reach.transport });
        if (!outcome.ok) throw new Error(outcome.failure?.error.message);
      },
      baseline: async () => {
        for (const t of targets) {
          const tr = transports.get(t.nodeId)!;
          const path = `${agents.get(t.nodeId)!.find((a) => a.id === t.agentId)!.workspace}/SOUL.md`;
          const opened = await readForEdit(tr, path);
          await safeWrite(tr, {
            home,
            nodeId: t.nodeId,
            remotePath: path,
            content: Buffer.from(`# SOUL\n\n## Tools\n- single ${round++}\n\n## Rules\nbe kind\n`),
            expected: opened,
          });
        }
      },
      baselineLabel: '20 single safe saves one after another',
      runs: 5,
      target: { maxRatio: 2 },
    });
  } finally {
    await pool.close();
    await set.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
