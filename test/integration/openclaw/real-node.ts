/**
 * Shared body of the real-OpenClaw integration tests (one file per OpenClaw version, so each
 * creates its node once): a node made by `openclaw onboard` + `agents add` in the home of an
 * sshd harness user, with the binary reachable as ~/.local/bin/openclaw (a wrapper that runs it
 * with Node 24, like a user's own install). Seen through the LocalTransport (as root, with that
 * HOME and a bare PATH) and through the real SSH transport as the node's user.
 *
 * Over SSH the user cannot run the OpenClaw install (it lives in root's tools cache, /root is
 * 0700), so there the node is "found, but not runnable" and the fast config answer is checked.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { AgentsCliCache, confirmAgentsWithCli, listAgentFiles, listConfigFiles, listNodeAgents, locateOpenclaw } from '../../../src/core/openclaw';
import { shellQuote } from '../../../src/core/transport/shell-quote';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import type { Transport } from '../../../src/core/transport/types';
import { runCli, tempOcmHome } from '../../support/cli';
import { createOpenclawNode, type OpenclawTestNode } from '../../support/openclaw';
import { SshPool } from '../../../src/core/ssh/pool';
import { startSshNodes, targetFor, type SshNodeSet } from '../../support/sshd';
import { mkdirSync, writeFileSync } from 'node:fs';

export function transportAs(home: string): Transport {
  const local = new LocalTransport({ nodeId: 'real' });
  const exec = local.exec.bind(local);
  local.exec = (cmd, opts = {}) => exec(cmd, { ...opts, env: { HOME: home, PATH: '/usr/bin:/bin', SHELL: '/bin/sh', ...(opts.env ?? {}) } });
  return local;
}

function comparable(a: object): Record<string, unknown> {
  const r = a as Record<string, unknown>;
  return { id: r.id, workspace: r.workspace, agentDir: r.agentDir, isDefault: r.isDefault, ...(r.name ? { name: r.name } : {}) };
}

export function realNodeTests(version: string): void {
  let root: string;
  let node: OpenclawTestNode;
  let transport: Transport;
  let expected: Array<Record<string, unknown>>;
  let wrapper: string;
  let set: SshNodeSet;
  const pool = new SshPool();

  before(async () => {
    root = await mkdtemp(join(tmpdir(), `ocm-real-${version}-`));
    set = await startSshNodes(1, { idPrefix: `oc${version.replace(/\D/g, '')}-` });
    const home = set.nodes[0]!.home;
    node = await createOpenclawNode({
      version,
      home,
      owner: set.nodes[0]!.user,
      agents: [{ id: 'work' }, { id: 'research', workspace: join(home, 'projects', 'research') }],
    });
    wrapper = join(home, '.local', 'bin', 'openclaw');
    await mkdir(join(home, '.local', 'bin'), { recursive: true });
    const offline = Object.entries(node.install.env)
      .filter(([k]) => k.startsWith('OPENCLAW_'))
      .map(([k, v]) => `${k}=${shellQuote(v)}`)
      .join(' ');
    await writeFile(wrapper, `#!/bin/sh\nexport ${offline}\nexec ${shellQuote(node.install.nodeBin)} ${shellQuote(node.install.bin)} "$@"\n`);
    await chmod(wrapper, 0o755);
    await node.fixOwnership();
    transport = transportAs(home);
    expected = await node.agentsList();
  });
  after(async () => {
    await node?.stopGateway();
    await pool.close();
    await set?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  test(`${version}: locateOpenclaw finds binary, version, state dir, config and port in one round trip`, async () => {
    const loc = await locateOpenclaw(transport, { id: 'real' });
    assert.equal(loc.installed, true, loc.reason);
    assert.equal(loc.version, version);
    // Debian's skeleton ~/.profile puts ~/.local/bin on the login PATH; without it the common-path scan finds it.
    assert.ok(loc.binSource === 'login-shell' || loc.binSource === 'common-path', loc.binSource);
    assert.equal(loc.bin, wrapper);
    assert.equal(loc.stateDir, node.stateDir);
    assert.equal(loc.configPath, node.configPath);
    assert.ok(loc.config, loc.configError?.message);
    assert.equal(loc.gatewayPort, node.port);
    assert.equal(loc.gatewayPortSource, 'config');
    assert.equal(loc.supervisor, 'unmanaged');
  });

  test(`${version}: agents from the raw config equal 'openclaw agents list --json'`, async () => {
    const r = await listNodeAgents(transport, { id: 'real' });
    assert.equal(r.source, 'config');
    assert.deepEqual(r.agents.map(comparable), expected.map(comparable));
    assert.deepEqual(
      r.agents.map((a) => a.id),
      ['main', 'work', 'research'],
    );
  });

  test(`${version}: confirmAgentsWithCli runs the real CLI over the transport, then serves the cache`, async () => {
    const cache = new AgentsCliCache();
    const loc = await locateOpenclaw(transport, { id: 'real' });
    const first = await confirmAgentsWithCli(transport, loc, { cache });
    assert.equal(first.cached, false);
    assert.deepEqual(first.agents.map(comparable), expected.map(comparable));
    const second = await confirmAgentsWithCli(transport, loc, { cache });
    assert.equal(second.cached, true);
    const confirmed = await listNodeAgents(transport, { id: 'real' }, { confirm: true, cache, location: loc });
    assert.equal(confirmed.source, 'cli');
    assert.equal(confirmed.corrected, undefined);
  });

  test(`${version}: agent files and config files of the real node`, async () => {
    const { agents, location } = await listNodeAgents(transport, { id: 'real' });
    const main = await listAgentFiles(transport, agents[0]!.workspace);
    assert.ok(main.workspaceExists);
    for (const name of ['SOUL.md', 'AGENTS.md', 'IDENTITY.md', 'USER.md'])
      assert.ok(
        main.files.some((f) => f.name === name),
        `${name} in ${main.files.map((f) => f.name)}`,
      );
    const research = await listAgentFiles(transport, agents[2]!.workspace);
    assert.ok(research.files.length > 0);
    const config = await listConfigFiles(transport, location);
    assert.equal(config[0]!.path, node.configPath);
  });

  test(`${version}: a broken openclaw.json is reported with file, line and column`, async () => {
    const good = await readFile(node.configPath, 'utf8');
    try {
      await writeFile(node.configPath, good.replace(/\}\s*$/, ',,}\n'));
      const loc = await locateOpenclaw(transport, { id: 'real' });
      assert.equal(loc.installed, true);
      assert.equal(loc.configError?.kind, 'invalidConfig');
      assert.match(loc.configError!.message, new RegExp(`openclaw\\.json:\\d+:\\d+: `));
      await assert.rejects(listNodeAgents(transport, { id: 'real' }), (e) => isOcmError(e, 'invalidConfig'));
    } finally {
      await writeFile(node.configPath, good);
      await node.fixOwnership();
    }
  });

  test(`${version}: ocm agents <id> --json (registry state dir + openclaw path, confirmed by the CLI) and the text table`, async () => {
    const ocmHome = await tempOcmHome();
    try {
      const env = { ...process.env, OCM_HOME: ocmHome };
      const add = await runCli(['add', 'real', 'local', '--state-dir', node.stateDir, '--openclaw', wrapper], env);
      assert.equal(add.code, 0, add.stderr);
      const r = await runCli(['agents', 'real', '--json', '--files'], env);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const out = r.json();
      assert.equal(out.openclaw.version, version);
      assert.equal(out.source, 'cli');
      assert.deepEqual(out.agents.map(comparable), expected.map(comparable));
      assert.ok(out.agents[0].files.some((f: { name: string }) => f.name === 'SOUL.md'));
      const text = await runCli(['agents', 'real', '--fast'], env);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /ID\s+NAME\s+DEFAULT\s+WORKSPACE/);
      assert.match(text.stdout, new RegExp(`research\\s+research\\s+${join(node.home, 'projects', 'research').replace(/[.]/g, '\\.')}`));
      const missing = await runCli(['add', 'bare', 'local', '--state-dir', join(root, 'nothing-here'), '--openclaw', join(root, 'no-openclaw')], env);
      assert.equal(missing.code, 0);
      const bare = await runCli(['agents', 'bare', '--json'], env);
      assert.equal(bare.code, 1);
      assert.equal(bare.json().error.kind, 'notFound');
      assert.match(bare.json().error.message, /does not exist or is not executable/);
    } finally {
      await rm(ocmHome, { recursive: true, force: true });
    }
  });

  test(`${version}: ocm agents add / remove through the node's openclaw; removal archives the workspace first`, async () => {
    const ocmHome = await tempOcmHome();
    try {
      const env = { ...process.env, OCM_HOME: ocmHome };
      assert.equal((await runCli(['add', 'real', 'local', '--state-dir', node.stateDir, '--openclaw', wrapper], env)).code, 0);
      const bad = await runCli(['agents', 'add', 'real', 'Bad Id', '--json'], env);
      assert.equal(bad.code, 2);
      const added = await runCli(['agents', 'add', 'real', 'helper', '--json'], env);
      assert.equal(added.code, 0, added.stderr + added.stdout);
      const workspace = added.json().agent.workspace as string;
      const listed = await node.agentsList();
      assert.deepEqual(
        listed.map((a) => a.id),
        ['main', 'work', 'research', 'helper'],
      );
      assert.equal(listed[3]!.workspace, workspace);
      const fast = await listNodeAgents(transport, { id: 'real', stateDir: node.stateDir, openclawPath: wrapper });
      assert.deepEqual(fast.agents.map(comparable), listed.map(comparable));
      await writeFile(join(workspace, 'MEMORY.md'), 'helper memory\n');
      const noYes = await runCli(['agents', 'remove', 'real', 'helper'], env);
      assert.equal(noYes.code, 2);
      assert.match(noYes.stderr, /--yes/);
      const removed = await runCli(['agents', 'remove', 'real', 'helper', '--yes', '--json'], env);
      assert.equal(removed.code, 0, removed.stderr + removed.stdout);
      const archive = removed.json().backupPath as string;
      assert.ok(archive.startsWith(join(ocmHome, 'agent-backups')));
      const listing = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' });
      assert.ok(listing.includes(`${workspace.slice(1)}/MEMORY.md`), listing);
      assert.deepEqual(
        (await node.agentsList()).map((a) => a.id),
        ['main', 'work', 'research'],
      );
      const gone = await runCli(['agents', 'remove', 'real', 'helper', '--yes', '--json'], env);
      assert.equal(gone.code, 1);
      assert.equal(gone.json().error.kind, 'notFound');
    } finally {
      // Leave the node as the other tests expect it even when this one failed half-way.
      if ((await node.agentsList()).some((a) => a.id === 'helper')) await node.run(['agents', 'delete', 'helper', '--force', '--json']);
      await node.fixOwnership();
      await rm(ocmHome, { recursive: true, force: true });
    }
  });

  test(`${version}: over SSH as the node's user: same agents from the config, files over SFTP, ocm agents`, async (t) => {
    const ssh = pool.transportFor(targetFor(set.nodes[0]!));
    const cold = Date.now();
    const r = await listNodeAgents(ssh, { id: set.nodes[0]!.id });
    const coldMs = Date.now() - cold;
    assert.equal(r.location.stateDir, node.stateDir);
    assert.equal(r.location.bin, wrapper);
    assert.deepEqual(r.agents.map(comparable), expected.map(comparable));
    const files = await listAgentFiles(ssh, r.agents[1]!.workspace);
    assert.ok(files.files.some((f) => f.name === 'SOUL.md'));
    // Expanding a node again on the warm connection: discovery without the login shell + config.
    const warm = Date.now();
    await listNodeAgents(ssh, { id: set.nodes[0]!.id }, { location: await locateOpenclaw(ssh, { id: set.nodes[0]!.id }, { loginShell: false }) });
    t.diagnostic(`agents over SSH: first ${coldMs} ms (connect + login shell), warm ${Date.now() - warm} ms`);

    const user = mkdtempSync(join(set.dir, 'agents-user-'));
    mkdirSync(join(user, '.ssh'), { mode: 0o700 });
    writeFileSync(join(user, '.ssh', 'known_hosts'), `${set.nodes[0]!.knownHostsLine}\n`);
    const n = set.nodes[0]!;
    writeFileSync(
      join(user, 'nodes.json'),
      JSON.stringify({
        version: 1,
        nodes: [{ id: n.id, host: n.host, port: n.port, user: n.user, identityFile: n.clientKeyPath, status: 'active', labels: [] }],
      }),
    );
    const env = { HOME: user, OCM_HOME: user, PATH: process.env.PATH };
    const cli = await runCli(['agents', n.id, '--json'], env);
    assert.equal(cli.code, 0, cli.stderr + cli.stdout);
    const out = cli.json();
    assert.deepEqual(out.agents.map(comparable), expected.map(comparable));
    // The wrapper is found, but this user cannot run root's install: said, and the config answer is given.
    assert.equal(out.source, 'config');
    assert.equal(out.openclaw.installed, false);
    assert.match(out.openclaw.reason, /did not print a version/);
  });

  test(`${version}: a node without OpenClaw is reported as not installed`, async () => {
    const bare = join(root, 'bare');
    await mkdir(bare);
    const loc = await locateOpenclaw(transportAs(bare), { id: 'bare' });
    assert.equal(loc.installed, false);
    assert.match(loc.reason!, /not found on node bare/);
    const r = await listNodeAgents(transportAs(bare), { id: 'bare' }, { confirm: true });
    assert.deepEqual(r.agents, []);
  });
}
