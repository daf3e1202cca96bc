import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { locateOpenclaw, parseLocateOutput } from '../../../src/core/openclaw/locate';
import { DiscoveryCache } from '../../../src/core/openclaw/discovery-cache';
import type { Transport } from '../../../src/core/transport/types';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import { materialiseFixture } from '../../support/openclaw-fixtures';

/** A LocalTransport whose commands see a different HOME, a bare PATH and /bin/sh as login shell. */
function transportWithHome(home: string, extraEnv: Record<string, string> = {}): Transport {
  const local = new LocalTransport({ nodeId: 'n1' });
  const env = { HOME: home, PATH: '/usr/bin:/bin', SHELL: '/bin/sh', ENV: '', ...extraEnv };
  return new Proxy(local, {
    get(target, prop, receiver) {
      if (prop === 'exec')
        return (cmd: string, opts: Record<string, unknown> = {}) =>
          target.exec(cmd, { ...opts, env: { ...env, ...((opts.env as Record<string, string>) ?? {}) } });
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

async function fakeOpenclaw(path: string, versionLine = 'OpenClaw 2026.9.6 (eb377ac)'): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `#!/bin/sh\n[ "$1" = --version ] && echo ${JSON.stringify(versionLine)}\n`);
  await chmod(path, 0o755);
}

/** Lines in a log our fake scripts append `run` to (0 before the first run). */
async function runsLogged(log: string): Promise<number> {
  return (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
}

const temps: string[] = [];
async function tempHome(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'ocm-locate-'));
  temps.push(d);
  return d;
}
after(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

test('a 2026.9.6 node: binary in ~/.local/bin, default state dir, config read, port from the config', async () => {
  const fx = await materialiseFixture('v2026.9.6');
  try {
    await fakeOpenclaw(join(fx.home, '.local', 'bin', 'openclaw'));
    const loc = await locateOpenclaw(transportWithHome(fx.home), { id: 'n1' });
    assert.equal(loc.installed, true, loc.reason);
    assert.equal(loc.bin, join(fx.home, '.local', 'bin', 'openclaw'));
    assert.equal(loc.binSource, 'common-path');
    assert.equal(loc.version, '2026.9.6');
    assert.equal(loc.commit, 'eb377ac');
    assert.equal(loc.stateDir, fx.stateDir);
    assert.equal(loc.stateDirSource, 'default');
    assert.equal(loc.configPath, join(fx.stateDir, 'openclaw.json'));
    assert.ok(loc.config, String(loc.configError?.message));
    assert.equal(loc.gatewayPort, 18789);
    assert.equal(loc.gatewayPortSource, 'config');
    assert.equal(loc.supervisor, 'unmanaged');
    assert.equal(loc.cliEnv.OPENCLAW_STATE_DIR, undefined);
  } finally {
    await fx.cleanup();
  }
});

test('registry path and state dir win (with ~), env port beats the config, systemd unit detected', async () => {
  const fx = await materialiseFixture('v2026.7.1', 'custom-state-dir');
  try {
    await fakeOpenclaw(join(fx.home, 'tools', 'oc'), 'OpenClaw 2026.7.1 (2d2ddc4)');
    await mkdir(join(fx.home, '.config', 'systemd', 'user'), { recursive: true });
    await writeFile(join(fx.home, '.config', 'systemd', 'user', 'openclaw-gateway.service'), '[Service]\n');
    const loc = await locateOpenclaw(transportWithHome(fx.home, { OPENCLAW_GATEWAY_PORT: '19555' }), {
      id: 'n1',
      openclawPath: '~/tools/oc',
      stateDir: '~/oc-state',
    });
    assert.equal(loc.bin, join(fx.home, 'tools', 'oc'));
    assert.equal(loc.binSource, 'registry');
    assert.equal(loc.version, '2026.7.1');
    assert.equal(loc.stateDir, join(fx.home, 'oc-state'));
    assert.equal(loc.stateDirSource, 'registry');
    assert.equal(loc.cliEnv.OPENCLAW_STATE_DIR, join(fx.home, 'oc-state'));
    assert.equal(loc.gatewayPort, 19555);
    assert.equal(loc.gatewayPortSource, 'env');
    assert.equal(loc.supervisor, 'systemd');
    assert.ok(loc.config);
  } finally {
    await fx.cleanup();
  }
});

test('OPENCLAW_STATE_DIR from the environment and a login shell that finds the binary', async () => {
  const home = await tempHome();
  await fakeOpenclaw(join(home, 'nvm', 'bin', 'openclaw'));
  await mkdir(join(home, 'st'), { recursive: true });
  await writeFile(join(home, 'st', 'openclaw.json'), '{ gateway: { port: 18800 } }');
  await writeFile(join(home, '.profile'), `PATH="${join(home, 'nvm', 'bin')}:$PATH"; export PATH\n`);
  const loc = await locateOpenclaw(transportWithHome(home, { OPENCLAW_STATE_DIR: join(home, 'st') }), { id: 'n1' });
  assert.equal(loc.binSource, 'login-shell');
  assert.equal(loc.stateDir, join(home, 'st'));
  assert.equal(loc.stateDirSource, 'env');
  assert.equal(loc.gatewayPort, 18800);
  assert.ok(loc.cliEnv.PATH!.startsWith(join(home, 'nvm', 'bin') + ':'));
});

test('legacy ~/.clawdbot with clawdbot.json', async () => {
  const home = await tempHome();
  await fakeOpenclaw(join(home, '.npm-global', 'bin', 'openclaw'), 'OpenClaw 2026.1.30');
  await mkdir(join(home, '.clawdbot'));
  await writeFile(join(home, '.clawdbot', 'clawdbot.json'), '{ agents: { list: [{ id: "main" }] } }');
  const loc = await locateOpenclaw(transportWithHome(home), { id: 'n1' });
  assert.equal(loc.stateDir, join(home, '.clawdbot'));
  assert.equal(loc.stateDirSource, 'legacy');
  assert.equal(loc.configPath, join(home, '.clawdbot', 'clawdbot.json'));
  assert.equal(loc.configSource, 'legacy');
  assert.equal(loc.version, '2026.1.30');
});

test('a node without OpenClaw is reported as not installed, with a reason', async () => {
  const home = await tempHome();
  const loc = await locateOpenclaw(transportWithHome(home), { id: 'bare' });
  assert.equal(loc.installed, false);
  assert.match(loc.reason!, /openclaw was not found on node bare/);
  assert.equal(loc.configExists, false);
  assert.equal(loc.config, undefined);
  assert.equal(loc.gatewayPort, 18789);
});

test('a broken openclaw.json gives invalidConfig naming file, line and column', async () => {
  const home = await tempHome();
  await fakeOpenclaw(join(home, '.local', 'bin', 'openclaw'));
  await mkdir(join(home, '.openclaw'));
  await writeFile(join(home, '.openclaw', 'openclaw.json'), '{\n  gateway: { port: 18789 },\n  agents: { list: [ { id: "main" ] },\n}\n');
  const loc = await locateOpenclaw(transportWithHome(home), { id: 'n1' });
  assert.equal(loc.installed, true);
  assert.equal(loc.configExists, true);
  assert.equal(loc.configError?.kind, 'invalidConfig');
  assert.match(loc.configError!.message, new RegExp(`${join(home, '.openclaw', 'openclaw.json').replace(/[.]/g, '\\.')}:3:\\d+`));
});

test('a configured binary that does not exist is a clear reason', async () => {
  const home = await tempHome();
  const loc = await locateOpenclaw(transportWithHome(home), { id: 'n1', openclawPath: '/nope/openclaw' });
  assert.equal(loc.installed, false);
  assert.match(loc.reason!, /\/nope\/openclaw.*does not exist/);
});

test('parseLocateOutput keeps the config text after the marker intact', () => {
  const out =
    'home=/h\nbin=/h/b/openclaw\nbin_source=path\nversion_line=OpenClaw 2026.9.6 (eb377ac)\nstate=/h/.openclaw\nstate_source=default\nstate_exists=1\nconfig=/h/.openclaw/openclaw.json\nconfig_source=state\nsupervisor=unmanaged\nconfig_size=20\n__OCM_CONFIG_BEGIN__\n{ a: "x=y\\n" }\nlast=1\n';
  const p = parseLocateOutput(out, { id: 'n' });
  assert.equal(p.configText, '{ a: "x=y\\n" }\nlast=1\n');
  assert.equal(p.version, '2026.9.6');
  assert.equal(p.cliEnv.PATH!.split(':')[0], '/h/b');
});

test('a version cache skips `openclaw --version` while the binary is unchanged, and asks again after an upgrade', async () => {
  const home = await tempHome();
  const bin = join(home, '.local', 'bin', 'openclaw');
  const runs = join(home, 'runs.log');
  const install = async (versionLine: string): Promise<void> => {
    await rm(bin, { force: true }); // a new file (new inode), as npm's upgrade makes
    await mkdir(join(bin, '..'), { recursive: true });
    await writeFile(bin, `#!/bin/sh\necho run >> ${JSON.stringify(runs)}\n[ "$1" = --version ] && echo ${JSON.stringify(versionLine)}\n`);
    await chmod(bin, 0o755);
  };
  const runCount = (): Promise<number> => runsLogged(runs);
  await install('OpenClaw 2026.7.1 (2d2ddc4)');
  const cache = new DiscoveryCache();
  const transport = transportWithHome(home);

  const first = await locateOpenclaw(transport, { id: 'n1' }, { discoveryCache: cache });
  assert.equal(first.version, '2026.7.1');
  assert.equal(first.versionCached, undefined);
  assert.equal(await runCount(), 1);
  assert.equal(cache.getVersion('n1')?.bin, bin);

  const second = await locateOpenclaw(transport, { id: 'n1' }, { discoveryCache: cache });
  assert.equal(second.version, '2026.7.1');
  assert.equal(second.commit, '2d2ddc4');
  assert.equal(second.versionCached, true);
  assert.equal(await runCount(), 1, 'the binary was not started again');

  await install('OpenClaw 2026.9.6 (eb377ac)');
  const upgraded = await locateOpenclaw(transport, { id: 'n1' }, { discoveryCache: cache });
  assert.equal(upgraded.version, '2026.9.6');
  assert.equal(upgraded.versionCached, undefined);
  assert.equal(await runCount(), 2);

  // Without a cache (what restore, migrate and restart do) the binary always runs.
  await locateOpenclaw(transport, { id: 'n1' });
  assert.equal(await runCount(), 3);

  // A binary that stops printing a version is not cached: asked every time, reported each time.
  await install('Error: Node.js 18 is too old');
  const broken = await locateOpenclaw(transport, { id: 'n1' }, { discoveryCache: cache });
  assert.equal(broken.installed, false);
  assert.equal(cache.getVersion('n1'), undefined);
  await locateOpenclaw(transport, { id: 'n1' }, { discoveryCache: cache });
  assert.equal(await runCount(), 5);
});

test('the login shell runs once while its startup files are unchanged; a changed ~/.profile or a failed shell is asked again', async () => {
  const home = await tempHome();
  const runs = join(home, 'logins.log');
  const bin = join(home, 'nvm', 'bin', 'openclaw');
  await fakeOpenclaw(bin);
  // /bin/sh -l reads ~/.profile: it logs each run and puts the binary's folder on PATH.
  const profile = (extra = ''): string => `echo run >> ${JSON.stringify(runs)}\nPATH="${join(home, 'nvm', 'bin')}:$PATH"; export PATH\n${extra}`;
  await writeFile(join(home, '.profile'), profile());
  const loginRuns = (): Promise<number> => runsLogged(runs);
  const cache = new DiscoveryCache();
  const transport = transportWithHome(home);

  const first = await locateOpenclaw(transport, { id: 'n1' }, { discoveryCache: cache });
  assert.equal(first.binSource, 'login-shell');
  assert.equal(first.loginCached, undefined);
  assert.equal(await loginRuns(), 1);
  assert.equal(cache.getLogin('n1')?.bin, bin);
  assert.match(cache.getLogin('n1')!.stamp, /\.profile /);

  const second = await locateOpenclaw(transport, { id: 'n1' }, { discoveryCache: cache });
  assert.equal(second.loginCached, true);
  assert.equal(await loginRuns(), 1, 'no login shell the second time');
  assert.equal(second.bin, bin);
  assert.equal(second.binSource, 'login-shell');
  assert.equal(second.loginPath, first.loginPath);
  assert.deepEqual(second.cliEnv, first.cliEnv);

  // The operator moves the state dir in ~/.profile: the stamp changes, the shell is asked again.
  await writeFile(join(home, '.profile'), profile(`OPENCLAW_STATE_DIR="${join(home, 'st')}"; export OPENCLAW_STATE_DIR\n`));
  const moved = await locateOpenclaw(transport, { id: 'n1' }, { discoveryCache: cache });
  assert.equal(moved.loginCached, undefined);
  assert.equal(await loginRuns(), 2);
  assert.equal(moved.stateDir, join(home, 'st'));
  assert.equal(moved.stateDirSource, 'login-env');
  const movedAgain = await locateOpenclaw(transport, { id: 'n1' }, { discoveryCache: cache });
  assert.equal(movedAgain.loginCached, true);
  assert.equal(movedAgain.stateDir, join(home, 'st'), 'OPENCLAW_* come back from the cache');
  assert.equal(await loginRuns(), 2);

  // A new startup file (here ~/.bash_profile) changes the stamp too.
  await writeFile(join(home, '.bash_profile'), '# new\n');
  assert.equal((await locateOpenclaw(transport, { id: 'n1' }, { discoveryCache: cache })).loginCached, undefined);

  // A login shell that fails is not kept: asked every time.
  await writeFile(join(home, '.profile'), profile('exit 3\n'));
  await locateOpenclaw(transport, { id: 'n1' }, { discoveryCache: cache });
  assert.equal(cache.getLogin('n1'), undefined);
  const before = await loginRuns();
  await locateOpenclaw(transport, { id: 'n1' }, { discoveryCache: cache });
  assert.equal(await loginRuns(), before + 1);

  // Without a cache (restore, migrate, restart) the login shell always runs.
  await writeFile(join(home, '.profile'), profile());
  const n = await loginRuns();
  await locateOpenclaw(transport, { id: 'n1' });
  await locateOpenclaw(transport, { id: 'n1' });
  assert.equal(await loginRuns(), n + 2);
});

test('discovery cache entries expire after their TTL and can be forgotten per node', () => {
  let now = 1000;
  const cache = new DiscoveryCache(60_000, () => now);
  cache.setVersion('a', { bin: '/b', stamp: 's', versionLine: 'OpenClaw 2026.9.6' });
  cache.setVersion('b', { bin: '/b', stamp: 's', versionLine: 'OpenClaw 2026.9.6' });
  cache.setLogin('a', { stamp: 'l', vars: { PATH: '/bin' } });
  cache.setLogin('b', { stamp: 'l', vars: { PATH: '/bin' } });
  now += 59_000;
  assert.equal(cache.getVersion('a')?.versionLine, 'OpenClaw 2026.9.6');
  assert.equal(cache.getLogin('a')?.vars.PATH, '/bin');
  cache.forget('b');
  assert.equal(cache.getVersion('b'), undefined);
  assert.equal(cache.getLogin('b'), undefined);
  // A snapshot keeps when each entry was learnt: restored elsewhere, it expires at the same time.
  const copy = new DiscoveryCache(60_000, () => now);
  copy.restore(cache.snapshot());
  assert.equal(copy.getLogin('a')?.stamp, 'l');
  now += 2_000;
  assert.equal(cache.getVersion('a'), undefined);
  assert.equal(cache.getLogin('a'), undefined);
  assert.equal(copy.getLogin('a'), undefined);
  assert.deepEqual(copy.snapshot(), { versions: {}, logins: {} });
});

test('OPENCLAW_SYSTEMD_UNIT and OPENCLAW_LAUNCHD_LABEL name the service, as OpenClaw reads them', async () => {
  const home = await tempHome();
  await fakeOpenclaw(join(home, '.local', 'bin', 'openclaw'));
  await mkdir(join(home, '.config', 'systemd', 'user'), { recursive: true });
  await writeFile(join(home, '.config', 'systemd', 'user', 'claw-prod.service'), '[Service]\n');
  const systemd = await locateOpenclaw(transportWithHome(home, { OPENCLAW_SYSTEMD_UNIT: 'claw-prod.service' }), { id: 'n1' });
  assert.equal(systemd.supervisor, 'systemd');
  assert.equal(systemd.supervisorUnit, join(home, '.config', 'systemd', 'user', 'claw-prod.service'));
  // From the login shell too, and without the .service suffix.
  await writeFile(join(home, '.profile'), 'OPENCLAW_SYSTEMD_UNIT=claw-prod; export OPENCLAW_SYSTEMD_UNIT\n');
  const fromLogin = await locateOpenclaw(transportWithHome(home), { id: 'n1' });
  assert.equal(fromLogin.supervisorUnit, join(home, '.config', 'systemd', 'user', 'claw-prod.service'));
  // The environment wins over the login shell; a name OpenClaw would reject is ignored and the
  // default unit name (absent here) is looked for instead.
  const rejected = await locateOpenclaw(transportWithHome(home, { OPENCLAW_SYSTEMD_UNIT: '../evil' }), { id: 'n1' });
  assert.equal(rejected.supervisor, 'unmanaged');
  await rm(join(home, '.profile'));

  await mkdir(join(home, 'Library', 'LaunchAgents'), { recursive: true });
  await writeFile(join(home, 'Library', 'LaunchAgents', 'com.example.claw.plist'), '<plist/>');
  const launchd = await locateOpenclaw(transportWithHome(home, { OPENCLAW_LAUNCHD_LABEL: 'com.example.claw' }), { id: 'n1' });
  assert.equal(launchd.supervisor, 'launchd');
  assert.equal(launchd.supervisorUnit, join(home, 'Library', 'LaunchAgents', 'com.example.claw.plist'));
});
