import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guardPlan, type BulkPlan } from '../src/core/bulk';
import { buildFingerprintIndex, MixupGuard } from '../src/core/guard';
import { listHistory, storePreEditBackup } from '../src/core/history/store';
import type { AgentInfo } from '../src/core/openclaw';
import { buildTimeline } from '../src/core/timeline';
import { compare } from './measure';

/**
 * Issue 15 benchmarks. The mix-up guard's check per save with 100 agents registered (4 nodes × 25
 * agents, each with MEMORY/SOUL/IDENTITY/USER/AGENTS.md and 20 daily notes, ~8 KB memories) —
 * goal ≤ 20 ms, printed as a ratio to 20 ms and against the sha256 every safe save computes
 * anyway; and the timeline of a file with 500 versions (goal ≤ 100 ms) against reading the 500
 * history entries' metadata alone (listHistory).
 * Run: `npm run bench guard` or `node --import tsx bench/guard.bench.ts`.
 */

const TOPICS = ['deploy', 'invoice', 'customer', 'paper', 'recipe', 'garden', 'sprint', 'server', 'contract', 'playlist', 'flight', 'budget'];
const PEOPLE = ['Priya', 'Tomas', 'Lena', 'Daniel', 'Margaret', 'Sam', 'Ines', 'Ruth', 'Elspeth', 'Kenji', 'Aiko', 'Omar'];
const VERBS = ['asked about', 'approved', 'postponed', 'reviewed', 'rejected', 'shipped', 'renamed', 'paid for', 'cancelled', 'scheduled'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function sentence(r: () => number, i: number): string {
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)]!;
  return `- ${pick(PEOPLE)} ${pick(VERBS)} the ${pick(TOPICS)} #${Math.floor(r() * 10000)} on day ${(i % 28) + 1}; follow up with ${pick(PEOPLE)} about the ${pick(TOPICS)} numbers ${Math.floor(r() * 1000)}.`;
}

function memory(seed: number, lines: number): string {
  const r = rng(seed);
  return `# MEMORY.md\n\n## Notes\n\n${Array.from({ length: lines }, (_, i) => sentence(r, i)).join('\n')}\n`;
}

