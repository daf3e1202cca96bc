import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { utils } from 'ssh2';
import { sha256Fingerprint } from '../../../src/core/ssh/fingerprint';
import type { NodeStatus } from '../../../src/core/status';
import { runCli } from '../../support/cli';
import { freeze, runAsNodeUser, startSshNodes, stopListener, thaw, type SshNode, type SshNodeSet } from '../../support/sshd';

/**
 * `ocm status` end to end against real OpenSSH nodes (B's harness): the CLI resolves each registry
 * entry (C's host-key policies), connects through the ssh2 pool and runs the one-exec check.
 */

interface StatusJson {
  ok: boolean;
  summary: { nodes: number; reachable: number; unreachable: number; withAnomalies: number };
  nodes: NodeStatus[];
}

function entry(node: SshNode, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: node.id, host: node.host, port: node.port, user: node.user, identityFile: node.clientKeyPath, status: 'active', labels: [], ...extra };
}

/** A user home with ~/.ssh/known_hosts and an ocm home holding `nodes`. */
function userWith(set: SshNodeSet, knownHosts: string, nodes: Array<Record<string, unknown>>): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(set.dir, 'status-user-'));
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  writeFileSync(join(home, '.ssh', 'known_hosts'), knownHosts);
  const ocmHome = join(home, 'ocm');
  mkdirSync(ocmHome, { mode: 0o700 });
  writeFileSync(join(ocmHome, 'nodes.json'), JSON.stringify({ version: 1, nodes }, null, 2));
  return { HOME: home, OCM_HOME: ocmHome, PATH: process.env.PATH, NO_COLOR: '1' };
}

