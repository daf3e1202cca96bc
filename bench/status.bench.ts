/**
 * `ocm status` benchmark (issue 4). Standalone: `node --import tsx bench/status.bench.ts`
 *
 *   BENCH_NODES=20     harness sshd nodes (test/support/sshd, needs root)
 *   BENCH_RUNS=3       runs per method (median reported)
 *   BENCH_OPENCLAW=1   also time `openclaw status --json` for one real 2026.9.6 node (onboarded in
 *                      node 0's home with its gateway running, ~30 s setup) and our status of that
 *                      node (one run each: the CLI alone takes tens of seconds here); 0 skips it
 *
 * Methods: `ocm status --json` as a user runs it (a new `node dist/cli.js` process: start-up,
 * registry, ssh_config, known_hosts, handshakes, checks; build first: `npm run build`), on first
 * contact (a new ocm home: no discovery cache, no connection keeper), run again (the keeper's
 * connections and the cache), and run again with OCM_KEEP_CONNECTIONS=0 (new handshakes);
 * statusOfNodes over the ssh2 pool (concurrency 8) cold (new pool: handshakes included)
 * and warm (same pool again); baseline = OpenSSH `ssh node true` for every node one after another
 * (the floor of any per-node ssh script loop). Prints a table, ratios and one JSON line. No
 * assertions: wall times on shared machines swing ±30 %, compare the ratios.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { discoveryCachePath } from '../src/core/openclaw/discovery-cache-file';
import { nodeSchema, type NodeEntry } from '../src/core/registry';
import { SshPool } from '../src/core/ssh/pool';
import { statusOfNodes, type NodeStatus, type StatusDeps } from '../src/core/status';
import { createOpenclawNode, type OpenclawTestNode } from '../test/support/openclaw';
import { sshArgs, startSshNodes, targetFor, writeOcmHome, type SshNode, type SshNodeSet } from '../test/support/sshd';

const nodeCount = Number(process.env.BENCH_NODES ?? 20);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const withOpenclaw = process.env.BENCH_OPENCLAW !== '0';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'], ...(env ? { env } : {}) });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

function entryOf(node: SshNode): NodeEntry {
  return nodeSchema.parse({ id: node.id, host: node.host, port: node.port, user: node.user, identityFile: node.clientKeyPath });
}

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const value = await work();
  return [performance.now() - started, value];
}

async function main(): Promise<void> {
  let set: SshNodeSet | undefined;
  let openclaw: OpenclawTestNode | undefined;
  try {
    const setupStarted = Date.now();
    set = await startSshNodes(nodeCount, { idPrefix: 'bs' });
    const ocm = writeOcmHome(set);
    const nodes = set.nodes.map(entryOf);
    const byId = new Map(set.nodes.map((n) => [n.id, n]));
    console.log(`${nodeCount} sshd nodes started in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s`);

    // A user home for the CLI: ~/.ssh/known_hosts with the nodes' keys, OCM_HOME with their registry.
    const cliJs = join(__dirname, '..', 'dist', 'cli.js');
    if (!existsSync(cliJs)) throw new Error(`${cliJs} is missing: run npm run build first`);
    const userHome = join(set.dir, 'bench-user');
    mkdirSync(join(userHome, '.ssh'), { recursive: true, mode: 0o700 });
    writeFileSync(join(userHome, '.ssh', 'known_hosts'), set.nodes.map((n) => `${n.knownHostsLine}\n`).join(''));
    // The keeper a run starts leaves a minute after its last command (the sshd nodes stop anyway).
    const cliEnvFor = (ocmHome: string, keep = '1'): NodeJS.ProcessEnv => ({
      HOME: userHome,
      OCM_HOME: ocmHome,
      PATH: process.env.PATH,
      NO_COLOR: '1',
      OCM_LANG: 'en',
      OCM_KEEP_CONNECTIONS: keep,
    });
    const cli: number[] = [];
    const cliFirst: number[] = [];
    const cliNoKeeper: number[] = [];
    const floor: number[] = [];
    const cold: number[] = [];
    const warm: number[] = [];
    const baseline: number[] = [];
    let last: NodeStatus[] = [];
    const cliRun = async (env: NodeJS.ProcessEnv): Promise<number> => {
      const [ms, res] = await timed(() => run(process.execPath, [cliJs, 'status', '--json'], env));
      const summary = res.code === 0 ? (JSON.parse(res.stdout) as { summary: { reachable: number } }).summary : undefined;
      if (summary?.reachable !== nodeCount) throw new Error(`ocm status --json: exit ${res.code}, ${summary?.reachable ?? 0}/${nodeCount} reachable`);
      return ms;
    };
    for (let r = 0; r < runs; r++) {
      // First contact: a new ocm home (no discovery cache, no connection keeper yet: this run
      // starts one and every node's login shell is asked) ...
      const fresh = writeOcmHome(set).home;
      cliFirst.push(await cliRun(cliEnvFor(fresh)));
      // ... the run after it, as an operator repeating the command within minutes (the keeper's connections) ...
      cli.push(await cliRun(cliEnvFor(fresh)));
      // ... and the same without the keeper (OCM_KEEP_CONNECTIONS=0: this process connects to every node).
      rmSync(discoveryCachePath(ocm.home), { force: true });
      await cliRun(cliEnvFor(ocm.home, '0'));
      cliNoKeeper.push(await cliRun(cliEnvFor(ocm.home, '0')));
      const pool = new SshPool();
      const deps: StatusDeps = { transportFor: async (n) => pool.transportFor(targetFor(byId.get(n.id)!)) };
      const [c, coldResults] = await timed(() => statusOfNodes(nodes, deps, { concurrency: 8 }));
      const [w, warmResults] = await timed(() => statusOfNodes(nodes, deps, { concurrency: 8 }));
      await pool.close();
      cold.push(c);
      warm.push(w);
      last = warmResults;
      const bad = [...coldResults, ...warmResults].filter((s) => !s.reachable);
      if (bad.length) throw new Error(`unreachable during the bench: ${bad.map((s) => `${s.nodeId}: ${s.error?.message}`).join('; ')}`);
      // The floor of any SSH-based check: connect (new pool) and run `true` on every node, 8 at once.
      const floorPool = new SshPool();
      const [f] = await timed(async () => {
        let next = 0;
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            while (next < nodes.length) {
              const node = nodes[next++]!;
              await (await floorPool.transportFor(targetFor(byId.get(node.id)!))).exec('true');
            }
          }),
        );
      });
      await floorPool.close();
      floor.push(f);
      const [b] = await timed(async () => {
        for (const node of set!.nodes) {
          const res = await run('ssh', [...sshArgs(node, ocm.knownHostsPath), 'true']);
          if (res.code !== 0) throw new Error(`ssh ${node.id} true failed (${res.code})`);
        }
      });
      baseline.push(b);
    }
    const cliMs = median(cli);
    const cliFirstMs = median(cliFirst);
    const cliNoKeeperMs = median(cliNoKeeper);
    const coldMs = median(cold);
    const warmMs = median(warm);
    const baseMs = median(baseline);
    const floorMs = median(floor);
    const perNode = median(last.map((s) => s.durationMs));

    console.log(`\nmedian of ${runs} runs, ${nodeCount} nodes, concurrency 8:`);
    const line = (name: string, ms: number): void => console.log(`  ${name.padEnd(72)} ${ms.toFixed(0).padStart(7)} ms`);
    line('`ocm status --json`, first contact (no cache, no keeper: login shells run)', cliFirstMs);
    line('`ocm status --json`, again (connection keeper + discovery cache)', cliMs);
    line('`ocm status --json`, again with OCM_KEEP_CONNECTIONS=0 (new handshakes)', cliNoKeeperMs);
    line('statusOfNodes, cold pool (handshakes included)', coldMs);
    line('statusOfNodes, warm pool', warmMs);
    line(`floor: new ssh2 connection + exec \`true\` on each node, 8 at once`, floorMs);
    line(`baseline: \`ssh node true\` x${nodeCount}, one after another`, baseMs);
    console.log(`  per-node check duration (warm, median): ${perNode} ms`);
    console.log(
      `  cold / floor = ${(coldMs / floorMs).toFixed(2)}   ocm status / baseline = ${(cliMs / baseMs).toFixed(2)}   cold / baseline = ${(coldMs / baseMs).toFixed(2)}   warm / baseline = ${(warmMs / baseMs).toFixed(2)}`,
    );
    // The shared `npm run bench` line format (bench/measure.ts).
    console.log(
      `ocm status, ${nodeCount} nodes: ours ${cliMs.toFixed(0)} ms vs baseline ${baseMs.toFixed(0)} ms (ssh node true, serial) → ratio ${(cliMs / baseMs).toFixed(2)} (target ≤ 2000 ms: ${cliMs <= 2000 ? 'met' : 'MISSED'})`,
    );
    console.log(
      `ocm status, ${nodeCount} nodes, first contact: ours ${cliFirstMs.toFixed(0)} ms vs baseline ${baseMs.toFixed(0)} ms → ratio ${(cliFirstMs / baseMs).toFixed(2)} (target ≤ 2000 ms: ${cliFirstMs <= 2000 ? 'met' : 'MISSED'})`,
    );
    console.log(
      `ocm status, ${nodeCount} nodes, without the keeper: ours ${cliNoKeeperMs.toFixed(0)} ms vs baseline ${baseMs.toFixed(0)} ms → ratio ${(cliNoKeeperMs / baseMs).toFixed(2)} (target ≤ 2000 ms: ${cliNoKeeperMs <= 2000 ? 'met' : 'MISSED'})`,
    );
    const result: Record<string, unknown> = {
      bench: 'status',
      nodes: nodeCount,
      runs,
      cliMs: Math.round(cliMs),
      cliFirstMs: Math.round(cliFirstMs),
      cliNoKeeperMs: Math.round(cliNoKeeperMs),
      coldMs: Math.round(coldMs),
      warmMs: Math.round(warmMs),
      sshTrueSerialMs: Math.round(baseMs),
      floorMs: Math.round(floorMs),
      perNodeWarmMs: perNode,
    };

    if (withOpenclaw) {
      const node = set.nodes[0]!;
      try {
        openclaw = await createOpenclawNode({ version: '2026.9.6', home: node.home, owner: node.user });
        await openclaw.startGateway(300_000);
        // The install lives in root's tools cache, which the harness user cannot read: the CLI runs
        // locally for that home (its start-up cost is what matters; ssh adds ~300 ms on top).
        const pool = new SshPool();
        const deps: StatusDeps = { transportFor: async () => pool.transportFor(targetFor(node)) };
        await statusOfNodes([nodes[0]!], deps); // warm the connection
        const cli = await openclaw.run(['status', '--json'], { timeoutMs: 300_000 });
        if (cli.code !== 0) console.log(`  (openclaw status --json exited ${cli.code}: ${cli.stderr.slice(-300)})`);
        const [ourMs, [ours]] = await timed(() => statusOfNodes([nodes[0]!], deps));
        await pool.close();
        if (!ours?.gateway?.ready) console.log(`  (our status did not see the gateway ready: ${JSON.stringify(ours?.gateway)})`);
        line(`\`openclaw status --json\`, one node with a running gateway (x${nodeCount} serial ≈ ${((cli.ms * nodeCount) / 1000).toFixed(0)} s)`, cli.ms);
        line('our status of that same node (gateway probed), warm', ourMs);
        console.log(`  our ${nodeCount}-node ocm status / (openclaw status --json x${nodeCount} serial) = ${(cliMs / (cli.ms * nodeCount)).toFixed(4)}`);
        Object.assign(result, { openclawStatusJsonMs: cli.ms, ourSingleNodeMs: Math.round(ourMs) });
      } catch (e) {
        console.log(`  (openclaw comparison skipped: ${String(e).split('\n')[0]})`);
      }
    }
    console.log(JSON.stringify(result));
  } finally {
    await openclaw?.stopGateway();
    await set?.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
