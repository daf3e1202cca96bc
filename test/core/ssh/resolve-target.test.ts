import { strict as assert } from 'node:assert';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { nodeSchema, type NodeInput } from '../../../src/core/registry';
import { createAuthHandler } from '../../../src/core/ssh/auth-handler';
import type { AuthPrompt } from '../../../src/core/ssh/connect-target';
import { classifyPrivateKey, decryptPrivateKey } from '../../../src/core/ssh/identities';
import { effectiveHostKeyPolicy, resolveConnectTarget, type ResolveTargetDeps } from '../../../src/core/ssh/resolve-target';
import { TrustStore } from '../../../src/core/ssh/trust-store';
import { newKey, tempDir } from './fixtures';

const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

async function fakeAgentSocket(dir: string): Promise<string> {
  const path = join(dir, 'agent.sock');
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return path;
}

async function setup(config: string, files: Record<string, string> = {}) {
  const home = await tempDir('ocm-user-');
  await mkdir(join(home, '.ssh'), { recursive: true });
  await writeFile(join(home, '.ssh/config'), config);
  for (const [path, text] of Object.entries(files)) await writeFile(join(home, path), text, { mode: 0o600 });
  const deps: ResolveTargetDeps = {
    home,
    systemSshConfigPath: null,
    env: {},
    hostKeyPolicy: 'strict',
    trustStore: TrustStore.inHome(join(home, 'ocm')),
    localUser: 'me',
  };
  return { home, deps };
}

const node = (input: Omit<NodeInput, 'id'> & { id?: string }) => nodeSchema.parse({ id: 'n1', ...input });

describe('resolveConnectTarget', () => {
  it('builds the target from an ssh_config alias with a ProxyJump chain (first hop through its own ProxyJump)', async () => {
    const { home, deps } = await setup(
      [
        'Host app',
        '  HostName 10.0.0.20',
        '  User appuser',
        '  ProxyJump bastion,ops@inner:2201',
        '  HostKeyAlias app-key',
        'Host bastion',
        '  HostName bastion.example',
        '  Port 2022',
        '  ProxyJump edge',
        '  IdentityFile ~/.ssh/bastion_key',
        'Host inner',
        '  HostName 10.0.0.2',
        '  ProxyJump should-be-ignored',
        'Host edge',
        '  HostName edge.example',
      ].join('\n'),
      { '.ssh/id_ed25519': newKey().private, '.ssh/bastion_key': newKey().private },
    );
    const target = await resolveConnectTarget(node({ host: 'app', port: 2222 }), deps);
    assert.equal(target.nodeId, 'n1');
    assert.equal(target.host, '10.0.0.20');
    assert.equal(target.port, 2222);
    assert.equal(target.username, 'appuser');
    assert.equal(target.hostKeyName, '[app-key]:2222');
    assert.deepEqual(
      target.identities.map((i) => [i.path, i.encrypted]),
      [[join(home, '.ssh/id_ed25519'), false]],
    );
    assert.deepEqual(
      target.jumps.map((j) => [j.nodeId, j.host, j.port, j.username, j.hostKeyName, j.identities.map((i) => i.path)]),
      [
        ['jump:edge', 'edge.example', 22, 'me', 'edge.example', [join(home, '.ssh/id_ed25519')]],
        ['jump:bastion', 'bastion.example', 2022, 'me', '[bastion.example]:2022', [join(home, '.ssh/bastion_key')]],
        ['jump:inner', '10.0.0.2', 2201, 'ops', '[10.0.0.2]:2201', [join(home, '.ssh/id_ed25519')]],
      ],
    );
    assert.ok(target.jumps.every((j) => j.jumps.length === 0));
    assert.equal(target.node?.id, 'n1');
    assert.deepEqual(target.knownHostsFiles?.slice(0, 2), [join(home, '.ssh/known_hosts'), join(home, '.ssh/known_hosts2')]);
  });

  it('detects a ProxyJump loop', async () => {
    const { deps } = await setup('Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n');
    await assert.rejects(resolveConnectTarget(node({ host: 'a' }), deps), (e: unknown) => isOcmError(e, 'invalidConfig') && /ProxyJump/.test(e.message));
  });

  it('marks passphrase-protected keys encrypted; skips missing default keys; requires the registry key to exist', async () => {
    const encrypted = newKey('ed25519', 'correct horse');
    const { home, deps } = await setup('', { '.ssh/id_ecdsa': encrypted.private, '.ssh/id_rsa': 'not a key' });
    const target = await resolveConnectTarget(node({ host: 'h.example' }), deps);
    assert.deepEqual(
      target.identities.map((i) => [i.path, i.encrypted]),
      [[join(home, '.ssh/id_ecdsa'), true]],
    );
    assert.equal(classifyPrivateKey(Buffer.from(encrypted.private)), 'encrypted');
    assert.ok(isOcmError(decryptPrivateKey(Buffer.from(encrypted.private), 'wrong', 'k'), 'auth'));
    assert.ok(!isOcmError(decryptPrivateKey(Buffer.from(encrypted.private), 'correct horse', 'k')));
    await assert.rejects(
      resolveConnectTarget(node({ host: 'h.example', identityFile: '~/.ssh/missing' }), deps),
      (e: unknown) => isOcmError(e, 'invalidConfig') && /missing/.test(e.message),
    );
  });

  it('takes the agent from IdentityAgent or $SSH_AUTH_SOCK (only a live socket), none turns it off', async () => {
    const { home, deps } = await setup('Host off\n  IdentityAgent none\nHost custom\n  IdentityAgent ~/agent.sock\n');
    const socket = await fakeAgentSocket(home);
    const viaEnv = await resolveConnectTarget(node({ host: 'plain' }), { ...deps, env: { SSH_AUTH_SOCK: socket } });
    assert.equal(viaEnv.agentSocket, socket);
    assert.equal((await resolveConnectTarget(node({ host: 'off' }), { ...deps, env: { SSH_AUTH_SOCK: socket } })).agentSocket, undefined);
    assert.equal((await resolveConnectTarget(node({ host: 'custom' }), deps)).agentSocket, socket);
    assert.equal((await resolveConnectTarget(node({ host: 'plain' }), { ...deps, env: { SSH_AUTH_SOCK: join(home, 'gone.sock') } })).agentSocket, undefined);
  });

  it('StrictHostKeyChecking tightens or relaxes the unknown-host policy; a local node is not SSH', async () => {
    assert.equal(effectiveHostKeyPolicy('ask', 'yes'), 'strict');
    assert.equal(effectiveHostKeyPolicy('strict', 'accept-new'), 'accept-new');
    assert.equal(effectiveHostKeyPolicy('ask', 'ask'), 'ask');
    assert.equal(effectiveHostKeyPolicy('strict', undefined), 'strict');
    const { deps } = await setup('');
    await assert.rejects(resolveConnectTarget(node({ host: 'local' }), deps), (e: unknown) => isOcmError(e, 'invalidInput'));
  });
});

