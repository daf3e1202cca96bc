import { strict as assert } from 'node:assert';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Hex } from '../../src/core/history/store';
import { runCli, tempOcmHome } from '../support/cli';
import { atlas, juniper, nova } from '../core/guard/corpus-agents';

/**
 * The mix-up guard on the paths that put old bytes back: `ocm history restore` of a version that
 * held another agent's memory (a pasted-in copy saved once with --force, then cleaned up) and
 * `ocm undelete` of such a file, and `ocm mv` of one agent's MEMORY.md into another's place, are
 * refused, naming the agent, unless --force; restoring or moving the agent's own memory passes. A local node (`host: local`, the LocalTransport twin of SSH).
 */
describe('history restore and undelete through the mix-up guard (local node)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let memory: string;
  let novaMemory: string;
  const pasted = atlas.files['MEMORY.md'] + '\n' + nova.files['MEMORY.md'];
  const clean = atlas.files['MEMORY.md'] + '- 2026-11-30: rotated the pager schedule, Ines is primary this week.\n';

  const put = async (content: string, extra: string[]) => {
    const local = join(home, `put-${Math.random()}.md`);
    await writeFile(local, content);
    return runCli(['put', 'box', memory, local, '--json', ...extra], env);
  };

  before(async () => {
    home = await tempOcmHome();
    env = { OCM_HOME: home, OCM_LANG: 'en' };
    const state = join(home, 'node', '.openclaw');
    const wsOps = join(state, 'workspace-ops');
    const wsResearch = join(state, 'workspace-research');
    await mkdir(wsOps, { recursive: true });
    await mkdir(wsResearch, { recursive: true });
    await writeFile(
      join(state, 'openclaw.json'),
      JSON.stringify({ agents: { entries: { ops: { name: 'Atlas', workspace: wsOps }, research: { name: 'Nova', workspace: wsResearch } } } }),
    );
    for (const [name, text] of Object.entries(atlas.files)) await writeFile(join(wsOps, name), text);
    for (const [name, text] of Object.entries(nova.files)) await writeFile(join(wsResearch, name), text);
    memory = join(wsOps, 'MEMORY.md');
    novaMemory = join(wsResearch, 'MEMORY.md');
    assert.equal((await runCli(['add', 'box', 'local', '--state-dir', state], env)).code, 0);
    assert.equal((await runCli(['guard', 'refresh'], env)).code, 0);
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it("history restore of a version that held research's memory is refused, naming research; --force restores it", async () => {
    const forced = await put(pasted, ['--force']); // someone pasted it in on purpose once…
    assert.equal(forced.code, 0, forced.stderr);
    const pastedId = forced.json().savedId as string;
    const ownId = forced.json().backupId as string; // …the pre-edit copy: ops's own memory
    assert.equal((await put(clean, ['--expect-sha256', sha256Hex(Buffer.from(pasted))])).code, 0, '…and cleaned it up');
    assert.equal((await runCli(['guard', 'refresh'], env)).code, 0);

    for (const args of [['--yes'], ['--dry-run']]) {
      const r = await runCli(['history', 'restore', pastedId, ...args], env);
      assert.equal(r.code, 1, args.join(' ') + r.stdout + r.stderr);
      assert.match(r.stderr, /MEMORY\.md of agent ops on box was NOT saved: the new text looks like another agent's memory\./);
      assert.match(r.stderr, /\d+ phrases match MEMORY\.md of agent research \(Nova\) on node box/);
      assert.match(r.stderr, /--force/);
      assert.equal(await readFile(memory, 'utf8'), clean, 'nothing restored');
    }
    const j = await runCli(['history', 'restore', pastedId, '--yes', '--json'], env);
    assert.equal(j.json().error.details.findings[0].other.agentId, 'research');
    const ja = await runCli(['history', 'restore', pastedId, '--yes'], { ...env, OCM_LANG: 'ja' });
    assert.match(ja.stderr, /保存されていません/);

    const own = await runCli(['history', 'restore', ownId, '--yes'], env);
    assert.equal(own.code, 0, own.stderr);
    assert.equal(await readFile(memory, 'utf8'), atlas.files['MEMORY.md'], "ops's own older memory passes the guard");

    const anyway = await runCli(['history', 'restore', pastedId, '--yes', '--force'], env);
    assert.equal(anyway.code, 0, anyway.stderr);
    assert.equal(await readFile(memory, 'utf8'), pasted);
    assert.equal((await runCli(['history', 'restore', ownId, '--yes'], env)).code, 0);
  });

  it("undelete of research's own MEMORY.md passes; of a pasted-in copy is refused unless --force", async () => {
    const bytes = await readFile(novaMemory);
    assert.equal((await runCli(['rm', 'box', novaMemory, '--yes'], env)).code, 0);
    const own = await runCli(['undelete', 'box', novaMemory], env);
    assert.equal(own.code, 0, own.stderr);
    assert.deepEqual(await readFile(novaMemory), bytes, 'byte for byte');

    assert.equal(await readFile(memory, 'utf8'), atlas.files['MEMORY.md']);
    assert.equal((await put(pasted, ['--force'])).code, 0);
    assert.equal((await runCli(['rm', 'box', memory, '--yes'], env)).code, 0);
    const refused = await runCli(['undelete', 'box', memory], env);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /\d+ phrases match MEMORY\.md of agent research \(Nova\) on node box/);
    await assert.rejects(stat(memory), 'nothing restored');
    const anyway = await runCli(['undelete', 'box', memory, '--force'], env);
    assert.equal(anyway.code, 0, anyway.stderr);
    assert.equal(await readFile(memory, 'utf8'), pasted);
  });

  it("ocm mv of research's MEMORY.md into ops's place is refused unless --force; moves within research pass", async () => {
    assert.equal((await runCli(['rm', 'box', memory, '--yes'], env)).code, 0);
    const refused = await runCli(['mv', 'box', novaMemory, memory, '--yes'], env);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /MEMORY\.md of agent ops on box was NOT saved.*\n.*\d+ phrases match MEMORY\.md of agent research \(Nova\) on node box/);
    await assert.rejects(stat(memory), 'nothing moved');
    assert.equal(await readFile(novaMemory, 'utf8'), nova.files['MEMORY.md']);
    const aside = join(novaMemory, '..', 'memory-old.md');
    assert.equal((await runCli(['mv', 'box', novaMemory, aside, '--yes'], env)).code, 0);
    const back = await runCli(['mv', 'box', aside, novaMemory, '--yes'], env);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(await readFile(novaMemory, 'utf8'), nova.files['MEMORY.md']);
  });

  it("ocm restore of a backup that holds research's text in ops's MEMORY.md is refused and rolled back; --force restores it; the agent's own backup passes", async () => {
    assert.equal((await put(pasted, ['--force'])).code, 0);
    const backup = await runCli(['backup', 'box', '--engine', 'ocm', '--json'], env);
    assert.equal(backup.code, 0, backup.stderr);
    const pastedBackup = `box/${backup.json().results[0].backup.id as string}`;
    assert.equal((await put(clean, ['--force'])).code, 0, '…cleaned up afterwards');
    const ownBackup = await runCli(['backup', 'box', '--engine', 'ocm', '--json'], env);
    const ownRef = `box/${ownBackup.json().results[0].backup.id as string}`;
    assert.equal((await runCli(['guard', 'refresh'], env)).code, 0);
    assert.equal((await put(atlas.files['MEMORY.md'], ['--force'])).code, 0);

    const refused = await runCli(['restore', pastedBackup, '--agent', 'ops', '--file', 'MEMORY.md', '--yes'], env);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /looks like another agent's memory/);
    assert.match(refused.stdout, /rolled back/);
    assert.match(refused.stderr, /--force/);
    assert.equal(await readFile(memory, 'utf8'), atlas.files['MEMORY.md'], 'nothing restored');
    const json = await runCli(['restore', pastedBackup, '--agent', 'ops', '--file', 'MEMORY.md', '--yes', '--json'], env);
    assert.equal(json.json().result.error.mixup, true);
    const ja = await runCli(['restore', pastedBackup, '--agent', 'ops', '--file', 'MEMORY.md', '--yes'], { ...env, OCM_LANG: 'ja' });
    assert.match(ja.stderr, /--force を付けてください/);

    const own = await runCli(['restore', ownRef, '--agent', 'ops', '--file', 'MEMORY.md', '--yes'], env);
    assert.equal(own.code, 0, own.stdout + own.stderr);
    assert.equal(await readFile(memory, 'utf8'), clean, "ops's own backup passes the guard");
    const anyway = await runCli(['restore', pastedBackup, '--agent', 'ops', '--file', 'MEMORY.md', '--yes', '--force'], env);
    assert.equal(anyway.code, 0, anyway.stdout + anyway.stderr);
    assert.equal(await readFile(memory, 'utf8'), pasted);
  });

  it("text just saved into ops with ocm put is ops's own at once: put into research's MEMORY.md it is refused, naming ops", async () => {
    const incident = juniper.files['MEMORY.md'].split('\n').slice(2).join('\n');
    const current = atlas.files['MEMORY.md'];
    assert.equal((await put(current, ['--force'])).code, 0, 'ops has its own memory again (the test above removed it)');
    const saved = await put(current + '\n## Incident notes\n' + incident, ['--expect-sha256', sha256Hex(Buffer.from(current))]);
    assert.equal(saved.code, 0, saved.stderr);
    const local = join(home, 'research-paste.md');
    await writeFile(local, nova.files['MEMORY.md'] + '\n## Incident notes\n' + incident);
    const refused = await runCli(['put', 'box', novaMemory, local, '--expect-sha256', sha256Hex(await readFile(novaMemory))], env);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /\d+ phrases match MEMORY\.md of agent ops \(Atlas\) on node box/);
    assert.equal(await readFile(novaMemory, 'utf8'), nova.files['MEMORY.md'], 'nothing saved');
  });
});
