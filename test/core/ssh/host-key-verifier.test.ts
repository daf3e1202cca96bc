import { strict as assert } from 'node:assert';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { createHostKeyVerifier, hostKeyAlgorithmsPreferring, type HostKeyPolicy, type HostKeyQuestion } from '../../../src/core/ssh/host-key-verifier';
import { sha256Fingerprint } from '../../../src/core/ssh/fingerprint';
import { TrustStore } from '../../../src/core/ssh/trust-store';
import { newKey, tempDir } from './fixtures';

const NAME = '[127.0.0.1]:2222';

async function setup(knownHosts = '') {
  const dir = await tempDir();
  const knownHostsFile = join(dir, 'known_hosts');
  await writeFile(knownHostsFile, knownHosts);
  const trustStore = new TrustStore(join(dir, 'ocm', 'trusted-host-keys.json'));
  const make = (policy: HostKeyPolicy, ask?: (q: HostKeyQuestion) => Promise<boolean>) =>
    createHostKeyVerifier({
      nodeId: 'n1',
      host: '127.0.0.1',
      port: 2222,
      hostKeyName: NAME,
      knownHostsFiles: [knownHostsFile, join(dir, 'absent')],
      trustStore,
      policy,
      ...(ask ? { ask } : {}),
    });
  return { dir, knownHostsFile, trustStore, make };
}

describe('host key verifier', () => {
  it('accepts a key listed in known_hosts under [host]:port and never writes known_hosts', async () => {
    const key = newKey();
    const { make, knownHostsFile, trustStore } = await setup(`${NAME} ${key.line}\n`);
    const before = await readFile(knownHostsFile, 'utf8');
    const verifier = make('strict');
    assert.equal(await verifier.verify(key.blob), true);
    assert.equal(verifier.lastError, undefined);
    assert.equal(await readFile(knownHostsFile, 'utf8'), before);
    assert.deepEqual(await trustStore.list(), []);
  });

  it('refuses a changed key under every policy, naming both fingerprints and the fix', async () => {
    const old = newKey();
    const offered = newKey();
    const { make } = await setup(`${NAME} ${old.line}\n`);
    for (const policy of ['strict', 'accept-new', 'ask'] as const) {
      let asked = false;
      const verifier = make(policy, async () => (asked = true));
      assert.equal(await verifier.verify(offered.blob), false);
      const err = verifier.lastError;
      assert.ok(isOcmError(err, 'hostKeyChanged'), `${policy}: ${String(err)}`);
      assert.ok(err.message.includes(sha256Fingerprint(old.blob)));
      assert.ok(err.message.includes(sha256Fingerprint(offered.blob)));
      assert.match(err.message, /ocm trust n1 --replace/);
      assert.match(err.message, /ssh-keygen -R/);
      assert.equal(asked, false, 'a changed key is never offered to the user as new');
    }
  });

  it('refuses a key that differs from the trust store entry', async () => {
    const old = newKey();
    const offered = newKey();
    const { make, trustStore } = await setup();
    await trustStore.add({ hostKeyName: NAME, host: '127.0.0.1', port: 2222, keyBlob: old.blob });
    const verifier = make('accept-new');
    assert.equal(await verifier.verify(offered.blob), false);
    assert.ok(isOcmError(verifier.lastError, 'hostKeyChanged'));
    assert.match(verifier.lastError.message, /ocm trust store/);
  });

  it('refuses an @revoked key even when a plain line lists it', async () => {
    const key = newKey();
    const { make } = await setup(`@revoked * ${key.line}\n${NAME} ${key.line}\n`);
    const verifier = make('accept-new');
    assert.equal(await verifier.verify(key.blob), false);
    assert.ok(isOcmError(verifier.lastError, 'hostKeyChanged'));
    assert.match(verifier.lastError.message, /@revoked/);
  });

  it('strict: refuses an unknown host and says to run ocm trust or pass --accept-new', async () => {
    const key = newKey();
    const { make, trustStore } = await setup(`other.example ${key.line}\n@cert-authority ${NAME} ${newKey().line}\n`);
    const verifier = make('strict');
    assert.equal(await verifier.verify(key.blob), false);
    assert.ok(isOcmError(verifier.lastError, 'hostKeyUnknown'));
    assert.match(verifier.lastError.message, /ocm trust n1/);
    assert.match(verifier.lastError.message, /--accept-new/);
    assert.match(verifier.lastError.message, /@cert-authority/);
    assert.ok(verifier.lastError.message.includes(sha256Fingerprint(key.blob)));
    assert.deepEqual(await trustStore.list(), []);
  });

  it('a known key of another type makes the host unknown (not changed)', async () => {
    const ecdsa = newKey('ecdsa');
    const offered = newKey();
    const { make } = await setup(`${NAME} ${ecdsa.line}\n`);
    const verifier = make('strict');
    assert.equal(await verifier.verify(offered.blob), false);
    assert.ok(isOcmError(verifier.lastError, 'hostKeyUnknown'));
    assert.match(verifier.lastError.message, /only has ECDSA/);
  });

  it('accept-new: stores the key owner-only and accepts it next time under strict', async () => {
    const key = newKey();
    const { make, trustStore } = await setup();
    assert.equal(await make('accept-new').verify(key.blob), true);
    const stored = await trustStore.list();
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.hostKeyName, NAME);
    assert.equal(stored[0]!.fingerprint, sha256Fingerprint(key.blob));
    assert.equal(stored[0]!.keyType, 'ssh-ed25519');
    assert.equal((await stat(trustStore.path)).mode & 0o777, 0o600);
    assert.equal(await make('strict').verify(key.blob), true);
  });

  it('ask: shows the fingerprint; yes stores and accepts, no refuses and stores nothing', async () => {
    const key = newKey();
    const { make, trustStore } = await setup();
    const questions: HostKeyQuestion[] = [];
    const no = make('ask', async (q) => {
      questions.push(q);
      return false;
    });
    assert.equal(await no.verify(key.blob), false);
    assert.ok(isOcmError(no.lastError, 'hostKeyUnknown'));
    assert.deepEqual(await trustStore.list(), []);
    assert.deepEqual(questions[0], {
      nodeId: 'n1',
      host: '127.0.0.1',
      port: 2222,
      hostKeyName: NAME,
      fingerprint: sha256Fingerprint(key.blob),
      keyType: 'ssh-ed25519',
      knownKeyTypes: [],
    });

    const yes = make('ask', async () => true);
    assert.equal(await yes.verify(key.blob), true);
    assert.equal(yes.lastError, undefined);
    assert.equal((await trustStore.lookup(NAME)).length, 1);
  });

  it('replaceChanged (ocm trust --replace only) offers a changed key with the old fingerprints and replaces it on yes', async () => {
    const old = newKey();
    const offered = newKey();
    const { dir, trustStore } = await setup();
    await trustStore.add({ hostKeyName: NAME, host: '127.0.0.1', port: 2222, keyBlob: old.blob });
    const questions: HostKeyQuestion[] = [];
    const verifier = createHostKeyVerifier({
      nodeId: 'jump:b',
      trustNodeId: 'n1',
      host: '127.0.0.1',
      port: 2222,
      hostKeyName: NAME,
      knownHostsFiles: [join(dir, 'known_hosts')],
      trustStore,
      policy: 'strict',
      replaceChanged: true,
      ask: async (q) => (questions.push(q), true),
    });
    assert.equal(await verifier.verify(offered.blob), true);
    assert.deepEqual(questions[0]?.replaces, [sha256Fingerprint(old.blob)]);
    assert.deepEqual(
      (await trustStore.list()).map((e) => e.fingerprint),
      [sha256Fingerprint(offered.blob)],
    );
  });

  it('ask without a face callback behaves like strict', async () => {
    const { make } = await setup();
    const verifier = make('ask');
    assert.equal(await verifier.verify(newKey().blob), false);
    assert.ok(isOcmError(verifier.lastError, 'hostKeyUnknown'));
  });
});

