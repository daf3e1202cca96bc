import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { utils } from 'ssh2';
import { isOcmError } from '../../../src/core/errors';
import { nodeSchema } from '../../../src/core/registry';
import { connectSsh } from '../../../src/core/ssh/connect-client';
import type { AuthPrompt } from '../../../src/core/ssh/connect-target';
import { resolveConnectTarget } from '../../../src/core/ssh/resolve-target';
import { runCli } from '../../support/cli';
import { runAsNodeUser, startSshNodes, type SshNodeSet } from '../../support/sshd';
import { directEntry, execOut, makeUser, startAgent } from './helpers';

/** Records which prompts were shown; answers from the given table (undefined = user cancels). */
function scriptedPrompt(answers: { password?: string; passphrase?: string; keyboard?: string }): AuthPrompt & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    password: async (r) => (asked.push(`password ${r.username}@${r.host}${r.port ? `:${r.port}` : ''}`), answers.password),
    passphrase: async (r) => (asked.push(`passphrase ${r.keyPath}`), answers.passphrase),
    keyboardInteractive: async (r) => (
      asked.push(`keyboard ${r.prompts.map((p) => p.prompt.trim()).join('|')}`),
      answers.keyboard === undefined ? undefined : r.prompts.map(() => answers.keyboard!)
    ),
  };
}

async function whoami(target: Parameters<typeof connectSsh>[0]): Promise<string> {
  const connection = await connectSsh(target);
  try {
    return (await execOut(connection.client, 'id -un')).stdout.trim();
  } finally {
    connection.close();
  }
}

