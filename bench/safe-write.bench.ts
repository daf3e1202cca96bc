import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readForEdit, safeWrite, type ExpectedRemote } from '../src/core/safe-write';
import { SshPool } from '../src/core/ssh/pool';
import { runAsNodeUser, sshArgs, startSshNodes, targetFor } from '../test/support/sshd';
import { compare } from './measure';

/**
 * Issue 5 benchmarks on a harness node (loopback): opening MEMORY.md (readForEdit: stat + read +
 * stat + sha256) against `ssh host cat`, and a full safe save (pre-edit backup, conflict check,
 * last look, atomic write, saved copy in the history) against `scp` of the same file.
 * Run: `npm run bench safe-write` or `node --import tsx bench/safe-write.bench.ts`.
 */
function runProcess(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${stderr.trim()}`))));
  });
}

export async function run(): Promise<void> {
  const set = await startSshNodes(1);
  const node = set.nodes[0]!;
  const local = mkdtempSync(join(tmpdir(), 'ocm-bench-sw-'));
  const pool = new SshPool();
  try {
    const t = pool.transportFor(targetFor(node));
    const memory = `${node.home}/MEMORY.md`;
    const text = '# Memory\n' + '- a remembered fact about the user and the project\n'.repeat(400); // ~20 KB
    await runAsNodeUser(node, 'cat > MEMORY.md', { stdin: text });
    const localCopy = join(local, 'MEMORY.md');
    writeFileSync(localCopy, text);
    const home = join(local, 'ocm-home');
    let expected: ExpectedRemote = await readForEdit(t, memory);
    let n = 0;

    await compare({
      name: 'open MEMORY.md (warm, 20 KB)',
      baselineLabel: 'ssh host cat MEMORY.md',
      ours: () => readForEdit(t, memory),
      baseline: () => runProcess('ssh', [...sshArgs(node, set.knownHostsPath), 'cat MEMORY.md']),
      oursPerRun: 3,
      target: { maxMs: 30 },
    });
    await compare({
      name: 'safe save MEMORY.md (backup + conflict check + atomic write)',
      baselineLabel: 'scp MEMORY.md host:',
      ours: async () => {
        const result = await safeWrite(t, { home, nodeId: node.id, remotePath: memory, content: Buffer.from(`${text}- edit ${n++}\n`), expected });
        expected = { sha256: result.savedSha256, mtimeMs: result.mtimeMs, size: result.size };
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
          localCopy,
          `${node.user}@${node.host}:scp-copy.md`,
        ]),
      oursPerRun: 3,
      target: { maxMs: 60 },
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
