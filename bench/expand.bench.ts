/**
 * Expanding a node in the tree (issue 4): the node's agents on a warm connection, target ≤ 150 ms,
 * against `openclaw agents list --json` run over the same SSH connection on the same node.
 * Standalone: `node --import tsx bench/expand.bench.ts` (needs root for the sshd harness and the
 * cached OpenClaw 2026.9.6: `node scripts/openclaw-tools.mjs 2026.9.6`).
 *
 * The node is a harness sshd user running a real OpenClaw 2026.9.6 (onboarded, three agents) through
 * `~/.local/bin/openclaw`, as in the restart/restore tests. Two cases of ours:
 *   - "first contact": discovery runs `openclaw --version` (Node.js starts on the node);
 *   - "tree": the extension's path — the version cache (shared with the health checks) already
 *     holds this binary's version, so discovery only `stat`s it.
 */
import { listNodeAgents } from '../src/core/openclaw/node-agents';
import { DiscoveryCache } from '../src/core/openclaw/discovery-cache';
import { nodeSchema } from '../src/core/registry';
import { SshPool } from '../src/core/ssh/pool';
import { ensureOpenclaw, createOpenclawNode } from '../test/support/openclaw';
import { installWrapper, shareOpenclawInstall, type SharedInstall } from '../test/support/ssh-openclaw-node';
import { startSshNodes, targetFor, type SshNodeSet } from '../test/support/sshd';
import { compare } from './measure';

async function main(): Promise<void> {
  let set: SshNodeSet | undefined;
  let shared: SharedInstall | undefined;
  const pool = new SshPool();
  try {
    set = await startSshNodes(1, { idPrefix: 'bx' });
    const node = set.nodes[0]!;
    shared = shareOpenclawInstall(await ensureOpenclaw('2026.9.6'));
    await createOpenclawNode({ version: '2026.9.6', home: node.home, owner: node.user, agents: [{ id: 'work' }, { id: 'research' }] });
    const wrapper = installWrapper(node, shared);
    const entry = nodeSchema.parse({ id: node.id, host: node.host, port: node.port, user: node.user, identityFile: node.clientKeyPath });
    const transport = await pool.transportFor(targetFor(node));
    await transport.exec('true');

    const check = (agents: { agents: unknown[]; location: { installed: boolean; reason?: string } }): void => {
      if (!agents.location.installed || agents.agents.length !== 3)
        throw new Error(`expected 3 agents on an installed node, got ${agents.agents.length} (${agents.location.reason ?? 'installed'})`);
    };
    const cli = async (): Promise<void> => {
      const r = await transport.exec(`${wrapper} agents list --json`, { timeoutMs: 120_000 });
      if (r.exitCode !== 0) throw new Error(`openclaw agents list --json exited ${r.exitCode}: ${r.stderr.slice(-300)}`);
    };
    const cache = new DiscoveryCache();
    const results = [
      await compare({
        name: 'expand a node (agents), warm connection, version cached (the tree)',
        ours: async () => check(await listNodeAgents(transport, entry, { discoveryCache: cache })),
        baseline: cli,
        baselineLabel: '`openclaw agents list --json` over the same ssh connection',
        runs: 5,
        oursPerRun: 3,
        target: { maxMs: 150 },
      }),
      await compare({
        name: 'expand a node (agents), warm connection, first contact (runs openclaw --version)',
        ours: async () => check(await listNodeAgents(transport, entry)),
        baseline: cli,
        baselineLabel: '`openclaw agents list --json` over the same ssh connection',
        runs: 3,
        oursPerRun: 2,
      }),
    ];
    console.log(JSON.stringify({ bench: 'expand', results }));
  } finally {
    await pool.close();
    await set?.stop();
    shared?.dispose();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
