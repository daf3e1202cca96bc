/**
 * The backup benchmark's child process (bench/backup.bench.ts runs it for the first snapshot on
 * Node 24 and for the 1 GB tree's peak memory): one first snapshot into a fresh store, its time
 * and memory measured inside. The parent bundles this file with esbuild as the CLI is bundled
 * (scripts/bundles.mjs), so the child holds what an ocm process holds: the snapshot code, ssh2 and
 * the harness's target lookup, no TypeScript loader (tsx and esbuild's service were ~100 MB) and
 * not the benchmark itself.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupNode, BackupStore, type BackupNodeResult, type BackupSources } from '../src/core/backup';
import { LocalTransport } from '../src/core/transport/local-transport';
import type { Transport } from '../src/core/transport/types';
import { time } from './backup-tree';

export const NODE = 'bench';

export function vmHwmMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

export type Sshd = typeof import('../test/support/sshd/index.js');
// Loaded lazily: only the sshd variant needs the harness and the SSH transport.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const sshdHarness = (): Sshd => require('../test/support/sshd') as Sshd;

export async function sshTransportFor(node: unknown): Promise<Transport> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createSshTransport } = require('../src/core/ssh/pool') as { createSshTransport(target: unknown, options?: object): Transport };
  return createSshTransport(sshdHarness().targetFor(node as Parameters<Sshd['targetFor']>[0]), { execTimeoutMs: 3_600_000 });
}

function sourcesFor(stateDir: string): BackupSources {
  return { stateDir, configPath: join(stateDir, 'openclaw.json'), workspaceDirs: [join(stateDir, 'workspace')], agentDirs: [] };
}

export const snap = (store: BackupStore, transport: Transport, stateDir: string): Promise<BackupNodeResult> =>
  backupNode({ store, nodeId: NODE, transport, engine: 'ocm', sources: sourcesFor(stateDir), gatewayRunning: true });

let childBundle: Promise<string> | undefined;
/**
 * This file bundled with esbuild as the CLI is (scripts/bundles.mjs), so a child runs what users
 * run: no TypeScript loader in its memory (tsx and esbuild's service cost ~100 MB of the child's
 * peak before the snapshot starts, which is not the client's).
 */
function childEntry(): Promise<string> {
  childBundle ??= (async () => {
    const esbuild = await import('esbuild');
    const { commonOptions } = (await import('../scripts/bundles.mjs')) as { commonOptions(production: boolean): object };
    const outfile = join(tmpdir(), `ocm-bench-child-${process.pid}.cjs`);
    const common = commonOptions(true) as { external: string[] };
    // The bundler itself and its options are what the parent uses to make the child, not the child's.
    await esbuild.build({ ...common, external: [...common.external, 'esbuild', '*/bundles.mjs'], entryPoints: [__filename], outfile });
    process.once('exit', () => rmSync(outfile, { force: true }));
    return outfile;
  })();
  return childBundle;
}

/** One first snapshot in a child process (`runtime`), its time and memory measured inside the child. */
export async function childSnapshot(
  runtime: string,
  stateDir: string,
  storeRoot: string,
  childInfo: string,
): Promise<{ peakMB: number; hwmBeforeMB: number; ms: number; transferred: number }> {
  const entry = await childEntry();
  return new Promise((resolve, reject) => {
    const child = spawn(runtime, [entry, '--big-child', stateDir, storeRoot], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_CHILD_NODE: childInfo },
    });
    let s = '';
    child.stdout.on('data', (d: Buffer) => (s += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(s.trim().split('\n').pop()!)) : reject(new Error(`child exited ${code}: ${s}`))));
  });
}

/** BENCH_BIG child: one first snapshot of the tree at argv stateDir into a fresh store; prints its peak memory. */
async function bigChild(): Promise<void> {
  const [, , , stateDir, storeRoot] = process.argv;
  const info = process.env.BENCH_CHILD_NODE ?? '{}';
  const transport = info === '{}' ? new LocalTransport({ nodeId: NODE }) : await sshTransportFor(JSON.parse(info));
  await transport.exec('true'); // the connection, as an ocm session has it open
  const before = vmHwmMb();
  const { ms, value } = await time(() => snap(new BackupStore(storeRoot!), transport, stateDir!));
  await transport.close?.();
  console.log(
    JSON.stringify({
      hwmBeforeMB: +before.toFixed(0),
      peakMB: +vmHwmMb().toFixed(0),
      ms: Math.round(ms),
      transferred: value.stats?.transferredBytes,
      files: value.stats?.listedFiles,
    }),
  );
}

if (process.argv[2] === '--big-child')
  bigChild().catch((e) => {
    console.error(e);
    process.exit(1);
  });
