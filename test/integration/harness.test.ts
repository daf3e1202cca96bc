import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Client } from 'ssh2';
import { freeze, killSessions, runAsNodeUser, sessionProcessCount, sshArgs, startSshNodes, thaw, writeOcmHome, type SshNodeSet } from '../support/sshd';
import { isAlive } from '../support/sshd/processes';

/** Key login with plain ssh2 (not our transport): proves the harness, independent of the code under test. */
function ssh2Exec(options: { port: number; username: string; privateKey?: Buffer; password?: string; hostKey: string }, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const expected = Buffer.from(options.hostKey.split(' ')[1]!, 'base64');
    client.on('ready', () => {
      client.exec(command, (err, channel) => {
        if (err) return reject(err);
        let out = '';
        channel.on('data', (d: Buffer) => (out += d.toString()));
        channel.on('close', () => {
          client.end();
          resolve(out);
        });
      });
    });
    client.on('error', reject);
    client.on('close', () => reject(new Error('connection closed')));
    const config: Record<string, unknown> = {
      host: '127.0.0.1',
      port: options.port,
      username: options.username,
      hostVerifier: (key: Buffer) => key.equals(expected),
    };
    if (options.privateKey) config.privateKey = options.privateKey;
    if (options.password) config.password = options.password;
    client.connect(config);
  });
}

describe('sshd harness', { timeout: 120_000 }, () => {
  let set: SshNodeSet;
  before(async () => {
    set = await startSshNodes(3, { password: true });
  });
  after(async () => {
    await set?.stop();
  });

  it('starts independent nodes with their own port, user, home and host key', () => {
    const ports = new Set(set.nodes.map((n) => n.port));
    const users = new Set(set.nodes.map((n) => n.user));
    const keys = new Set(set.nodes.map((n) => n.hostPublicKey));
    assert.equal(ports.size, 3);
    assert.equal(users.size, 3);
    assert.equal(keys.size, 3);
    for (const node of set.nodes) {
      assert.ok(isAlive(node.pid));
      assert.match(node.hostKeyFingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
      assert.equal(node.knownHostsLine, `[127.0.0.1]:${node.port} ${node.hostPublicKey}`);
      assert.ok(existsSync(node.home));
    }
    assert.ok(set.nodes[0]!.password);
    assert.equal(set.nodes[1]!.password, undefined);
  });

  it('accepts a key login with ssh2', async () => {
    for (const node of set.nodes) {
      const out = await ssh2Exec(
        { port: node.port, username: node.user, privateKey: readFileSync(node.clientKeyPath), hostKey: node.hostPublicKey },
        'whoami; echo "$HOME"',
      );
      assert.equal(out, `${node.user}\n${node.home}\n`);
    }
  });

  it('accepts a password only on the password node', async () => {
    const [withPassword, withoutPassword] = set.nodes;
    assert.equal(
      await ssh2Exec(
        { port: withPassword!.port, username: withPassword!.user, password: withPassword!.password!, hostKey: withPassword!.hostPublicKey },
        'echo ok',
      ),
      'ok\n',
    );
    await assert.rejects(
      ssh2Exec(
        { port: withoutPassword!.port, username: withoutPassword!.user, password: withPassword!.password!, hostKey: withoutPassword!.hostPublicKey },
        'echo ok',
      ),
      /authentication methods failed/,
    );
  });

  it("rejects another node's client key", async () => {
    const [a, b] = set.nodes;
    await assert.rejects(
      ssh2Exec({ port: b!.port, username: b!.user, privateKey: readFileSync(a!.clientKeyPath), hostKey: b!.hostPublicKey }, 'true'),
      /authentication methods failed/,
    );
  });

  it('works with the OpenSSH client through the written known_hosts', () => {
    const node = set.nodes[1]!;
    const result = spawnSync('ssh', [...sshArgs(node, set.knownHostsPath), 'echo', 'via-openssh'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'via-openssh\n');
  });

  it('writes an ocm home with a registry, known_hosts and ssh_config for the nodes', () => {
    const ocm = writeOcmHome(set);
    const registry = JSON.parse(readFileSync(ocm.registryPath, 'utf8'));
    assert.deepEqual(
      registry.nodes.map((n: { id: string }) => n.id),
      ['node1', 'node2', 'node3'],
    );
    assert.equal(registry.nodes[1].port, set.nodes[1]!.port);
    assert.equal(readFileSync(ocm.knownHostsPath, 'utf8').trim().split('\n').length, 3);
    const result = spawnSync('ssh', ['-F', ocm.sshConfigPath, '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', 'node2', 'whoami'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), set.nodes[1]!.user);
  });

  it('runs setup commands as the node user', async () => {
    const node = set.nodes[2]!;
    const result = await runAsNodeUser(node, 'echo hi > made-here && stat -c %U made-here');
    assert.equal(result.stdout.trim(), node.user);
    await assert.rejects(runAsNodeUser(node, 'exit 3'), /exited 3/);
    assert.equal((await runAsNodeUser(node, 'exit 3', { check: false })).code, 3);
  });

  it('kills sessions without killing the listener, and freezes and thaws a node', async () => {
    const node = set.nodes[2]!;
    const key = readFileSync(node.clientKeyPath);
    const running = ssh2Exec({ port: node.port, username: node.user, privateKey: key, hostKey: node.hostPublicKey }, 'touch session-started; sleep 30');
    void running.catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (!existsSync(`${node.home}/session-started`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(sessionProcessCount(node) >= 2);
    assert.ok((await killSessions(node)) >= 2);
    await running.then(
      () => undefined,
      () => undefined,
    );
    assert.ok(isAlive(node.pid));
    freeze(node);
    thaw(node);
    assert.equal(await ssh2Exec({ port: node.port, username: node.user, privateKey: key, hostKey: node.hostPublicKey }, 'echo back'), 'back\n');
  });

  it('removes users, homes and servers on stop', async () => {
    const extra = await startSshNodes(1);
    const node = extra.nodes[0]!;
    await extra.stop();
    assert.ok(!isAlive(node.pid) || readFileSync(`/proc/${node.pid}/status`, 'utf8').includes('zombie'));
    assert.ok(!existsSync(node.home));
    assert.ok(!existsSync(extra.dir));
    assert.doesNotMatch(readFileSync('/etc/passwd', 'utf8'), new RegExp(`^${node.user}:`, 'm'));
  });
});
