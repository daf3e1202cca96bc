import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { utils } from 'ssh2';
import type { NodeStatus } from '../../../src/core/status';
import { registryEntryFor, runAsNodeUser, startSshNodes, type SshNode, type SshNodeSet } from '../../support/sshd';
import { waitUntil } from '../../support/sshd/processes';
import { failedMarkerFor, keeperSocketPath } from '../../../src/cli/keeper/protocol';

/**
 * The connection keeper end to end: the built `ocm` (dist/cli.js) as separate processes, as a user
 * runs it, against real OpenSSH nodes. A keeper started by one command serves the next over its
 * socket with the connections it kept; trust changes still apply at once; it leaves when idle.
 */

const cliJs = join(__dirname, '..', '..', '..', 'dist', 'cli.js');

interface StatusJson {
  summary: { nodes: number; reachable: number };
  nodes: NodeStatus[];
}

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

/** sshd's log counts every TCP connection it accepted. */
function connectionsSeen(node: SshNode): number {
  return readFileSync(node.logPath, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Connection from ')).length;
}

function keeperSockets(ocmHome: string): string[] {
  const run = join(ocmHome, 'run');
  return existsSync(run) ? readdirSync(run).filter((f) => f.endsWith('.sock')) : [];
}

describe('the connection keeper (ocm status / ocm agents run again without new handshakes)', { timeout: 120_000 }, () => {
  let set: SshNodeSet;
  before(async () => {
    assert.ok(existsSync(cliJs), `${cliJs} is missing: run npm run build`);
    set = await startSshNodes(2, { idPrefix: 'kp' });
  });
  after(async () => {
    await set?.stop();
  });

  /** A user home with known_hosts and an ocm home; the keeper leaves `keepSeconds` after its last command. */
  function userHome(keepSeconds: number, knownHosts = set.nodes.map((n) => `${n.knownHostsLine}\n`).join('')): NodeJS.ProcessEnv {
    const home = mkdtempSync(join(set.dir, 'keeper-user-'));
    mkdirSync(join(home, '.ssh'), { mode: 0o700 });
    writeFileSync(join(home, '.ssh', 'known_hosts'), knownHosts);
    const ocmHome = join(home, 'ocm');
    mkdirSync(ocmHome, { mode: 0o700 });
    writeFileSync(join(ocmHome, 'nodes.json'), JSON.stringify({ version: 1, nodes: set.nodes.map(registryEntryFor) }, null, 2));
    return { HOME: home, OCM_HOME: ocmHome, PATH: process.env.PATH, NO_COLOR: '1', OCM_LANG: 'en', OCM_KEEP_CONNECTIONS: String(keepSeconds / 60) };
  }

  it("the second command reuses the first one's connections; output and exit codes are the command's own; the socket is owner-only", async () => {
    const env = userHome(20);
    const first = await ocm(['status', '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal((JSON.parse(first.stdout) as StatusJson).summary.reachable, 2);
    const seen = set.nodes.map(connectionsSeen);

    const second = await ocm(['status', '--json'], env);
    assert.equal(second.code, 0, second.stderr);
    const again = JSON.parse(second.stdout) as StatusJson;
    assert.equal(again.summary.reachable, 2);
    assert.deepEqual(set.nodes.map(connectionsSeen), seen, 'no new SSH connection');
    assert.deepEqual(
      again.nodes.map((n) => [n.nodeId, n.openclaw?.installed, n.openclaw?.stateDir]),
      set.nodes.map((n) => [n.id, false, `${n.home}/.openclaw`]),
    );

    const table = await ocm(['status', set.nodes[0]!.id], env);
    assert.equal(table.code, 0);
    assert.match(table.stdout, new RegExp(`^${set.nodes[0]!.id}\\s+yes\\s+not installed`, 'm'));
    const usage = await ocm(['status', '--threshold', '150'], env);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /threshold/);
    const unknown = await ocm(['agents', 'nosuchnode'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /nosuchnode/);

    const status = await ocm(['keeper', 'status', '--json'], env);
    const info = JSON.parse(status.stdout) as { running: boolean; pid: number; connections: string[] };
    assert.equal(info.running, true);
    assert.deepEqual([...info.connections].sort(), set.nodes.map((n) => n.id).sort());
    assert.match((await ocm(['keeper'], env)).stdout, /Connection keeper running \(pid \d+/);

    const run = join(env.OCM_HOME!, 'run');
    assert.equal(statSync(run).mode & 0o777, 0o700);
    const [socket] = keeperSockets(env.OCM_HOME!);
    assert.ok(socket, 'a keeper socket');
    assert.ok(lstatSync(join(run, socket)).isSocket());
    assert.equal(lstatSync(join(run, socket)).mode & 0o077, 0, 'owner-only socket');

    // `ocm keeper stop`: it exits, its socket goes, and the next command starts a new one.
    assert.deepEqual(JSON.parse((await ocm(['keeper', 'stop', '--json'], env)).stdout), { ok: true, stopped: true });
    assert.ok(await waitUntil(() => !isRunning(info.pid), 5000, 20), 'the keeper exited');
    assert.deepEqual(keeperSockets(env.OCM_HOME!), []);
    assert.equal(JSON.parse((await ocm(['keeper', 'status', '--json'], env)).stdout).running, false);
    assert.match((await ocm(['keeper', 'stop'], env)).stdout, /No connection keeper was running/);
  });

  it('a host key that is no longer trusted is not reused: the next command reports the changed key', async () => {
    const env = userHome(20);
    assert.equal((await ocm(['status', '--json'], env)).code, 0);
    const node = set.nodes[1]!;
    const stale = utils.generateKeyPairSync('ed25519').public.split(' ').slice(0, 2).join(' ');
    writeFileSync(join(env.HOME!, '.ssh', 'known_hosts'), `${set.nodes[0]!.knownHostsLine}\n[${node.host}]:${node.port} ${stale}\n`);
    const out = JSON.parse((await ocm(['status', '--json'], env)).stdout) as StatusJson;
    const changed = out.nodes.find((n) => n.nodeId === node.id)!;
    assert.equal(changed.reachable, false);
    assert.equal(changed.error?.kind, 'hostKeyChanged');
    assert.equal(out.nodes.find((n) => n.nodeId === set.nodes[0]!.id)!.reachable, true);
  });

  it('a key passphrase is asked by the calling ocm on its terminal; the kept connection needs no second prompt', async () => {
    const node = set.nodes[0]!;
    const pair = utils.generateKeyPairSync('ed25519', { passphrase: 'open sesame', cipher: 'aes256-ctr', rounds: 8 });
    await runAsNodeUser(node, `printf '%s\\n' '${pair.public}' >> ~/.ssh/authorized_keys`);
    const env = userHome(20, `${node.knownHostsLine}\n`);
    const keyPath = join(env.HOME!, 'locked_ed25519');
    writeFileSync(keyPath, pair.private, { mode: 0o600 });
    writeFileSync(join(env.OCM_HOME!, 'nodes.json'), JSON.stringify({ version: 1, nodes: [{ ...registryEntryFor(node), identityFile: keyPath }] }));

    // `script` gives the command a terminal (the prompt reads /dev/tty); we type the passphrase when asked.
    const command = [process.execPath, cliJs, 'status', node.id, '--json'].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let seen = '';
    let typed = false;
    child.stdout.on('data', (c: Buffer) => {
      seen += c.toString();
      if (!typed && /Passphrase for key/.test(seen)) {
        typed = true;
        child.stdin.write('open sesame\n');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, seen);
    assert.ok(typed, `the passphrase was asked: ${seen}`);
    const json = JSON.parse(seen.slice(seen.indexOf('{')).replace(/\r/g, '')) as StatusJson;
    assert.equal(json.nodes[0]!.reachable, true, JSON.stringify(json.nodes[0]!.error));
    assert.equal(keeperSockets(env.OCM_HOME!).length, 1, 'it ran in the keeper');

    // No terminal now: the keeper's connection is reused, nothing needs the passphrase.
    const again = await ocm(['status', node.id, '--json'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as StatusJson).nodes[0]!.reachable, true);
  });

  it('a run/ folder other users can write is not trusted: the command runs itself, says why, and starts no keeper there', async () => {
    const env = userHome(20);
    const run = join(env.OCM_HOME!, 'run');
    mkdirSync(run, { mode: 0o700 });
    chmodSync(run, 0o777);
    const result = await ocm(['status', '--json'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as StatusJson).summary.reachable, 2);
    assert.match(result.stderr, /connection keeper was not used: other users can write to .*run \(mode 777\)/);
    assert.deepEqual(keeperSockets(env.OCM_HOME!), []);
    assert.equal(statSync(run).mode & 0o777, 0o777, 'left as it was (not silently chmod-ed by a keeper)');
  });

  it('OCM_KEEP_CONNECTIONS=0: no keeper; an idle keeper leaves and removes its socket; a stale socket is taken over', async () => {
    const off: NodeJS.ProcessEnv = { ...userHome(20), OCM_KEEP_CONNECTIONS: '0' };
    assert.equal((await ocm(['status', '--json'], off)).code, 0);
    assert.deepEqual(keeperSockets(off.OCM_HOME!), []);

    const brief = userHome(1);
    assert.equal((await ocm(['status', '--json'], brief)).code, 0);
    const [socket] = keeperSockets(brief.OCM_HOME!);
    assert.ok(socket);
    assert.ok(await waitUntil(() => keeperSockets(brief.OCM_HOME!).length === 0, 15_000, 100), 'the idle keeper removed its socket');

    // A keeper killed without cleaning up leaves its socket file behind: the next command still works.
    const stale = userHome(1);
    assert.equal((await ocm(['status', '--json'], stale)).code, 0);
    const [name] = keeperSockets(stale.OCM_HOME!);
    const path = join(stale.OCM_HOME!, 'run', name!);
    const pid = findKeeperPid(path);
    assert.ok(pid, 'the keeper process is found by its socket argument');
    process.kill(pid!, 'SIGKILL');
    assert.ok(await waitUntil(() => !isRunning(pid!), 5000, 20));
    assert.ok(existsSync(path), 'SIGKILL left the socket file');
    const after = await ocm(['status', '--json'], stale);
    assert.equal(after.code, 0, after.stderr);
    assert.equal((JSON.parse(after.stdout) as StatusJson).summary.reachable, 2);

    // A plain file where the socket goes: the CLI says so, runs the command itself and starts no keeper.
    const blocked = userHome(20);
    const socketPath = keeperSocketPath(blocked, cliJs)!;
    mkdirSync(join(blocked.OCM_HOME!, 'run'), { mode: 0o700 });
    writeFileSync(socketPath, 'not a socket');
    const first = await ocm(['status', '--json'], blocked);
    assert.equal(first.code, 0, first.stderr);
    assert.equal((JSON.parse(first.stdout) as StatusJson).summary.reachable, 2);
    assert.match(first.stderr, /connection keeper was not used: .* is not a socket/);
    assert.equal((await ocm(['status', '--json'], blocked)).code, 0);
    assert.equal(findKeeperPid(socketPath), undefined);
    assert.equal(existsSync(failedMarkerFor(socketPath)), false, 'no keeper was started to fail');

    // A keeper that could not start leaves a marker: while it is recent the CLI runs commands itself
    // and does not start keepers again and again.
    const noListen = userHome(20);
    const noListenPath = keeperSocketPath(noListen, cliJs)!;
    mkdirSync(join(noListen.OCM_HOME!, 'run'), { mode: 0o700 });
    writeFileSync(failedMarkerFor(noListenPath), 'could not listen\n', { mode: 0o600 });
    assert.equal((await ocm(['status', '--json'], noListen)).code, 0);
    assert.equal(findKeeperPid(noListenPath), undefined, 'a recent failed start is not retried');
  });
});

function findKeeperPid(socketPath: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmdline.includes('__keeper') && cmdline.includes(socketPath)) return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]!.startsWith('Z');
  } catch {
    return false;
  }
}