describe('ssh2 auth handler', () => {
  const step = (handler: ReturnType<typeof createAuthHandler>['handler'], left: string[] | null) =>
    new Promise<any>((resolve) => handler(left as any, false, (m) => resolve(m)));

  it('tries agent, keys (asking for the passphrase), then password; reports what was tried', async () => {
    const plain = newKey();
    const enc = newKey('ed25519', 'pass phrase');
    const asked: string[] = [];
    const prompt: AuthPrompt = {
      passphrase: async (r) => {
        asked.push(`passphrase ${r.keyPath}`);
        return asked.length === 1 ? 'wrong' : 'pass phrase';
      },
      password: async () => {
        asked.push('password');
        return 'pw';
      },
      keyboardInteractive: async () => undefined,
    };
    const target = {
      nodeId: 'n1',
      host: 'h',
      port: 22,
      username: 'u',
      hostKeyName: 'h',
      jumps: [],
      verifyHostKey: async () => true,
      agentSocket: '/tmp/agent.sock',
      identities: [
        { path: 'plain', privateKey: Buffer.from(plain.private), encrypted: false },
        { path: 'enc', privateKey: Buffer.from(enc.private), encrypted: true },
      ],
      prompt,
    };
    const auth = createAuthHandler(target);
    assert.deepEqual(await step(auth.handler, null), { type: 'agent', username: 'u', agent: '/tmp/agent.sock' });
    assert.equal((await step(auth.handler, ['publickey', 'password'])).key.toString(), plain.private);
    const encMethod = await step(auth.handler, ['publickey', 'password']);
    assert.equal(encMethod.passphrase, 'pass phrase');
    assert.deepEqual(asked, ['passphrase enc', 'passphrase enc']);
    assert.deepEqual(await step(auth.handler, ['password']), { type: 'password', username: 'u', password: 'pw' });
    const failure = auth.failure();
    assert.ok(isOcmError(failure, 'auth'));
    assert.match(failure.message, /ssh-agent.*key plain.*key enc.*password/);
    assert.doesNotMatch(failure.message, /\bpw\b|pass phrase/, 'no secret in the message');
  });

  it('a dismissed password prompt stops with kind cancelled; no prompt means no password step', async () => {
    const target = { nodeId: 'n1', host: 'h', port: 22, username: 'u', hostKeyName: 'h', jumps: [], verifyHostKey: async () => true, identities: [] };
    const silent = createAuthHandler(target);
    assert.equal(await step(silent.handler, null), false);
    assert.ok(isOcmError(silent.failure(), 'auth'));
    const prompting = createAuthHandler({
      ...target,
      prompt: { password: async () => undefined, passphrase: async () => undefined, keyboardInteractive: async () => undefined },
    });
    assert.equal(await step(prompting.handler, ['password', 'keyboard-interactive']), false);
    assert.ok(isOcmError(prompting.failure(), 'cancelled'));
  });
});
