/**
 * Backup benchmark (issue 6). Standalone: `node --import tsx bench/backup.bench.ts`
 *
 *   BENCH_MB=161   size of the generated test tree (2,000 markdown files 1–20 KB + 20 JSONL files,
 *                  like the tree in shared/facts/ssh.md, scaled to BENCH_MB)
 *   BENCH_RUNS=3   interleaved runs per method (median reported)
 *   BENCH_SSH=1    over a real sshd node (test/support/sshd, needs root) with the SSH transport;
 *                  BENCH_SSH=0 runs through the LocalTransport (client-side cost only)
 *
 * Methods: the own engine (`backupNode --engine ocm`: one exec, zstd on the wire, re-packed into
 * OpenClaw's layout as .tar.gz with every file hashed and the result verified), `tar --zstd -cf -`
 * and `tar czf -` (what a sysadmin types) streamed to a file through the same channel (system
 * `ssh` for sshd), then listing 100 indexes + comparing two. Prints a table and one JSON line.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupNode, BackupStore, diffBackups, serializeIndex, type BackupSources } from '../src/core/backup';
import { LocalTransport } from '../src/core/transport/local-transport';
import { shellQuote } from '../src/core/transport/shell-quote';
import type { Transport } from '../src/core/transport/types';

const MB = 1024 * 1024;
const targetMb = Number(process.env.BENCH_MB ?? 161);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const useSsh = process.env.BENCH_SSH !== '0';

const WORDS = 'agent memory gateway node backup tool session channel model token workspace user soul identity dream note today task plan config state'.split(' ');

function text(bytes: number): string {
  const parts: string[] = [];
  let n = 0;
  while (n < bytes) {
    const w = WORDS[(Math.random() * WORDS.length) | 0] + (Math.random() < 0.1 ? '\n' : ' ');
    parts.push(w);
    n += w.length;
  }
  return parts.join('');
}

/** 2,000 markdown files (1–20 KB) + 20 JSONL files sized so the total is about `mb` MB. */
async function generateTree(stateDir: string, mb: number): Promise<number> {
  const ws = join(stateDir, 'workspace');
  await fs.mkdir(join(ws, 'memory'), { recursive: true });
  await fs.writeFile(join(stateDir, 'openclaw.json'), '{ gateway: { port: 18789 } }\n');
  let total = 0;
  const mdCount = 2000;
  for (let i = 0; i < mdCount; i++) {
    const size = 1024 + ((i * 7919) % (19 * 1024));
    const body = text(size);
    await fs.writeFile(join(ws, 'memory', `2026-${String((i % 12) + 1).padStart(2, '0')}-${String(i).padStart(4, '0')}.md`), body);
    total += body.length;
  }
  const remaining = Math.max(mb * MB - total, 20 * 64 * 1024);
  const logs = join(ws, 'logs');
  await fs.mkdir(logs, { recursive: true });
  for (let i = 0; i < 20; i++) {
    const size = Math.round(remaining / 20);
    const out = createWriteStream(join(logs, `run-${i}.jsonl`));
    let written = 0;
    while (written < size) {
      const line = JSON.stringify({ ts: Date.now(), role: i % 2 ? 'user' : 'assistant', text: text(300), id: randomBytes(8).toString('hex') }) + '\n';
      if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
      written += line.length;
    }
    await new Promise<void>((r) => out.end(r));
    total += written;
  }
  return total;
}

function sh(command: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'ignore', 'inherit'], env });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(0) : reject(new Error(`${command} exited ${code}`))));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

interface Channel {
  transport: Transport;
  /** Shell command on this machine that runs `remote` on the node with stdout to our stdout. */
  shell(remote: string): string;
  stateDir: string;
  label: string;
  stop(): Promise<void>;
}

async function localChannel(root: string): Promise<Channel> {
  const stateDir = join(root, 'node', '.openclaw');
  await fs.mkdir(stateDir, { recursive: true });
  return { transport: new LocalTransport({ nodeId: 'bench' }), shell: (remote) => `sh -c ${shellQuote(remote)}`, stateDir, label: 'local (LocalTransport)', stop: async () => undefined };
}

async function sshChannel(): Promise<Channel> {
  // Loaded lazily: only the sshd variant needs the harness and the SSH transport.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sshd = require('../test/support/sshd') as typeof import('../test/support/sshd/index.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createSshTransport } = require('../src/core/ssh/pool') as { createSshTransport(target: unknown, options?: object): Transport };
  const set = await sshd.startSshNodes(1);
  const node = set.nodes[0]!;
  const stateDir = join(node.home, '.openclaw');
  const transport = createSshTransport(sshd.targetFor(node), { execTimeoutMs: 3_600_000 });
  const ssh = `ssh -q -i ${shellQuote(node.clientKeyPath)} -p ${node.port} -o BatchMode=yes -o UserKnownHostsFile=${shellQuote(set.knownHostsPath)} ${node.user}@127.0.0.1`;
  return {
    transport,
    shell: (remote) => `${ssh} ${shellQuote(remote)}`,
    stateDir,
    label: `sshd on 127.0.0.1 (ssh2 transport; baselines via system ssh)`,
    stop: async () => {
      await transport.close();
      await set.stop();
    },
    ...{ owner: node.user },
  } as Channel & { owner: string };
}

