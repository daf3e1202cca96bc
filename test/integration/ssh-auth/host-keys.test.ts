import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { utils } from 'ssh2';
import { isOcmError } from '../../../src/core/errors';
import { connectSsh } from '../../../src/core/ssh/connect-client';
import { sha256Fingerprint } from '../../../src/core/ssh/fingerprint';
import { resolveConnectTarget } from '../../../src/core/ssh/resolve-target';
import { runCli } from '../../support/cli';
import { startSshNodes, type SshNodeSet } from '../../support/sshd';
import { directEntry, execOut, makeUser, wrongKnownHostsLine } from './helpers';

function otherHostKey(): { line: string; fingerprint: string } {
  const line = utils.generateKeyPairSync('ed25519').public;
  return { line, fingerprint: sha256Fingerprint(Buffer.from(line.split(' ')[1]!, 'base64')) };
}

describe('host keys against real sshd', () => {
  let set: SshNodeSet;
  before(async () => {
    set = await startSshNodes(1, { idPrefix: 'hk' });
  });
  after(async () => {
    await set?.stop();
  });

  it('connects when ~/.ssh/known_hosts has the right key, and leaves known_hosts untouched', async () => {
    const node = set.nodes[0]!;
    const user = makeUser(set, { knownHosts: `${node.knownHostsLine}\n` });
    const target = await resolveConnectTarget(directEntry(node), user.deps());
    const connection = await connectSsh(target);
    try {
      assert.deepEqual(await execOut(connection.client, 'id -un'), { code: 0, stdout: `${node.user}\n` });
    } finally {
      connection.close();
    }
    assert.equal(readFileSync(user.knownHostsPath, 'utf8'), `${node.knownHostsLine}\n`);
    assert.deepEqual(await user.trustStore.list(), []);
  });

  it('refuses a changed host key under every policy, showing both fingerprints', async () => {
    const node = set.nodes[0]!;
    const stale = otherHostKey();
    const user = makeUser(set, { knownHosts: `${wrongKnownHostsLine(node, stale.line)}\n` });
    for (const hostKeyPolicy of ['strict', 'accept-new', 'ask'] as const) {
      const target = await resolveConnectTarget(directEntry(node), user.deps({ hostKeyPolicy, ask: async () => true }));
      await assert.rejects(connectSsh(target), (e: unknown) => {
        assert.ok(isOcmError(e, 'hostKeyChanged'), `${hostKeyPolicy}: ${String(e)}`);
        assert.ok(e.message.includes(stale.fingerprint), e.message);
        assert.ok(e.message.includes(node.hostKeyFingerprint), e.message);
        assert.match(e.message, new RegExp(`ocm trust ${node.id} --replace`));
        return true;
      });
    }
    assert.deepEqual(await user.trustStore.list(), [], 'nothing was trusted');
  });

  it('refuses an unknown host under strict, with the fingerprint and the command to trust it', async () => {
    const node = set.nodes[0]!;
    const user = makeUser(set);
    const target = await resolveConnectTarget(directEntry(node), user.deps());
    await assert.rejects(
      connectSsh(target),
      (e: unknown) => isOcmError(e, 'hostKeyUnknown') && e.message.includes(node.hostKeyFingerprint) && e.message.includes(`ocm trust ${node.id}`),
    );
  });

  it('ask: the face sees the real fingerprint; yes stores it in the trust store', async () => {
    const node = set.nodes[0]!;
    const user = makeUser(set);
    const seen: string[] = [];
    const target = await resolveConnectTarget(directEntry(node), user.deps({ hostKeyPolicy: 'ask', ask: async (q) => (seen.push(q.fingerprint), true) }));
    const connection = await connectSsh(target);
    connection.close();
    assert.deepEqual(seen, [node.hostKeyFingerprint]);
    assert.deepEqual(
      (await user.trustStore.list()).map((e) => e.fingerprint),
      [node.hostKeyFingerprint],
    );
  });

  it('ocm trust stores the key (owner-only), then a strict connect works; a different stored key needs --replace', async () => {
    const node = set.nodes[0]!;
    const user = makeUser(set);
    user.writeRegistry([directEntry(node)]);
    const env = { HOME: user.home, OCM_HOME: user.ocmHome };

    const first = await runCli(['trust', node.id, '--json'], env);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    const json = first.json();
    assert.equal(json.outcome, 'added');
    assert.equal(json.fingerprint, node.hostKeyFingerprint);
    assert.equal(json.hostKeyName, `[127.0.0.1]:${node.port}`);
    assert.equal(statSync(user.trustStore.path).mode & 0o777, 0o600);

    const target = await resolveConnectTarget(directEntry(node), user.deps({ hostKeyPolicy: 'strict' }));
    const connection = await connectSsh(target);
    assert.equal((await execOut(connection.client, 'echo ok')).stdout, 'ok\n');
    connection.close();

    const again = await runCli(['trust', node.id], env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /Already trusted/);

    // Simulate a reinstalled host: the store holds another key for the same name.
    const stale = otherHostKey();
    const stored = JSON.parse(readFileSync(user.trustStore.path, 'utf8'));
    stored.hosts[0].key = stale.line.split(' ')[1];
    stored.hosts[0].fingerprint = stale.fingerprint;
    writeFileSync(user.trustStore.path, JSON.stringify(stored));
    const refused = await runCli(['trust', node.id, '--json'], env);
    assert.equal(refused.code, 1);
    assert.equal(refused.json().error.kind, 'hostKeyChanged');
    assert.ok(refused.json().error.message.includes(stale.fingerprint));

    const wrongExpect = await runCli(['trust', node.id, '--replace', '--expect', stale.fingerprint], env);
    assert.equal(wrongExpect.code, 1);
    assert.match(wrongExpect.stderr, /not the expected/);

    const replaced = await runCli(['trust', node.id, '--replace', '--expect', node.hostKeyFingerprint], env);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.match(replaced.stdout, /Replaced/);
    assert.deepEqual(
      (await user.trustStore.list()).map((e) => e.fingerprint),
      [node.hostKeyFingerprint],
    );
  });

  it('ocm trust for an unknown node id and an unreachable port fail with clear errors', async () => {
    const node = set.nodes[0]!;
    const user = makeUser(set);
    user.writeRegistry([directEntry(node, { id: 'closed', port: 1 })]);
    const env = { HOME: user.home, OCM_HOME: user.ocmHome };
    const missing = await runCli(['trust', 'nope'], env);
    assert.equal(missing.code, 1);
    const closed = await runCli(['trust', 'closed', '--json'], env);
    assert.equal(closed.code, 1);
    assert.equal(closed.json().error.kind, 'unreachable');
  });
});

