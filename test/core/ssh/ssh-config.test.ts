import { strict as assert } from 'node:assert';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { parseProxyJump, resolveSshHost, SshConfig } from '../../../src/core/ssh/ssh-config';
import { tempDir } from './fixtures';

async function homeWith(files: Record<string, string>): Promise<string> {
  const home = await tempDir('ocm-home-');
  for (const [path, text] of Object.entries(files)) {
    const full = join(home, path);
    await mkdir(join(full, '..'), { recursive: true });
    await writeFile(full, text);
  }
  return home;
}

async function load(files: Record<string, string>): Promise<{ home: string; config: SshConfig }> {
  const home = await homeWith(files);
  return { home, config: await SshConfig.load({ home, systemConfigPath: null }) };
}

describe('ssh_config resolution', () => {
  it('resolves a Host alias: HostName, User, Port, several IdentityFiles with ~ and tokens', async () => {
    const { home, config } = await load({
      '.ssh/config': [
        'Host web web-alias',
        '  HostName %h.internal.example',
        '  User deploy',
        '  Port 2200',
        '  IdentityFile ~/.ssh/id_%r@%h',
        '  IdentityFile "~/keys/with space"',
        '  IdentityFile %d/k_%p_%n_%u_%%',
        '  IdentitiesOnly yes',
        '  IdentityAgent ~/agent.sock',
        '  HostKeyAlias web-key',
        '  UserKnownHostsFile ~/kh1 %d/kh2',
        '  StrictHostKeyChecking Yes',
        'Host *',
        '  User fallback',
        '  Port 22',
      ].join('\n'),
    });
    const r = resolveSshHost(config, 'web', { localUser: 'me' });
    assert.equal(r.hostName, 'web.internal.example');
    assert.equal(resolveSshHost(config, 'WEB-Alias', { localUser: 'me' }).user, 'deploy', 'the destination is matched lowercased, like OpenSSH');
    assert.equal(r.user, 'deploy');
    assert.equal(r.port, 2200);
    assert.deepEqual(r.identityFiles, [join(home, '.ssh/id_deploy@web.internal.example'), join(home, 'keys/with space'), `${home}/k_2200_web_me_%`]);
    assert.equal(r.identitiesOnly, true);
    assert.equal(r.identityAgent, join(home, 'agent.sock'));
    assert.equal(r.hostKeyAlias, 'web-key');
    assert.deepEqual(r.userKnownHostsFiles, [join(home, 'kh1'), join(home, 'kh2')]);
    assert.equal(r.strictHostKeyChecking, 'yes');
    assert.deepEqual(r.proxyJump, []);
  });

  it('applies patterns with first-value-wins, and defaults when nothing matches', async () => {
    const { config } = await load({
      '.ssh/config': ['Host *.prod !db.prod', '  User produser', 'Host db.*', '  Port 5022', 'Host *', '  User everyone', '  IdentityAgent none'].join('\n'),
    });
    const api = resolveSshHost(config, 'api.prod', { localUser: 'me' });
    assert.equal(api.user, 'produser');
    assert.equal(api.port, 22);
    assert.equal(api.hostName, 'api.prod');
    assert.equal(api.identityAgent, null);
    const db = resolveSshHost(config, 'db.prod', { localUser: 'me' });
    assert.equal(db.user, 'everyone', 'negated pattern skips the block');
    assert.equal(db.port, 5022);
    const { home, config: empty } = await load({});
    const plain = resolveSshHost(empty, 'Plain.Example', { localUser: 'me' });
    assert.equal(plain.user, 'me');
    assert.equal(plain.port, 22);
    assert.deepEqual(plain.identityFiles, []);
    assert.equal(plain.identityAgent, undefined);
    assert.deepEqual(plain.userKnownHostsFiles, [join(home, '.ssh/known_hosts'), join(home, '.ssh/known_hosts2')]);
    assert.deepEqual(plain.globalKnownHostsFiles, ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']);
  });

  it('registry fields beat the ssh config; registry identityFile comes first', async () => {
    const { home, config } = await load({ '.ssh/config': 'Host n\n  HostName 10.1.2.3\n  User cfg\n  Port 2222\n  IdentityFile ~/.ssh/cfg_key\n' });
    const r = resolveSshHost(config, 'n', { user: 'reg', port: 2022, identityFile: '~/.ssh/reg_key', localUser: 'me' });
    assert.equal(r.hostName, '10.1.2.3');
    assert.equal(r.user, 'reg');
    assert.equal(r.port, 2022);
    assert.deepEqual(r.identityFiles, [join(home, '.ssh/reg_key'), join(home, '.ssh/cfg_key')]);
  });

  it('follows Include relative to ~/.ssh with globs, nesting, and includes inside Host blocks', async () => {
    const { config } = await load({
      '.ssh/config': ['Include conf.d/*.conf', 'Host box', '  Include box-extra', '  User box-user', 'Host *', '  Port 2000'].join('\n'),
      '.ssh/conf.d/10-a.conf': 'Host alpha\n  HostName alpha.example\n  Include ~/.ssh/nested/deeper\n',
      '.ssh/conf.d/20-b.conf': 'Host alpha beta\n  User from-b\n  HostName not-used-for-alpha\n',
      '.ssh/conf.d/.hidden.conf': 'Host alpha\n  User hidden\n',
      '.ssh/conf.d/ignored.txt': 'Host alpha\n  User txt\n',
      '.ssh/nested/deeper': 'Port 3000\n',
      '.ssh/box-extra': 'HostName box.example\nHost box-only-inner\n  User inner\n',
    });
    const alpha = resolveSshHost(config, 'alpha', { localUser: 'me' });
    assert.equal(alpha.hostName, 'alpha.example');
    assert.equal(alpha.port, 3000);
    assert.equal(alpha.user, 'from-b');
    const box = resolveSshHost(config, 'box', { localUser: 'me' });
    assert.equal(box.hostName, 'box.example');
    assert.equal(box.user, 'box-user');
    assert.equal(box.port, 2000);
    const inner = resolveSshHost(config, 'box-only-inner', { localUser: 'me' });
    assert.equal(inner.user, 'me', 'a Host block inside an Include inside a non-matching Host block never applies');
  });

  it('reports an Include loop instead of recursing forever', async () => {
    const home = await homeWith({ '.ssh/config': 'Include loop\n', '.ssh/loop': 'Include loop\n' });
    await assert.rejects(SshConfig.load({ home, systemConfigPath: null }), (e: unknown) => isOcmError(e, 'invalidConfig') && /Include/.test(e.message));
  });

  it('reads the system config after the user config', async () => {
    const home = await homeWith({ '.ssh/config': 'Host a\n  User user-wins\n', 'etc/ssh_config': 'Host a\n  User system\n  Port 2345\n' });
    const config = await SshConfig.load({ home, systemConfigPath: join(home, 'etc/ssh_config') });
    const r = resolveSshHost(config, 'a', { localUser: 'me' });
    assert.equal(r.user, 'user-wins');
    assert.equal(r.port, 2345);
  });

  it('parses ProxyJump chains, ssh:// hops, IPv6 and none', async () => {
    assert.deepEqual(parseProxyJump('bastion, ops@jump2:2201,ssh://root@[::1]:22'), [
      { host: 'bastion' },
      { host: 'jump2', user: 'ops', port: 2201 },
      { host: '::1', user: 'root', port: 22 },
    ]);
    assert.throws(
      () => parseProxyJump('bad host'),
      (e: unknown) => isOcmError(e, 'invalidConfig'),
    );
    const { config } = await load({ '.ssh/config': 'Host direct\n  ProxyJump none\nHost *\n  ProxyJump gw\n' });
    assert.deepEqual(resolveSshHost(config, 'direct').proxyJump, []);
    assert.deepEqual(resolveSshHost(config, 'other').proxyJump, [{ host: 'gw' }]);
  });

  it('rejects a nonsense Port with a fix', async () => {
    const { config } = await load({ '.ssh/config': 'Host p\n  Port http\n' });
    assert.throws(
      () => resolveSshHost(config, 'p'),
      (e: unknown) => isOcmError(e, 'invalidConfig') && /Port/.test(e.message),
    );
  });
});