async function main(): Promise<void> {
  const root = await fs.mkdtemp(join(tmpdir(), 'ocm-bench-backup-'));
  await fs.chmod(root, 0o755);
  let channel: Channel | undefined;
  try {
    channel = useSsh ? await sshChannel() : await localChannel(root);
    const started = Date.now();
    const bytes = await generateTree(channel.stateDir, targetMb);
    const owner = (channel as Channel & { owner?: string }).owner;
    if (owner) await sh(`chown -R ${shellQuote(owner)}: ${shellQuote(join(channel.stateDir, '..'))}`);
    console.log(`tree: ${(bytes / MB).toFixed(1)} MB generated in ${((Date.now() - started) / 1000).toFixed(1)} s at ${channel.stateDir} — ${channel.label}`);

    const store = new BackupStore(join(root, 'store'));
    const sources: BackupSources = { stateDir: channel.stateDir, configPath: join(channel.stateDir, 'openclaw.json'), workspaceDirs: [join(channel.stateDir, 'workspace')], agentDirs: [] };
    const rel = channel.stateDir.replace(/^\//, '');
    const results: Record<string, number[]> = { ocm: [], zstd: [], gzip: [] };
    const sizes: Record<string, number> = {};
    let peakRssMb = 0;
    const ownCpu: number[] = [];
    let lastIndex;
    for (let run = 0; run < runs; run++) {
      for (const method of ['ocm', 'zstd', 'gzip'] as const) {
        const t0 = process.hrtime.bigint();
        if (method === 'ocm') {
          const cpu0 = process.cpuUsage();
          const r = await backupNode({ store, nodeId: 'bench', transport: channel.transport, engine: 'ocm', sources, gatewayRunning: false, verify: process.env.BENCH_VERIFY === 'checksum' ? 'checksum' : 'full' });
          sizes.ocm = r.index.archiveSize;
          lastIndex = r.index;
          peakRssMb = Math.max(peakRssMb, process.resourceUsage().maxRSS / 1024);
          const cpu = process.cpuUsage(cpu0);
          ownCpu.push((cpu.user + cpu.system) / 1e6);
        } else {
          const out = join(root, `baseline.${method}`);
          const remote = method === 'zstd' ? `tar --zstd -cf - -C / ${shellQuote(rel)}` : `tar czf - -C / ${shellQuote(rel)}`;
          await sh(`${channel.shell(remote)} > ${shellQuote(out)}`);
          sizes[method] = (await fs.stat(out)).size;
          await fs.rm(out);
        }
        results[method]!.push(Number(process.hrtime.bigint() - t0) / 1e9);
      }
    }
    const ocm = median(results.ocm!);
    const zstd = median(results.zstd!);
    const gzip = median(results.gzip!);

    // Listing 100 backups and comparing two: index files only.
    const idxStore = new BackupStore(join(root, 'index-store'));
    await fs.mkdir(idxStore.nodeDir('bench'), { recursive: true, mode: 0o700 });
    for (let i = 0; i < 100; i++) {
      const id = `b${String(i).padStart(3, '0')}`;
      const entries = lastIndex!.entries.map((e, j) => (j === i ? { ...e, sha256: 'f'.repeat(64) } : e));
      await fs.writeFile(join(idxStore.nodeDir('bench'), `${id}.index.json`), serializeIndex({ ...lastIndex!, id, archiveFile: `${id}.tar.gz`, createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), entries }));
    }
    const times: number[] = [];
    let changed = 0;
    for (let i = 0; i < 5; i++) {
      const t0 = process.hrtime.bigint();
      const list = await idxStore.list();
      const [a, b] = await Promise.all([idxStore.readIndex(list[0]!), idxStore.readIndex(list[1]!)]);
      changed = diffBackups(a, b).changed.length;
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (list.length !== 100) throw new Error(`listed ${list.length} backups`);
    }
    const listCompareMs = median(times);

    const rows = [
      ['own engine (ocm → OpenClaw layout .tar.gz, hashed + verified)', ocm, sizes.ocm!],
      ["tar --zstd -cf - (node) > file", zstd, sizes.zstd!],
      ['tar czf - (node) > file', gzip, sizes.gzip!],
    ] as const;
    console.log(`\nmedian of ${runs} interleaved runs:`);
    for (const [name, s, size] of rows) console.log(`  ${name.padEnd(64)} ${s.toFixed(2).padStart(7)} s  ${(bytes / MB / s).toFixed(0).padStart(4)} MB/s  ${(size / MB).toFixed(1).padStart(6)} MB`);
    console.log(`  own / tar --zstd = ${(ocm / zstd).toFixed(2)} (goal ≤ 1.3)   own / tar czf = ${(ocm / gzip).toFixed(2)} (goal ≤ 0.2)`);
    console.log(`  client peak RSS during own-engine runs: ${peakRssMb.toFixed(0)} MB (goal ≤ 200); client CPU per own-engine run: ${median(ownCpu).toFixed(2)} s`);
    console.log(`  machine load average now: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores (wall-time ratios swing with it)`);
    console.log(`  list 100 indexes (${lastIndex!.entries.length} entries each) + compare two: ${listCompareMs.toFixed(1)} ms (goal ≤ 200; ${changed} changed)`);
    console.log(
      JSON.stringify({
        bench: 'backup',
        channel: channel.label,
        treeMB: +(bytes / MB).toFixed(1),
        runs,
        ownS: +ocm.toFixed(3),
        tarZstdS: +zstd.toFixed(3),
        tarGzipS: +gzip.toFixed(3),
        ownVsZstd: +(ocm / zstd).toFixed(3),
        ownVsGzip: +(ocm / gzip).toFixed(3),
        peakRssMB: Math.round(peakRssMb),
        ownClientCpuS: +median(ownCpu).toFixed(2),
        loadAvg1: +loadavg()[0]!.toFixed(1),
        listCompareMs: +listCompareMs.toFixed(1),
      }),
    );
  } finally {
    await channel?.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