describe('ocm status over real sshd', { timeout: 120_000 }, () => {
  let set: SshNodeSet;
  let knownHosts: string;
  before(async () => {
    set = await startSshNodes(4, { idPrefix: 'st' });
    knownHosts = set.nodes.map((n) => `${n.knownHostsLine}\n`).join('');
  });
  after(async () => {
    if (set) for (const n of set.nodes) thaw(n);
    await set?.stop();
  });

  it('a reachable node without OpenClaw: reachable, "not installed" (not an error), host facts filled; table and exit 0', async () => {
    const node = set.nodes[0]!;
    const env = userWith(set, knownHosts, [entry(node)]);
    const run = await runCli(['status', node.id, '--json'], env);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const out = run.json<StatusJson>();
    const s = out.nodes[0]!;
    assert.equal(s.reachable, true, JSON.stringify(s.error));
    assert.equal(s.error, undefined);
    assert.equal(s.openclaw?.installed, false);
    assert.equal(s.openclaw?.stateDir, `${node.home}/.openclaw`);
    assert.ok((s.hostFacts?.memTotalBytes ?? 0) > 0);
    assert.ok((s.hostFacts?.disk?.totalBytes ?? 0) > 0);
    assert.equal(typeof s.hostFacts?.load1, 'number');
    assert.deepEqual(
      s.anomalies.map((a) => a.kind).filter((k) => k !== 'diskAlmostFull'),
      ['notInstalled'],
    );
    assert.deepEqual(out.summary, { nodes: 1, reachable: 1, unreachable: 0, withAnomalies: 1 });

    const table = await runCli(['status', node.id], env);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^NODE\s+REACHABLE\s+VERSION\s+GATEWAY\s+UPTIME\s+AGENTS\s+LOAD\s+MEM\s+DISK\s+BACKUP\s+NOTES$/m);
    assert.match(table.stdout, new RegExp(`^${node.id}\\s+yes\\s+not installed\\s+-`, 'm'));
    assert.doesNotMatch(table.stdout, /\x1b\[/, 'no colour with NO_COLOR / without a TTY');
  });

  it('the login shell is asked once: its answer is kept in the ocm home (owner-only) until ~/.profile changes', async () => {
    const node = set.nodes[0]!;
    const env = userWith(set, knownHosts, [entry(node)]);
    const cacheFile = join(env.OCM_HOME!, 'cache', 'discovery.json');
    const first = await runCli(['status', node.id, '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(statSync(cacheFile).mode & 0o777, 0o600);
    const kept = JSON.parse(readFileSync(cacheFile, 'utf8')) as {
      logins: Record<string, { target: string; value: { stamp: string; vars: Record<string, string> } }>;
    };
    const login = kept.logins[node.id]!;
    assert.equal(login.target, `${node.user}@${node.host}:${node.port}`);
    assert.match(login.value.stamp, /\.profile /, 'the stamp covers ~/.profile');
    assert.ok(login.value.vars.PATH, 'the login PATH is kept (and nothing else of the environment)');
    assert.deepEqual(
      Object.keys(login.value.vars).filter((k) => k !== 'PATH' && !k.startsWith('OPENCLAW_')),
      [],
    );
    const again = await runCli(['status', node.id, '--json'], env);
    assert.equal(again.json<StatusJson>().nodes[0]!.openclaw?.stateDir, `${node.home}/.openclaw`);

    // An operator sets OPENCLAW_STATE_DIR in ~/.profile: the next status sees it (the stamp changed).
    const profile = (await runAsNodeUser(node, 'cat ~/.profile', { check: false })).stdout;
    try {
      await runAsNodeUser(node, `printf '%s\\n' 'export OPENCLAW_STATE_DIR="$HOME/moved-state"' >> ~/.profile`);
      const moved = await runCli(['status', node.id, '--json'], env);
      const s = moved.json<StatusJson>().nodes[0]!;
      assert.equal(s.openclaw?.stateDir, `${node.home}/moved-state`);
    } finally {
      await runAsNodeUser(node, 'cat > ~/.profile', { stdin: profile });
    }
    const back = await runCli(['status', node.id, '--json'], env);
    assert.equal(back.json<StatusJson>().nodes[0]!.openclaw?.stateDir, `${node.home}/.openclaw`);
  });

  it('host key problems and auth failures are reported per node, with both fingerprints for a changed key', async () => {
    const [good, changed, unknown] = [set.nodes[0]!, set.nodes[1]!, set.nodes[2]!];
    const stale = utils.generateKeyPairSync('ed25519').public;
    const staleFingerprint = sha256Fingerprint(Buffer.from(stale.split(' ')[1]!, 'base64'));
    const wrongLine = `[${changed.host}]:${changed.port} ${stale.split(' ').slice(0, 2).join(' ')}\n`;
    const env = userWith(set, `${good.knownHostsLine}\n${wrongLine}`, [
      entry(good),
      entry(changed),
      entry(unknown),
      // right host key, but a key the node does not authorize
      { ...entry(good, { identityFile: changed.clientKeyPath }), id: 'wrongkey' },
    ]);
    const run = await runCli(['status', '--json'], env);
    assert.equal(run.code, 1, 'nodes that cannot be reached fail the command (the report is printed all the same)');
    const byId = new Map(run.json<StatusJson>().nodes.map((s) => [s.nodeId, s]));
    assert.equal(byId.get(good.id)?.reachable, true);
    const hk = byId.get(changed.id)!;
    assert.equal(hk.reachable, false);
    assert.equal(hk.error?.kind, 'hostKeyChanged');
    assert.ok(hk.error?.message.includes(staleFingerprint), hk.error?.message);
    assert.ok(hk.error?.message.includes(changed.hostKeyFingerprint), hk.error?.message);
    assert.equal(byId.get(unknown.id)?.error?.kind, 'hostKeyUnknown');
    assert.equal(byId.get('wrongkey')?.error?.kind, 'auth');
    assert.deepEqual(
      run.json<StatusJson>().nodes.map((s) => s.nodeId),
      [good.id, changed.id, unknown.id, 'wrongkey'],
      'registry order',
    );

    const table = await runCli(['status'], env);
    assert.match(table.stdout, new RegExp(`^${changed.id}\\s+HOST KEY CHANGED`, 'm'));
    assert.match(table.stdout, /^wrongkey\s+auth failed/m);

    // --accept-new trusts the unknown node (only that one)
    const accepted = await runCli(['status', unknown.id, '--accept-new', '--json'], env);
    assert.equal(accepted.json<StatusJson>().nodes[0]!.reachable, true, accepted.stdout);
  });

  it('--accept-new over several new hosts at once keeps the pin of every one of them', async () => {
    // Nothing in known_hosts: all four are new, and status connects to them concurrently.
    const env = userWith(
      set,
      '',
      set.nodes.map((n) => entry(n)),
    );
    const run = await runCli(['status', '--accept-new', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      run.json<StatusJson>().nodes.map((s) => [s.nodeId, s.reachable]),
      set.nodes.map((n) => [n.id, true]),
    );
    const pinned = JSON.parse(readFileSync(join(env.OCM_HOME!, 'trusted-host-keys.json'), 'utf8')) as {
      hosts: Array<{ hostKeyName: string; fingerprint: string }>;
    };
    assert.deepEqual(
      pinned.hosts.map((h) => [h.hostKeyName, h.fingerprint]).sort(),
      set.nodes.map((n) => [`[${n.host}]:${n.port}`, n.hostKeyFingerprint]).sort(),
    );
    // and without --accept-new they are now trusted
    const again = await runCli(['status', '--json'], env);
    assert.ok(
      again.json<StatusJson>().nodes.every((s) => s.reachable),
      again.stdout,
    );
  });

  it('usage errors exit 2', async () => {
    const env = userWith(set, knownHosts, [entry(set.nodes[0]!)]);
    assert.equal((await runCli(['status', '--threshold', '150'], env)).code, 2);
    assert.equal((await runCli(['status', set.nodes[0]!.id, '--all'], env)).code, 2);
    assert.equal((await runCli(['status', 'nosuchnode'], env)).code, 1);
  });

  it('a stopped listener is unreachable within seconds; a frozen node is cut at --timeout without delaying the others', async () => {
    const [live, stopped, frozen] = [set.nodes[0]!, set.nodes[1]!, set.nodes[3]!];
    await stopListener(stopped);
    freeze(frozen);
    try {
      const env = userWith(set, knownHosts, [entry(frozen), entry(stopped), entry(live)]);
      const started = Date.now();
      const run = await runCli(['status', '--json', '--timeout', '3'], env);
      const elapsed = Date.now() - started;
      assert.equal(run.code, 1, 'unreachable nodes fail the command');
      const [f, s, l] = run.json<StatusJson>().nodes;
      assert.equal(l!.reachable, true, JSON.stringify(l!.error));
      assert.equal(s!.reachable, false);
      assert.equal(s!.error?.kind, 'unreachable', JSON.stringify(s!.error));
      assert.ok(s!.durationMs < 3000, `stopped node took ${s!.durationMs} ms`);
      assert.equal(f!.reachable, false);
      assert.equal(f!.error?.kind, 'timeout', JSON.stringify(f!.error));
      assert.ok(l!.durationMs < 3000 + 2000, `the live node waited ${l!.durationMs} ms`);
      // Bounded by the budget (3 s) + grace + pool close, not by ssh2's 20 s handshake limit.
      assert.ok(elapsed < 12_000, `status took ${elapsed} ms`);
      // --no-fail: the old behaviour (exit 0 whenever the check ran), the same report.
      const noFail = await runCli(['status', stopped.id, live.id, '--json', '--no-fail'], env);
      assert.equal(noFail.code, 0, noFail.stderr);
      const { nodes, reachable, unreachable } = noFail.json<StatusJson>().summary;
      assert.deepEqual({ nodes, reachable, unreachable }, { nodes: 2, reachable: 1, unreachable: 1 });
      // Only the node asked about counts: the live one alone passes, the stopped one alone fails (table too).
      assert.equal((await runCli(['status', live.id], env)).code, 0);
      const table = await runCli(['status', stopped.id], env);
      assert.equal(table.code, 1);
      assert.match(table.stdout, new RegExp(`^${stopped.id}\\s+unreachable`, 'm'));
    } finally {
      thaw(frozen);
    }
  });
});
