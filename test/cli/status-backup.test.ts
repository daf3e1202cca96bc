import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dashboardData, type NodeStatus } from '../../src/core/status';
import { runCli, tempOcmHome } from '../support/cli';

/**
 * `ocm status` shows each node's last backup from the local repository (`lastBackup` in --json, the
 * BACKUP column in the table), and the dashboard's view-model made from that JSON has the same
 * facts. The node is this machine (host "local") with a small OpenClaw-like state dir.
 */
describe('ocm status: last backup', { timeout: 120_000 }, () => {
  let home: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    home = await tempOcmHome();
    const stateDir = join(home, 'node', '.openclaw');
    const workspace = join(stateDir, 'workspace');
    mkdirSync(workspace, { recursive: true });
    writeFileSync(join(workspace, 'MEMORY.md'), '# Memory\n');
    writeFileSync(join(stateDir, 'openclaw.json'), JSON.stringify({ agents: { list: [{ id: 'main', default: true, workspace }] }, gateway: { port: 9 } }));
    writeFileSync(join(home, 'nodes.json'), JSON.stringify({ version: 1, nodes: [{ id: 'here', host: 'local', stateDir }] }));
    env = { ...process.env, OCM_HOME: home, OCM_KEEP_CONNECTIONS: '0', OCM_LANG: 'en', OCM_BACKUP_DIR: '' };
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('no backup yet: no lastBackup, "-" in the BACKUP column, and no backup folder is created', async () => {
    const run = await runCli(['status', '--json', '--no-fail'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.json<{ nodes: NodeStatus[] }>().nodes[0]!.lastBackup, undefined);
    const table = await runCli(['status', '--no-fail'], env);
    assert.match(table.stdout, /^NODE\s+.*\sBACKUP\s+NOTES$/m);
    assert.match(table.stdout, /^here\s+yes\s.*\s-\s+\S.*$/m);
    assert.equal(existsSync(join(home, 'backups')), false, 'status created no backup folder');
  });

  it('after ocm backup: lastBackup (id, createdAt, ageMs) in --json and its age in the table; the dashboard card says the same', async () => {
    const backup = await runCli(['backup', 'here', '--json'], env);
    assert.equal(backup.code, 0, backup.stderr + backup.stdout);
    const run = await runCli(['status', '--json', '--no-fail'], env);
    const json = run.json<{ summary: unknown; nodes: NodeStatus[] }>();
    const last = json.nodes[0]!.lastBackup;
    assert.ok(last, JSON.stringify(json.nodes[0]));
    assert.match(last.id, /\S/);
    assert.ok(last.ageMs >= 0 && last.ageMs < 120_000, `ageMs ${last.ageMs}`);
    assert.ok(Date.parse(last.createdAt) <= Date.now());
    assert.match(backup.stdout, new RegExp(last.id), 'the id ocm backup printed');
    const table = await runCli(['status', '--no-fail'], env);
    assert.match(table.stdout, /^here\s+yes\s.*\s\d+s\s+\S.*$/m, table.stdout);
    const [card] = dashboardData({ nodes: [{ id: 'here', host: 'local' }], statuses: json.nodes, now: Date.now(), thresholdPct: 80 }).cards;
    assert.equal(card!.lastBackup?.id, last.id);
    assert.equal(card!.lastBackup?.stale, false);
  });
});