export async function run(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'ocm-bench-guard-'));
  try {
    const rosters: { nodeId: string; agents: AgentInfo[] }[] = [];
    let seed = 1;
    for (let n = 0; n < 4; n++) {
      const nodeId = `node${n + 1}`;
      const agents: AgentInfo[] = [];
      for (let a = 0; a < 25; a++) {
        const id = `agent${a + 1}`;
        const ws = `/home/claw/.openclaw/workspace-${id}`;
        agents.push({
          id,
          name: `Agent ${nodeId}-${id}`,
          workspace: ws,
          agentDir: `/home/claw/.openclaw/agents/${id}/agent`,
          isDefault: a === 0,
          source: 'entries',
        });
        const files: Record<string, string> = {
          'MEMORY.md': memory(seed++, 60),
          'SOUL.md': `# SOUL.md\n\nYou are Agent ${nodeId}-${id}.\n\nBe genuinely helpful, not performatively helpful.\n` + memory(seed++, 10),
          'IDENTITY.md': `# IDENTITY.md\n\n- **Name:** Agent ${nodeId}-${id}\n- **Vibe:** steady\n`,
          'USER.md': `# USER.md\n\n- **Name:** Human ${seed}\n` + memory(seed++, 5),
          'AGENTS.md': memory(seed++, 20),
        };
        for (let d = 1; d <= 20; d++) files[`memory/2026-11-${String(d).padStart(2, '0')}.md`] = memory(seed++, 8);
        for (const [name, text] of Object.entries(files))
          await storePreEditBackup(home, { nodeId, remotePath: `${ws}/${name}`, content: Buffer.from(text), reason: 'saved' });
      }
      rosters.push({ nodeId, agents });
    }
    const builtStart = performance.now();
    await buildFingerprintIndex({ home, rosters });
    console.log(
      `guard: building the index of 100 agents (2,500 files) from the history took ${(performance.now() - builtStart).toFixed(0)} ms (background work, not per save)`,
    );
    const guard = new MixupGuard(home);
    await guard.refresh(rosters);
    const target = rosters[0]!.agents[3]!;
    const path = `${target.workspace}/MEMORY.md`;
    const before = memory(7 * 4 * 25, 60);
    const hook = guard.hookFor('node1', rosters[0]!.agents, path)!;
    let i = 0;
    const content = () => Buffer.from(`${before}- ${i++} appended a note: the ${TOPICS[i % TOPICS.length]} review moved to Thursday.\n`);
    const result = await compare({
      name: 'mix-up guard check per save (100 agents, 8 KB MEMORY.md)',
      baselineLabel: 'sha256 of the content (every safe save does it)',
      ours: async () => hook(content(), Buffer.from(before)),
      baseline: async () => createHash('sha256').update(content()).digest('hex'),
      runs: 25,
      target: { maxMs: 20 },
    });
    console.log(`mix-up guard check per save: ${result.oursMs.toFixed(3)} ms vs budget 20 ms → ratio ${(result.oursMs / 20).toFixed(4)}`);

    // The guard over a bulk apply's plan: 20 MEMORY.md writes (a paragraph appended to each), the
    // same 100 agents registered; baseline: the 20 single-save checks one after another.
    const agents1 = rosters[0]!.agents;
    const files = agents1.slice(0, 20).map((a, k) => {
      const b = Buffer.from(memory(1000 + k, 60));
      return {
        nodeId: 'node1',
        agentId: a.id,
        path: `${a.workspace}/MEMORY.md`,
        action: 'update' as const,
        before: b,
        after: Buffer.concat([b, Buffer.from('- the on-call rota moves to the new calendar on Monday.\n')]),
      };
    });
    const plan: BulkPlan = { fileName: 'MEMORY.md', change: { mode: 'append', content: Buffer.from('') }, files };
    const hooks = files.map((f) => guard.hookFor('node1', agents1, f.path)!);
    const bulk = await compare({
      name: 'mix-up guard over a bulk plan of 20 MEMORY.md writes (100 agents)',
      baselineLabel: '20 single-save guard checks',
      ours: async () => guardPlan(plan, guard, async () => agents1),
      baseline: async () => files.forEach((f, k) => hooks[k]!(f.after, f.before)),
      runs: 15,
      target: { maxMs: 20 * 20 },
    });
    console.log(`mix-up guard per bulk-planned file: ${(bulk.oursMs / 20).toFixed(3)} ms vs budget 20 ms → ratio ${(bulk.oursMs / 20 / 20).toFixed(4)}`);

    // Timeline of a file with 500 versions (saves alternating with pre-edit copies).
    const tl = '/home/claw/.openclaw/workspace-main/MEMORY.md';
    let text = memory(99, 40);
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    for (let v = 0; v < 500; v++) {
      text += `- version ${v}: a fact learned in session ${v}.\n`;
      await storePreEditBackup(home, {
        nodeId: 'node9',
        remotePath: tl,
        content: Buffer.from(text),
        reason: v % 2 ? 'saved' : 'pre-edit',
        now: () => new Date(t0 + v * 60_000),
      });
    }
    const tlResult = await compare({
      name: 'timeline of MEMORY.md with 500 versions',
      baselineLabel: 'listHistory (metadata of the 500 entries only)',
      ours: async () => buildTimeline({ home, nodeId: 'node9', remotePath: tl }),
      baseline: async () => listHistory(home, 'node9', tl),
      runs: 5,
      target: { maxMs: 100 },
    });
    console.log(`timeline of 500 versions: ${tlResult.oursMs.toFixed(1)} ms vs budget 100 ms → ratio ${(tlResult.oursMs / 100).toFixed(3)}`);
  } finally {
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
