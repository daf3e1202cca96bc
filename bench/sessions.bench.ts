/**
 * Session reading benchmark (issue 17). Standalone: `node --import tsx bench/sessions.bench.ts`
 *
 *   BENCH_RUNS=5   runs per method (median reported)
 *
 * One real OpenClaw 2026.9.6 node (the pre-onboarded fixture, stub model, gateway running, three
 * sessions made by the gateway), seen through one transport (this machine, like `host: local`):
 *   baseline  `openclaw sessions --all-agents --limit all --json` over that transport (the old
 *             SQLite-era path, what `ocm status --sessions` ran);
 *   rpc       readSessionUsage as `ocm status` now runs it: connect to the gateway through the
 *             transport, hello, `sessions.list` per agent, close (nothing cached between runs);
 *   rpc-warm  `sessions.list` per agent on an open RPC connection (a long-lived face).
 * Issue target: warm listing ≤ 0.1× the baseline. Prints a table, ratios and one JSON line.
 */
import { nodeSchema } from '../src/core/registry';
import { locateOpenclaw } from '../src/core/openclaw/locate';
import { connectGatewayRpc } from '../src/core/sessions/gateway-rpc';
import { listSessionsRpc } from '../src/core/sessions/rpc-read';
import { readSessionUsage } from '../src/core/status/sessions';
import { agentsStatus } from '../src/core/status/node-status';
import { LocalTransport } from '../src/core/transport/local-transport';
import { shellQuote } from '../src/core/transport/shell-quote';
import type { Transport } from '../src/core/transport/types';
import { TEST_GATEWAY_TOKEN } from '../test/support/openclaw';
import { prepareGatewayNode } from '../test/support/openclaw-gateway-node';

const runs = Number(process.env.BENCH_RUNS ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function time(n: number, fn: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

async function main(): Promise<void> {
  const node = await prepareGatewayNode({ contextWindow: 16_000, promptTokens: 9000 });
  try {
    await node.start();
    const local = new LocalTransport({ nodeId: 'bench' });
    const exec = local.exec.bind(local);
    local.exec = (cmd, opts = {}) => exec(cmd, { ...opts, env: { HOME: node.fixture.home, PATH: '/usr/bin:/bin', SHELL: '/bin/sh', ...(opts.env ?? {}) } });
    const transport: Transport = local;
    const rpc = await connectGatewayRpc(transport, { port: node.openclaw.port, token: TEST_GATEWAY_TOKEN });
    for (const key of ['agent:main:a', 'agent:main:b', 'agent:work:c']) {
      await rpc.call('sessions.create', { key, agentId: key.split(':')[1], message: 'hello' }, { timeoutMs: 60_000 });
    }
    const location = await locateOpenclaw(
      transport,
      nodeSchema.parse({ id: 'bench', host: 'local', openclawPath: node.wrapper, stateDir: node.fixture.stateDir }),
    );
    const agentIds = agentsStatus(location)?.ids ?? ['main'];
    const baseline = await time(runs, async () => {
      const r = await transport.exec(`${shellQuote(node.wrapper)} sessions --all-agents --limit all --json </dev/null`, { timeoutMs: 120_000 });
      if (r.exitCode !== 0) throw new Error(r.stderr);
    });
    const viaStatus = await time(runs * 4, async () => {
      const s = await readSessionUsage(transport, location, agentIds, { thresholdPct: 80, includeSessions: false });
      if (s.source !== 'gateway-rpc') throw new Error(JSON.stringify(s));
    });
    const warm = await time(runs * 4, () => listSessionsRpc(rpc, agentIds));
    rpc.close();
    const rows = [
      ['openclaw sessions --all-agents --json (baseline)', baseline],
      ['ocm status session read (RPC, connect + list + close)', viaStatus],
      ['sessions.list on an open RPC connection (warm)', warm],
    ] as const;
    for (const [name, ms] of rows) console.log(`${name.padEnd(58)} ${ms.toFixed(1).padStart(9)} ms  ${(ms / baseline).toFixed(4)}×`);
    console.log(
      JSON.stringify({
        bench: 'sessions',
        runs,
        baselineMs: Math.round(baseline),
        rpcMs: Math.round(viaStatus * 10) / 10,
        warmMs: Math.round(warm * 10) / 10,
        rpcRatio: viaStatus / baseline,
        warmRatio: warm / baseline,
        target: 0.1,
      }),
    );
  } finally {
    await node.cleanup();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
