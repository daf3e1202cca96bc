import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshPool } from '../src/core/ssh/pool';
import { runAsNodeUser, sshArgs, startSshNodes, targetFor } from '../test/support/sshd';
import { compare } from './measure';

function runProcess(cmd: string, args: string[], input?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${stderr.trim()}`))));
    if (input) child.stdin!.end(input);
  });
}

/**
 * SSH layer benchmarks (issue 3). Run through `npm run bench` or standalone: `node --import tsx bench/ssh.bench.ts`.
 */

/** SSH layer benchmarks on a harness node (loopback): ours (ssh2 pool) vs the OpenSSH client. */
export async function run(): Promise<void> {
  const set = await startSshNodes(1);
  const node = set.nodes[0]!;
  const local = mkdtempSync(join(tmpdir(), 'ocm-bench-'));
  const pool = new SshPool();
  try {
    const ssh = (command: string, input?: Buffer) => runProcess('ssh', [...sshArgs(node, set.knownHostsPath), command], input);
    const warm = pool.transportFor(targetFor(node));
    await runAsNodeUser(node, 'head -c 2048 /dev/urandom > small.bin && head -c 104857600 /dev/urandom > big.bin');
    const small = Buffer.alloc(2048, 'x');
    // Absolute times mean little on a busy machine; say how busy it was.
    console.log(
      `machine: ${cpus().length} cores, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')}`,
    );

    await compare({
      name: 'ssh connect+exec true',
      baselineLabel: 'ssh -o BatchMode=yes host true',
      ours: async () => {
        const fresh = new SshPool();
        await fresh.transportFor(targetFor(node)).exec('true');
        await fresh.close();
      },
      baseline: () => ssh('true'),
    });
    await compare({
      name: 'warm exec true',
      baselineLabel: 'fresh ssh host true',
      ours: () => warm.exec('true'),
      baseline: () => ssh('true'),
      oursPerRun: 5,
      target: { maxMs: 10 },
    });
    await compare({
      name: 'warm small-file read (2 KB)',
      baselineLabel: 'ssh host cat',
      ours: () => warm.readFile(`${node.home}/small.bin`),
      baseline: () => ssh('cat small.bin'),
      oursPerRun: 5,
      target: { maxMs: 5 },
    });
    await compare({
      name: 'warm atomic write (2 KB)',
      baselineLabel: "ssh host 'cat > tmp && mv tmp f'",
      ours: () => warm.writeFileAtomic(`${node.home}/written.bin`, small),
      baseline: () => ssh('cat > .w.tmp && mv .w.tmp written2.bin', small),
      oursPerRun: 5,
      target: { maxMs: 15 },
    });
    await compare({
      name: '100 MB file read (fresh connection)',
      baselineLabel: 'scp',
      runs: 3,
      ours: async () => {
        const fresh = new SshPool();
        await fresh.transportFor(targetFor(node)).download(`${node.home}/big.bin`, createWriteStream(join(local, 'ours.bin')));
        await fresh.close();
        if (statSync(join(local, 'ours.bin')).size !== 104857600) throw new Error('short download');
      },
      baseline: () =>
        runProcess('scp', [
          '-q',
          '-o',
          'BatchMode=yes',
          '-o',
          `UserKnownHostsFile=${set.knownHostsPath}`,
          '-o',
          'StrictHostKeyChecking=yes',
          '-F',
          '/dev/null',
          '-i',
          node.clientKeyPath,
          '-P',
          String(node.port),
          `${node.user}@${node.host}:big.bin`,
          join(local, 'scp.bin'),
        ]),
      target: { maxRatio: 1.2 },
    });
  } finally {
    await pool.close();
    await set.stop();
    rmSync(local, { recursive: true, force: true });
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