describe('authentication against real sshd', () => {
  let set: SshNodeSet;
  before(async () => {
    // node 0 also takes passwords (and keyboard-interactive); node 1 keys only.
    set = await startSshNodes(2, { password: true, idPrefix: 'auth' });
  });
  after(async () => {
    await set?.stop();
  });

  const knownHostsOf = () => set.nodes.map((n) => n.knownHostsLine).join('\n') + '\n';

  it('an ssh_config alias with ProxyJump through a second node (each hop resolved through the config)', async () => {
    const [bastion, inner] = [set.nodes[0]!, set.nodes[1]!];
    const user = makeUser(set, {
      knownHosts: knownHostsOf(),
      sshConfig: [
        'Host inner-via-bastion',
        `  HostName ${inner.host}`,
        `  Port ${inner.port}`,
        `  User ${inner.user}`,
        `  IdentityFile ${inner.clientKeyPath}`,
        '  ProxyJump bastion',
        'Host bastion',
        `  HostName ${bastion.host}`,
        `  Port ${bastion.port}`,
        `  User ${bastion.user}`,
        `  IdentityFile ${bastion.clientKeyPath}`,
      ].join('\n'),
    });
    const target = await resolveConnectTarget(nodeSchema.parse({ id: 'inner', host: 'inner-via-bastion' }), user.deps());
    assert.deepEqual(
      target.jumps.map((j) => [j.nodeId, j.port, j.username]),
      [['jump:bastion', bastion.port, bastion.user]],
    );
    const connection = await connectSsh(target);
    try {
      assert.equal((await execOut(connection.client, 'id -un')).stdout.trim(), inner.user);
      assert.equal(connection.hops.length, 1);
      // The inner node saw the connection arrive from the bastion's forwarding, not directly.
      const peer = (await execOut(connection.client, 'echo "$SSH_CONNECTION"')).stdout.split(' ');
      assert.equal(peer[2], '127.0.0.1');
    } finally {
      connection.close();
    }
  });

  it('a changed host key on the jump host is refused and named as the jump; ocm trust --replace-jump fixes it', async () => {
    const [bastion, inner] = [set.nodes[0]!, set.nodes[1]!];
    const fake = utils.generateKeyPairSync('ed25519').public.split(' ').slice(0, 2).join(' ');
    const user = makeUser(set, {
      knownHosts: `${inner.knownHostsLine}\n[${bastion.host}]:${bastion.port} ${fake}\n`,
      sshConfig: `Host ${inner.host}\n  ProxyJump bastion\nHost bastion\n  HostName ${bastion.host}\n  Port ${bastion.port}\n  User ${bastion.user}\n  IdentityFile ${bastion.clientKeyPath}\n`,
    });
    const entry = directEntry(inner, { id: 'inner' });
    const target = await resolveConnectTarget(entry, user.deps());
    assert.deepEqual(
      target.jumps.map((j) => j.nodeId),
      ['jump:bastion'],
    );
    await assert.rejects(
      connectSsh(target),
      (e: unknown) =>
        isOcmError(e, 'hostKeyChanged') &&
        e.message.includes('jump:bastion') &&
        e.message.includes(bastion.hostKeyFingerprint) &&
        e.message.includes('ocm trust inner --replace-jump bastion'),
    );

    user.writeRegistry([entry]);
    const env = { HOME: user.home, OCM_HOME: user.ocmHome };
    const withoutReplace = await runCli(['trust', 'inner'], env);
    assert.equal(withoutReplace.code, 1);
    assert.match(withoutReplace.stderr, /HOST KEY CHANGED/);
    // --replace is the node's own key: the jump host's is replaced only when that hop is named.
    assert.equal((await runCli(['trust', 'inner', '--replace'], env)).code, 1);
    const replaced = await runCli(['trust', 'inner', '--replace-jump', 'bastion'], env);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.match(replaced.stdout, new RegExp(`Jump host .*${bastion.port}.*replacing`));
    assert.match(replaced.stdout, /Already trusted/, 'the inner node itself was in known_hosts');
    assert.equal(await whoami(await resolveConnectTarget(entry, user.deps())), inner.user);
  });

  it('a passphrase-protected key is decrypted with the passphrase from the prompt (a wrong one is asked again)', async () => {
    const node = set.nodes[1]!;
    const pair = utils.generateKeyPairSync('ed25519', { passphrase: 'open sesame', cipher: 'aes256-ctr', rounds: 8 });
    await runAsNodeUser(node, `printf '%s\\n' '${pair.public}' >> ~/.ssh/authorized_keys`);
    const user = makeUser(set, { knownHosts: knownHostsOf() });
    const keyPath = join(user.home, '.ssh', 'id_ed25519');
    writeFileSync(keyPath, pair.private, { mode: 0o600 });
    let calls = 0;
    const prompt = scriptedPrompt({});
    prompt.passphrase = async (r) => (prompt.asked.push(`passphrase ${r.keyPath}`), ++calls === 1 ? 'wrong guess' : 'open sesame');
    const target = await resolveConnectTarget(nodeSchema.parse({ id: node.id, host: node.host, port: node.port, user: node.user }), user.deps({ prompt }));
    assert.deepEqual(
      target.identities.map((i) => [i.path, i.encrypted]),
      [[keyPath, true]],
    );
    assert.equal(await whoami(target), node.user);
    assert.deepEqual(prompt.asked, [`passphrase ${keyPath}`, `passphrase ${keyPath}`]);

    // Without a prompt the encrypted key cannot be used: auth fails and says why.
    const noPrompt = await resolveConnectTarget(nodeSchema.parse({ id: node.id, host: node.host, port: node.port, user: node.user }), user.deps());
    await assert.rejects(connectSsh(noPrompt), (e: unknown) => isOcmError(e, 'auth') && /needs a passphrase/.test(e.message) && /ssh-add/.test(e.message));
  });

  it('password and keyboard-interactive through the prompt; a wrong password fails as auth, a dismissed prompt as cancelled', async () => {
    const node = set.nodes[0]!;
    const user = makeUser(set, { knownHosts: knownHostsOf() });
    const entry = nodeSchema.parse({ id: node.id, host: node.host, port: node.port, user: node.user });
    const prompt = scriptedPrompt({ password: node.password! });
    assert.equal(await whoami(await resolveConnectTarget(entry, user.deps({ prompt }))), node.user);
    // The prompt is told the port (not 22 here), so two nodes on one host are told apart.
    assert.deepEqual(prompt.asked, [`password ${node.user}@127.0.0.1:${node.port}`]);

    writeFileSync(user.sshConfigPath, `Host ${node.host}\n  PasswordAuthentication no\n`);
    const kbd = scriptedPrompt({ keyboard: node.password! });
    assert.equal(await whoami(await resolveConnectTarget(entry, user.deps({ prompt: kbd }))), node.user);
    assert.equal(kbd.asked.length, 1);
    assert.match(kbd.asked[0]!, /^keyboard .*assword/);
    writeFileSync(user.sshConfigPath, '');

    const wrong = scriptedPrompt({ password: 'not-the-password', keyboard: 'nope' });
    await assert.rejects(
      connectSsh(await resolveConnectTarget(entry, user.deps({ prompt: wrong }))),
      (e: unknown) => isOcmError(e, 'auth') && !e.message.includes('not-the-password'),
    );

    const cancel = scriptedPrompt({});
    await assert.rejects(connectSsh(await resolveConnectTarget(entry, user.deps({ prompt: cancel }))), (e: unknown) => isOcmError(e, 'cancelled'));
  });

  it('time spent answering a prompt does not count toward the connect timeout', async () => {
    const node = set.nodes[0]!;
    const user = makeUser(set, { knownHosts: knownHostsOf() });
    const entry = nodeSchema.parse({ id: node.id, host: node.host, port: node.port, user: node.user });
    const slow = scriptedPrompt({});
    slow.password = async () => {
      await new Promise((r) => setTimeout(r, 2500));
      return node.password!;
    };
    const connection = await connectSsh(await resolveConnectTarget(entry, user.deps({ prompt: slow })), { readyTimeoutMs: 1500 });
    try {
      assert.equal((await execOut(connection.client, 'id -un')).stdout.trim(), node.user);
    } finally {
      connection.close();
    }
  });

  describe('ssh-agent', () => {
    let agent: ChildProcess | undefined;
    let socket = '';
    before(async () => {
      socket = join(set.dir, 'agent.sock');
      agent = await startAgent(socket, [set.nodes[1]!.clientKeyPath]);
    });
    after(() => {
      agent?.kill('SIGTERM');
    });

    it('logs in with a key held only by ssh-agent ($SSH_AUTH_SOCK)', async () => {
      const node = set.nodes[1]!;
      const user = makeUser(set, { knownHosts: knownHostsOf() });
      const entry = nodeSchema.parse({ id: node.id, host: node.host, port: node.port, user: node.user });
      const target = await resolveConnectTarget(entry, user.deps({ env: { SSH_AUTH_SOCK: socket } }));
      assert.equal(target.agentSocket, socket);
      assert.deepEqual(target.identities, [], 'no key files in this home');
      assert.equal(await whoami(target), node.user);

      writeFileSync(user.sshConfigPath, `Host *\n  IdentityAgent none\n`);
      const noAgent = await resolveConnectTarget(entry, user.deps({ env: { SSH_AUTH_SOCK: socket } }));
      await assert.rejects(connectSsh(noAgent), (e: unknown) => isOcmError(e, 'auth'));
    });

    it('IdentitiesOnly: only agent keys matching IdentityFile are offered (an agent full of keys would hit MaxAuthTries)', async () => {
      const node = set.nodes[1]!;
      // A second agent holding 7 unrelated keys before the right one.
      const crowdedSocket = join(set.dir, 'crowded-agent.sock');
      const junk = Array.from({ length: 7 }, (_, i) => {
        const path = join(set.dir, `junk-key-${i}`);
        // ssh-keygen, not ssh2's generateKeyPairSync: about 1 in 300 ed25519 keys from ssh2 fail to
        // load in OpenSSH ("error in libcrypto"), which made this test flaky in CI.
        execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `junk-${i}`, '-f', path]);
        return path;
      });
      const crowded = await startAgent(crowdedSocket, [...junk, node.clientKeyPath]);
      try {
        const user = makeUser(set, { knownHosts: knownHostsOf() });
        const entry = nodeSchema.parse({ id: node.id, host: 'crowded' });
        writeFileSync(
          user.sshConfigPath,
          `Host crowded\n  HostName ${node.host}\n  Port ${node.port}\n  User ${node.user}\n  IdentityFile ${node.clientKeyPath}\n`,
        );
        const unfiltered = await resolveConnectTarget(entry, user.deps({ env: { SSH_AUTH_SOCK: crowdedSocket } }));
        await assert.rejects(
          connectSsh(unfiltered),
          (e: unknown) => isOcmError(e, 'auth') && /IdentitiesOnly yes/.test(e.message),
          'without IdentitiesOnly the 7 wrong agent keys exhaust MaxAuthTries first',
        );

        writeFileSync(
          user.sshConfigPath,
          `Host crowded\n  HostName ${node.host}\n  Port ${node.port}\n  User ${node.user}\n  IdentityFile ${node.clientKeyPath}\n  IdentitiesOnly yes\n`,
        );
        const filtered = await resolveConnectTarget(entry, user.deps({ env: { SSH_AUTH_SOCK: crowdedSocket } }));
        assert.equal(filtered.identitiesOnly, true);
        assert.equal(await whoami(filtered), node.user);

        // IdentityFile naming only the public key (private key held by the agent, as with 1Password / Secretive).
        const pubOnly = join(user.home, '.ssh', 'agent-held.pub');
        writeFileSync(pubOnly, `${node.clientPublicKey}\n`);
        writeFileSync(
          user.sshConfigPath,
          `Host crowded\n  HostName ${node.host}\n  Port ${node.port}\n  User ${node.user}\n  IdentityFile ${pubOnly}\n  IdentitiesOnly yes\n`,
        );
        const agentOnly = await resolveConnectTarget(entry, user.deps({ env: { SSH_AUTH_SOCK: crowdedSocket } }));
        assert.deepEqual(agentOnly.identities, []);
        assert.equal(agentOnly.agentOnlyKeys?.length, 1);
        assert.equal(await whoami(agentOnly), node.user);
      } finally {
        crowded.kill('SIGTERM');
      }
    });

    it('ocm trust reaches a node through a ProxyJump hop authenticated by the agent', async () => {
      const [bastion, inner] = [set.nodes[0]!, set.nodes[1]!];
      // The bastion authorizes the agent's key too.
      await runAsNodeUser(bastion, `cat >> ~/.ssh/authorized_keys`, { stdin: `${inner.clientPublicKey}\n` });
      const user = makeUser(set, {
        knownHosts: '',
        sshConfig: `Host inner\n  HostName ${inner.host}\n  Port ${inner.port}\n  ProxyJump ${bastion.user}@${bastion.host}:${bastion.port}\n`,
      });
      user.writeRegistry([{ id: 'inner', host: 'inner', user: inner.user }]);
      // The new jump host's key is trusted only with a decision (--expect, --yes or a terminal's yes).
      const result = await runCli(['trust', 'inner', '--expect', bastion.hostKeyFingerprint, '--expect', inner.hostKeyFingerprint, '--json'], {
        HOME: user.home,
        OCM_HOME: user.ocmHome,
        SSH_AUTH_SOCK: socket,
      });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      const json = result.json();
      assert.equal(json.fingerprint, inner.hostKeyFingerprint);
      assert.deepEqual(
        json.jumpsTrusted.map((j: { fingerprint: string }) => j.fingerprint),
        [bastion.hostKeyFingerprint],
      );
      const fingerprints = (await user.trustStore.list()).map((e) => e.fingerprint).sort();
      assert.deepEqual(fingerprints, [bastion.hostKeyFingerprint, inner.hostKeyFingerprint].sort());
    });
  });
});