describe('host key algorithm preference', () => {
  it('puts algorithms for known key types first, RSA as its sha2 variants', async () => {
    assert.equal(hostKeyAlgorithmsPreferring([]), undefined);
    assert.deepEqual(hostKeyAlgorithmsPreferring(['ssh-rsa'])?.slice(0, 4), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
    assert.deepEqual(hostKeyAlgorithmsPreferring(['ecdsa-sha2-nistp256'])?.slice(0, 2), ['ecdsa-sha2-nistp256', 'ssh-ed25519']);
    const ecdsa = newKey('ecdsa');
    const { make, trustStore } = await setup(`${NAME} ${ecdsa.line}\n`);
    await trustStore.add({ hostKeyName: NAME, host: '127.0.0.1', port: 2222, keyBlob: newKey().blob });
    assert.deepEqual(await make('strict').knownKeyTypes(), ['ecdsa-sha2-nistp256', 'ssh-ed25519']);
  });
});

describe('trust store', () => {
  it('refuses to overwrite a different key of the same type unless replace is set', async () => {
    const dir = await tempDir();
    const store = TrustStore.inHome(dir);
    const a = newKey();
    const b = newKey();
    const c = newKey('ecdsa');
    await store.add({ hostKeyName: 'Host.Example', host: 'host.example', port: 22, keyBlob: a.blob, nodeId: 'h' });
    await store.add({ hostKeyName: 'host.example', host: 'host.example', port: 22, keyBlob: a.blob });
    await store.add({ hostKeyName: 'host.example', host: 'host.example', port: 22, keyBlob: c.blob });
    await assert.rejects(
      store.add({ hostKeyName: 'host.example', host: 'host.example', port: 22, keyBlob: b.blob }),
      (e: unknown) => isOcmError(e, 'hostKeyChanged') && e.message.includes('--replace'),
    );
    await store.add({ hostKeyName: 'host.example', host: 'host.example', port: 22, keyBlob: b.blob, replace: true });
    const entries = await store.lookup('HOST.example');
    assert.deepEqual(entries.map((e) => e.fingerprint).sort(), [sha256Fingerprint(b.blob), sha256Fingerprint(c.blob)].sort());
    assert.equal(await store.remove('host.example'), 2);
    assert.deepEqual(await store.list(), []);
  });

  it('reports a corrupt store with what to do', async () => {
    const dir = await tempDir();
    const store = TrustStore.inHome(dir);
    await writeFile(store.path, '{not json');
    await assert.rejects(store.list(), (e: unknown) => isOcmError(e, 'invalidConfig') && /ocm trust/.test(e.message));
  });
});