describe('host key algorithm preference against real sshd', () => {
  let set: SshNodeSet;
  let keyDir: string;
  let ecdsaPublic: string;
  before(async () => {
    // A node with two host keys (its ed25519 one from the harness plus an ECDSA one).
    keyDir = mkdtempSync(join(tmpdir(), 'ocm-hostkey-'));
    const keyPath = join(keyDir, 'ssh_host_ecdsa_key');
    const made = spawnSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', keyPath], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    ecdsaPublic = readFileSync(`${keyPath}.pub`, 'utf8').split(/\s+/).slice(0, 2).join(' ');
    set = await startSshNodes(1, { idPrefix: 'hka', extraConfig: `HostKey ${keyPath}` });
  });
  after(async () => {
    await set?.stop();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('a host known only by its ECDSA key is verified with that key (not reported unknown)', async () => {
    const node = set.nodes[0]!;
    const user = makeUser(set, { knownHosts: `[${node.host}]:${node.port} ${ecdsaPublic}\n` });
    const target = await resolveConnectTarget(directEntry(node), user.deps());
    const connection = await connectSsh(target);
    connection.close();
    assert.deepEqual(await user.trustStore.list(), []);

    // Without the preference the server's favourite (ed25519) would be offered and look unknown.
    const ed25519Only = await resolveConnectTarget(directEntry(node), user.deps());
    ed25519Only.hostKeyAlgorithms = async () => undefined;
    await assert.rejects(connectSsh(ed25519Only), (e: unknown) => isOcmError(e, 'hostKeyUnknown') && /only has ECDSA/.test(e.message));
  });
});
