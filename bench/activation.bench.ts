// Activation cost of the extension: bundle size and the time from require() to the end of
// activate(), each run in a fresh Node process with a minimal `vscode` stub (bench/activation-probe.cjs),
// for the production bundle (what the .vsix ships) and the developer bundle. Also checks that
// activation opens no sockets, resolves no names and starts no processes (the bench fails if it
// does; timings never fail it). Target: ≤ 50 ms (issue 8).
//
//   npm run bench activation      (or: node --import tsx bench/activation.bench.ts)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as esbuild from 'esbuild';

const TARGET_MS = 50;
const RUNS = Number(process.env.OCM_BENCH_RUNS ?? 7);

interface Probe {
  requireMs: number;
  activateMs: number;
  cpuMs: number;
  network: string[];
  processes: string[];
  commands: number;
  lazyLoaded: string[];
}

function probe(bundle: string, ocmHome: string): Promise<Probe> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const child = spawn(process.execPath, [join(__dirname, 'activation-probe.cjs'), bundle], {
      env: { ...process.env, OCM_HOME: ocmHome },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) return reject(new Error(`the probe failed (exit ${code}): ${err.slice(-2000)}`));
      resolve(JSON.parse(line) as Probe);
    });
  });
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

async function buildBundles(dir: string): Promise<{ production: string; development: string; vendor: string[] }> {
  const { extensionBuilds, VENDOR } = await import('../scripts/bundles.mjs');
  // The same bundles as scripts/package.mjs (production) and scripts/build.mjs (development):
  // extension.js plus vendor/*.js, the libraries it requires on first use.
  const production = join(dir, 'production');
  const development = join(dir, 'development');
  await Promise.all(
    [...extensionBuilds({ outdir: production, production: true }), ...extensionBuilds({ outdir: development, production: false })].map((b) => esbuild.build(b)),
  );
  return { production: join(production, 'extension.js'), development: join(development, 'extension.js'), vendor: VENDOR };
}

const vendorBytes = (bundle: string, vendor: string[]): number =>
  vendor.reduce((sum, name) => sum + statSync(join(dirname(bundle), 'vendor', `${name}.js`)).size, 0);

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'ocm-activation-bench-'));
  let networkProblems = 0;
  try {
    const bundles = await buildBundles(work);
    const ocmHome = join(work, 'ocm-home');
    console.log(
      `machine: ${cpus().length} cores, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (wall times inflate under load; CPU time less so)`,
    );
    console.log(
      `bundle size: production ${kib(statSync(bundles.production).size)} (minified, what the .vsix ships; + ${kib(vendorBytes(bundles.production, bundles.vendor))} in vendor/*.js, loaded on first use), development ${kib(statSync(bundles.development).size)} (+ ${kib(vendorBytes(bundles.development, bundles.vendor))})`,
    );
    const summary: Record<string, unknown> = { bench: 'activation', runs: RUNS, targetMs: TARGET_MS, productionBytes: statSync(bundles.production).size };
    for (const [label, bundle] of [
      ['production', bundles.production],
      ['development', bundles.development],
    ] as const) {
      await probe(bundle, ocmHome); // warm the OS file cache, not the module cache (each probe is a new process)
      const runs: Probe[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await probe(bundle, ocmHome));
      const total = median(runs.map((r) => r.requireMs + r.activateMs));
      const cpu = median(runs.map((r) => r.cpuMs));
      const met = total <= TARGET_MS ? 'met' : 'MISSED';
      console.log(
        `activation ${label} (require ${ms(median(runs.map((r) => r.requireMs)))} ms + activate() ${ms(median(runs.map((r) => r.activateMs)))} ms): ours ${ms(total)} ms vs baseline [target] ${TARGET_MS} ms → ratio ${(total / TARGET_MS).toFixed(3)} (target ≤ ${TARGET_MS} ms: ${met}); CPU ${ms(cpu)} ms → ratio ${(cpu / TARGET_MS).toFixed(3)}`,
      );
      const network = [...new Set(runs.flatMap((r) => r.network))];
      const processes = [...new Set(runs.flatMap((r) => r.processes))];
      const lazy = [...new Set(runs.flatMap((r) => r.lazyLoaded))];
      console.log(
        `  ${runs[0]!.commands} commands registered; network during activation: ${network.length ? network.join('; ') : 'none'}; processes started: ${processes.length ? processes.join('; ') : 'none'}; first-use bundles loaded: ${lazy.length ? lazy.join(', ') : 'none'}`,
      );
      networkProblems += network.length + processes.length;
      summary[`${label}Ms`] = Math.round(total * 10) / 10;
      summary[`${label}CpuMs`] = Math.round(cpu * 10) / 10;
    }
    console.log(JSON.stringify(summary));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (networkProblems > 0) {
    console.error('activation must not touch the network or start processes (see above)');
    process.exit(1);
  }
}

void main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
