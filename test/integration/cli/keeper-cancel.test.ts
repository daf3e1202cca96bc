import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { registryEntryFor, runAsNodeUser, startSshNodes, type SshNode, type SshNodeSet } from '../../support/sshd';

/**
 * Work in the connection keeper stops when the command that asked for it is gone: the built `ocm`
 * (dist/cli.js) runs `ocm agents <id>` in the keeper, the node's `openclaw agents list` hangs, and
 * the client is killed (as `timeout` or Ctrl-C would). Before, the keeper went on with the command
 * (reading, holding the channel) until the node answered; now it is cancelled at once.
 */

const cliJs = join(__dirname, '..', '..', '..', 'dist', 'cli.js');

function ocm(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliJs, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number, stepMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  return predicate();
}

/** An `openclaw` that answers --version and hangs in `agents list` (recording its pid). */
const FAKE_OPENCLAW = `#!/bin/sh
case "$1" in
  --version) echo "OpenClaw 2026.9.6 (abcdef1)"; exit 0 ;;
  agents) echo $$ > "$HOME/agents-list.pid"; exec sleep 50 ;;
esac
exit 1
`;

describe('the connection keeper cancels the work of a client that went away', { timeout: 120_000 }, () => {
  let set: SshNodeSet;
  let node: SshNode;
  before(async () => {
    assert.ok(existsSync(cliJs), `${cliJs} is missing: run npm run build`);
    set = await startSshNodes(1, { idPrefix: 'kc' });
    node = set.nodes[0]!;
    await runAsNodeUser(node, 'mkdir -p ~/.openclaw ~/fakebin && cat > ~/fakebin/openclaw && chmod +x ~/fakebin/openclaw', { stdin: FAKE_OPENCLAW });
    await runAsNodeUser(node, 'cat > ~/.openclaw/openclaw.json', { stdin: '{ agents: { list: [{ id: "main", default: true }] } }\n' });
  });
  after(async () => {
    // Only the sleep this test started, by its pid.
    await runAsNodeUser(node, '[ -f ~/agents-list.pid ] && kill "$(cat ~/agents-list.pid)" 2>/dev/null; true', { check: false }).catch(() => undefined);
    await set?.stop();
  });

  it('a killed `ocm agents` leaves no command running in the keeper, which serves the next one', async () => {
    const home = mkdtempSync(join(set.dir, 'keeper-cancel-'));
    mkdirSync(join(home, '.ssh'), { mode: 0o700 });
    writeFileSync(join(home, '.ssh', 'known_hosts'), `${node.knownHostsLine}\n`);
    const ocmHome = join(home, 'ocm');
    mkdirSync(ocmHome, { mode: 0o700 });
    writeFileSync(
      join(ocmHome, 'nodes.json'),
      JSON.stringify({ version: 1, nodes: [{ ...registryEntryFor(node), openclawPath: `${node.home}/fakebin/openclaw` }] }),
    );
    const env: NodeJS.ProcessEnv = { HOME: home, OCM_HOME: ocmHome, PATH: process.env.PATH, NO_COLOR: '1', OCM_LANG: 'en', OCM_KEEP_CONNECTIONS: '1' };

    const client = spawn(process.execPath, [cliJs, 'agents', node.id, '--json'], { env, stdio: 'ignore' });
    const closed = new Promise((resolve) => client.on('close', resolve));
    const started = await waitFor(
      async () => (await runAsNodeUser(node, 'cat ~/agents-list.pid 2>/dev/null', { check: false })).stdout.trim() !== '',
      20_000,
      100,
    );
    assert.ok(started, "the node's openclaw agents list was started (through the keeper)");
    const info = async (): Promise<{ running: boolean; commandsRunning: number }> => JSON.parse((await ocm(['keeper', 'status', '--json'], env)).stdout);
    assert.equal((await info()).commandsRunning, 1, 'the keeper runs the agents command');

    client.kill('SIGTERM');
    await closed;
    const killedAt = Date.now();
    assert.ok(await waitFor(async () => (await info()).commandsRunning === 0, 10_000, 100), 'the keeper cancelled the command of the client that went away');
    assert.ok(Date.now() - killedAt < 10_000);

    // The keeper is fine afterwards: the next command is served (from the config alone).
    const fast = await ocm(['agents', node.id, '--fast', '--json'], env);
    assert.equal(fast.code, 0, fast.stderr);
    assert.deepEqual(
      (JSON.parse(fast.stdout) as { agents: Array<{ id: string }> }).agents.map((a) => a.id),
      ['main'],
    );
    await ocm(['keeper', 'stop'], env);
  });
});
