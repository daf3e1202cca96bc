/**
 * `ocm doctor` benchmark (issue 17): the fleet report of 20 harness sshd nodes against `ocm status`
 * of the same nodes, over the same warm ssh2 pool (interleaved runs, median). Each node's home
 * holds the real OpenClaw 2026.9.6 fixture state tree (3 agents), so the doctor's extra exec
 * (workspaces, MEMORY.md sizes, unit/.env token lines) has real work. Goal: ≤ 1.5×.
 *
 *   BENCH_NODES=20   harness nodes (needs root)
 *   BENCH_RUNS=5     measured runs of each
 */
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { runDoctor } from '../src/core/doctor';
import { DiscoveryCache } from '../src/core/openclaw/discovery-cache';
import { nodeSchema, type NodeEntry } from '../src/core/registry';
import { SshPool } from '../src/core/ssh/pool';
import { statusOfNodes, type StatusDeps } from '../src/core/status';
import { materialiseFixture } from '../test/support/openclaw-fixtures';
import { startSshNodes, targetFor, type SshNodeSet } from '../test/support/sshd';
import { compare } from './measure';

const nodeCount = Number(process.env.BENCH_NODES ?? 20);
const runs = Number(process.env.BENCH_RUNS ?? 5);

async function main(): Promise<void> {
  let set: SshNodeSet | undefined;
  const pool = new SshPool();
  try {
    set = await startSshNodes(nodeCount, { idPrefix: 'db' });
    for (const node of set.nodes) {
      const fx = await materialiseFixture('v2026.9.6');
      // The fixture's paths are written for its temp HOME; this node's home replaces it.
      cpSync(fx.home, node.home, { recursive: true });
      execFileSync('sh', [
        '-c',
        `grep -rl ${JSON.stringify(fx.home)} ${JSON.stringify(join(node.home, '.openclaw'))} | xargs -r sed -i "s#${fx.home}#${node.home}#g"`,
      ]);
      execFileSync('chown', ['-R', `${node.user}:`, node.home]);
      await fx.cleanup();
    }
    const entries: NodeEntry[] = set.nodes.map((n) => nodeSchema.parse({ id: n.id, host: n.host, port: n.port, user: n.user, identityFile: n.clientKeyPath }));
    const byId = new Map(set.nodes.map((n) => [n.id, n]));
    const deps: StatusDeps = { transportFor: async (e) => pool.transportFor(targetFor(byId.get(e.id)!)) };
    const cache = new DiscoveryCache();
    const result = await compare({
      name: `ocm doctor of ${nodeCount} nodes (warm pool) vs ocm status of the same nodes`,
      ours: () => runDoctor({ nodes: entries, deps, discoveryCache: cache }),
      baseline: () => statusOfNodes(entries, deps, { discoveryCache: cache }),
      baselineLabel: 'status',
      runs,
      target: { maxRatio: 1.5 },
    });
    const report = await runDoctor({ nodes: entries, deps, discoveryCache: cache });
    console.log(
      JSON.stringify({
        bench: 'doctor',
        nodes: nodeCount,
        oursMs: result.oursMs,
        statusMs: result.baselineMs,
        ratio: result.ratio,
        findings: report.findings.length,
      }),
    );
  } finally {
    await pool.close();
    await set?.stop();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
