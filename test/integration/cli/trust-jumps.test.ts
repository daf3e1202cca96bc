import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { utils } from 'ssh2';
import { sha256Fingerprint } from '../../../src/core/ssh/fingerprint';
import { runCli } from '../../support/cli';
import { startSshNodes, type SshNodeSet } from '../../support/sshd';
import { directEntry, makeUser, type TestUser } from '../ssh-auth/helpers';

/**
 * `ocm trust <id>` through a ProxyJump host (real sshd): the jump host's key is not trusted just
 * because the node was named. A new jump key needs --expect (its fingerprint), --yes or a yes on
 * a terminal; a changed one needs --replace-jump <host>; a refused hop leaves the store untouched.
 */
describe('ocm trust: each ProxyJump hop gets its own decision (real sshd)', { timeout: 120_000 }, () => {
  let set: SshNodeSet;
  before(async () => {
    set = await startSshNodes(2, { idPrefix: 'tj' });
  });
  after(async () => {
    await set?.stop();
  });

  /** A user who reaches node 1 through node 0 (`bastion` in ssh_config); known_hosts as given. */
  function viaBastion(knownHosts: string): { user: TestUser; env: NodeJS.ProcessEnv } {
    const [bastion, inner] = [set.nodes[0]!, set.nodes[1]!];
    const user = makeUser(set, {
      knownHosts,
      sshConfig: `Host ${inner.host}\n  ProxyJump bastion\nHost bastion\n  HostName ${bastion.host}\n  Port ${bastion.port}\n  User ${bastion.user}\n  IdentityFile ${bastion.clientKeyPath}\n`,
    });
    user.writeRegistry([directEntry(inner, { id: 'inner' })]);
    return { user, env: { HOME: user.home, OCM_HOME: user.ocmHome } };
  }

  const fakeKeyLine = (): { line: string; fingerprint: string } => {
    const pub = utils.generateKeyPairSync('ed25519').public.split(' ').slice(0, 2);
    return { line: pub.join(' '), fingerprint: sha256Fingerprint(Buffer.from(pub[1]!, 'base64')) };
  };

  it('an unknown jump-host key is refused without a decision (no terminal): fingerprint shown, nothing stored', async () => {
    const [bastion, inner] = [set.nodes[0]!, set.nodes[1]!];
    const { user, env } = viaBastion('');
    const run = await runCli(['trust', 'inner', '--json'], env);
    assert.equal(run.code, 1, run.stdout);
    const error = run.json().error;
    assert.equal(error.kind, 'hostKeyUnknown');
    assert.ok(error.message.includes(bastion.hostKeyFingerprint), error.message);
    assert.match(error.message, /--expect/);
    assert.equal(existsSync(user.trustStore.path), false, 'neither the jump host nor the node was trusted');
    assert.notEqual(inner.hostKeyFingerprint, bastion.hostKeyFingerprint);
  });

  it('--expect covers every hop: only the node’s fingerprint is not enough; both trust both; a wrong one trusts nothing', async () => {
    const [bastion, inner] = [set.nodes[0]!, set.nodes[1]!];
    const { user, env } = viaBastion('');
    const onlyNode = await runCli(['trust', 'inner', '--expect', inner.hostKeyFingerprint, '--json'], env);
    assert.equal(onlyNode.code, 1, onlyNode.stdout);
    assert.equal(onlyNode.json().error.kind, 'hostKeyChanged');
    assert.match(onlyNode.json().error.message, /not one of the --expect fingerprints/);
    assert.equal(existsSync(user.trustStore.path), false);

    // The jump host's key right, the node's wrong: the jump host is not stored either.
    const wrongNode = await runCli(['trust', 'inner', '--expect', bastion.hostKeyFingerprint, '--expect', fakeKeyLine().fingerprint], env);
    assert.equal(wrongNode.code, 1, wrongNode.stdout);
    assert.match(wrongNode.stderr, /not the expected/);
    assert.equal(existsSync(user.trustStore.path), false);

    const both = await runCli(['trust', 'inner', '--expect', bastion.hostKeyFingerprint, '--expect', inner.hostKeyFingerprint, '--json'], env);
    assert.equal(both.code, 0, both.stdout + both.stderr);
    assert.deepEqual(
      both.json().jumpsTrusted.map((j: { fingerprint: string }) => j.fingerprint),
      [bastion.hostKeyFingerprint],
    );
    assert.deepEqual((await user.trustStore.list()).map((e) => e.fingerprint).sort(), [bastion.hostKeyFingerprint, inner.hostKeyFingerprint].sort());
  });

  it('--yes trusts a new jump-host key as shown, and says so', async () => {
    const [bastion] = [set.nodes[0]!];
    const { user, env } = viaBastion('');
    const run = await runCli(['trust', 'inner', '--yes'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.includes(`Jump host [${bastion.host}]:${bastion.port}: trusted ED25519 ${bastion.hostKeyFingerprint}`), run.stdout);
    assert.equal((await user.trustStore.list()).length, 2);
  });

  it('a changed jump-host key: --replace (the node’s key) and --yes do not replace it; --replace-jump bastion does', async () => {
    const [bastion, inner] = [set.nodes[0]!, set.nodes[1]!];
    const fake = fakeKeyLine();
    const { user, env } = viaBastion(`${inner.knownHostsLine}\n[${bastion.host}]:${bastion.port} ${fake.line}\n`);
    for (const flags of [[], ['--replace'], ['--replace', '--yes'], ['--replace-jump', 'elsewhere', '--yes']]) {
      const run = await runCli(['trust', 'inner', ...flags, '--json'], env);
      assert.equal(run.code, 1, `${flags.join(' ')}: ${run.stdout}`);
      const error = run.json().error;
      assert.equal(error.kind, 'hostKeyChanged', flags.join(' '));
      assert.ok(error.message.includes(fake.fingerprint) && error.message.includes(bastion.hostKeyFingerprint), error.message);
      assert.ok(error.message.includes('ocm trust inner --replace-jump bastion'), error.message);
      assert.equal(existsSync(user.trustStore.path), false, flags.join(' '));
    }
    // Named, but its new fingerprint must still match --expect when given.
    const wrongExpect = await runCli(['trust', 'inner', '--replace-jump', 'bastion', '--expect', fake.fingerprint, '--expect', inner.hostKeyFingerprint], env);
    assert.equal(wrongExpect.code, 1);
    assert.equal(existsSync(user.trustStore.path), false);

    const replaced = await runCli(['trust', 'inner', '--replace-jump', 'bastion'], env);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.match(replaced.stdout, new RegExp(`Jump host .*${bastion.port}.*replacing ${fake.fingerprint.replace(/[+/]/g, '\\$&')}`));
    assert.match(replaced.stdout, /Already trusted/, 'the node itself was in known_hosts');
    assert.deepEqual(
      (await user.trustStore.list()).map((e) => e.fingerprint),
      [bastion.hostKeyFingerprint],
    );
  });
});
