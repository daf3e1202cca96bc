import { strict as assert } from 'node:assert';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { backupStoreFor } from '../../../src/core/backup/store';
import { isOcmError, OcmError } from '../../../src/core/errors';
import { listHistory, sha256Hex } from '../../../src/core/history/store';
import { buildTimeline, findVersion, restoreTimelineVersion } from '../../../src/core/timeline';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import type { Transport } from '../../../src/core/transport/types';
import { main } from '../../../src/cli/main';
import type { CliContext } from '../../../src/cli/context';
import { runCli, tempOcmHome } from '../../support/cli';
import { atlas, nova } from '../../core/guard/corpus-agents';

/**
 * The memory timeline and the mix-up guard end to end on a local node (`host: local`, the
 * LocalTransport twin of SSH): real snapshots taken by `ocm backup` (sh, find, tar through the
 * repository capture), saves by `ocm put`, and an "agent" writing its own MEMORY.md between them.
 */
describe('timeline and guard on a local node (ocm backup + ocm put + agent writes)', { timeout: 180_000 }, () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let state: string;
  let memory: string;
  let novaMemory: string;
  const v = (n: number) =>
    `${atlas.files['MEMORY.md']}${Array.from({ length: n - 1 }, (_, i) => `- note ${i + 2}: checked the Patroni leader after the kernel update, round ${i + 2}.\n`).join('')}`;

  const put = async (file: string, content: string, extra: string[] = []) => {
    const local = join(home, `put-${Date.now()}-${Math.random()}.md`);
    await writeFile(local, content);
    const now = sha256Hex(await readFile(file));
    return runCli(['put', 'box', file, local, '--expect-sha256', now, '--json', ...extra], env);
  };

  before(async () => {
    home = await tempOcmHome();
    env = { OCM_HOME: home, HOME: process.env.HOME };
    state = join(home, 'node', '.openclaw');
    const wsOps = join(state, 'workspace-ops');
    const wsResearch = join(state, 'workspace-research');
    await mkdir(join(wsOps, 'memory'), { recursive: true });
    await mkdir(wsResearch, { recursive: true });
    await writeFile(
      join(state, 'openclaw.json'),
      JSON.stringify({ agents: { entries: { ops: { name: 'Atlas', workspace: wsOps }, research: { name: 'Nova', workspace: wsResearch } } } }, null, 2),
    );
    memory = join(wsOps, 'MEMORY.md');
    novaMemory = join(wsResearch, 'MEMORY.md');
    for (const [name, text] of Object.entries(atlas.files)) await writeFile(join(wsOps, name), text);
    for (const [name, text] of Object.entries(nova.files)) await writeFile(join(wsResearch, name), text);
    await writeFile(memory, v(1));
    const add = await runCli(['add', 'box', 'local', '--state-dir', state], env);
    assert.equal(add.code, 0, add.stderr);
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('lists every version with its source: backup, CLI saves, a change by the agent between two backups', async () => {
    const b1 = await runCli(['backup', 'box', '--json'], env);
    assert.equal(b1.code, 0, b1.stdout + b1.stderr);
    assert.equal((await put(memory, v(2))).code, 0);
    await writeFile(memory, v(3)); // the agent rewrites its own memory (dreaming, a flush)
    assert.equal((await runCli(['backup', 'box', '--json'], env)).code, 0);
    assert.equal((await put(memory, v(4))).code, 0);
    assert.equal((await runCli(['backup', 'box', '--json'], env)).code, 0);

    const list = await runCli(['timeline', 'box', memory, '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    const versions = list.json().versions as {
      n: number;
      sha256: string;
      origin: string;
      via?: string;
      diff?: { added: number; removed: number };
      sources: { kind: string }[];
    }[];
    assert.deepEqual(
      versions.map((x) => x.n),
      [4, 3, 2, 1],
      'newest first, one entry per content',
    );
    assert.deepEqual(
      versions.map((x) => x.sha256),
      [4, 3, 2, 1].map((n) => sha256Hex(Buffer.from(v(n)))),
    );
    assert.deepEqual(
      versions.map((x) => x.origin),
      ['saved', 'agent', 'saved', 'snapshot'],
    );
    assert.equal(versions[0]!.via, 'cli');
    assert.ok(
      versions[0]!.sources.some((s) => s.kind === 'snapshot') && versions[0]!.sources.some((s) => s.kind === 'saved'),
      'the last save was seen by the third backup too',
    );
    assert.ok(versions[1]!.sources.every((s) => s.kind !== 'saved'));
    assert.deepEqual(
      versions.map((x) => x.diff),
      [{ added: 1, removed: 0 }, { added: 1, removed: 0 }, { added: 1, removed: 0 }, undefined],
    );
    assert.equal(list.json().agent, 'ops', 'the agent of the path, from the one agentOfPath answer');

    const text = await runCli(['timeline', 'box', memory], env);
    assert.match(text.stdout, /#3 .*changed by the agent/);
    assert.match(text.stdout, /saved \(CLI\)/);
    const show = await runCli(['timeline', 'box', memory, '--show', '1'], env);
    assert.equal(show.stdout, v(1));
    const cmp = await runCli(['timeline', 'box', memory, '--compare', '2', '3'], env);
    assert.match(cmp.stdout, /^\+- note 3: /m);
    const ja = await runCli(['timeline', 'box', memory], { ...env, OCM_LANG: 'ja' });
    assert.match(ja.stdout, /エージェント/);

    // The file named as the agent's: AGENT:FILE, from the agents ocm knows.
    const byAgent = await runCli(['timeline', 'box', 'ops:MEMORY.md', '--json'], env);
    assert.equal(byAgent.code, 0, byAgent.stderr);
    assert.equal(byAgent.json().path, memory);
    assert.deepEqual(
      (byAgent.json().versions as { sha256: string }[]).map((x) => x.sha256),
      versions.map((x) => x.sha256),
    );
    assert.equal((await runCli(['timeline', 'box', 'research:MEMORY.md', '--json'], env)).json().path, novaMemory);
    const unknown = await runCli(['timeline', 'box', 'nobody:MEMORY.md'], env);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /Node box has no agent "nobody" \(agents: ops, research\)/);
    const outside = await runCli(['timeline', 'box', 'ops:../../openclaw.json'], env);
    assert.equal(outside.code, 2, outside.stderr);
    assert.match(outside.stderr, /not a file inside an agent's workspace/);
  });

  it('restore follows the destructive-verb rules and goes through the safe save', async () => {
    const before = await readFile(memory, 'utf8');
    const bare = await runCli(['timeline', 'box', memory, '--restore', '1'], env);
    assert.equal(bare.code, 2, 'no terminal and no --yes');
    const dry = await runCli(['timeline', 'box', memory, '--restore', '1', '--dry-run'], env);
    assert.equal(dry.code, 0);
    assert.match(dry.stdout, /version #1/);
    assert.equal(await readFile(memory, 'utf8'), before);
    // A terminal asks (the question goes through the context, as on a TTY): "no" restores nothing.
    let asked = '';
    let out = '';
    const no = await main(['timeline', 'box', memory, '--restore', '1'], {
      out: (t) => (out += t),
      err: () => undefined,
      env,
      json: false,
      confirm: async (q: string) => ((asked = q), false),
    } as CliContext);
    assert.equal(no, 0);
    assert.match(asked, /version #1/);
    assert.match(out, /Nothing restored/);
    assert.equal(await readFile(memory, 'utf8'), before);
    const yes = await runCli(['timeline', 'box', memory, '--restore', '1', '--yes', '--json'], env);
    assert.equal(yes.code, 0, yes.stdout + yes.stderr);
    assert.equal(await readFile(memory, 'utf8'), v(1));
    const history = await listHistory(home, 'box', memory);
    assert.ok(
      history.some((h) => h.sha256 === sha256Hex(Buffer.from(before))),
      'the replaced version is in the history',
    );
    assert.equal(history[0]!.reason, 'saved');
    assert.equal(history[0]!.sha256, sha256Hex(Buffer.from(v(1))));
    const after = (await runCli(['timeline', 'box', memory, '--json'], env)).json().versions as { n: number; sameAs?: number }[];
    assert.equal(after[0]!.sameAs, 1, 'going back shows as a new version equal to #1');
  });

  it('a restore whose write is killed leaves the live file as it was', async () => {
    const live = await readFile(memory);
    const timeline = await buildTimeline({ home, store: backupStoreFor(env), nodeId: 'box', remotePath: memory });
    const target = findVersion(timeline, '3');
    const local = new LocalTransport({ nodeId: 'box' });
    // The write dies half way: part of the new bytes reach a temp file beside the target, then the connection is gone.
    const dying = new Proxy(local, {
      get(t, prop, receiver) {
        if (prop === 'writeFileAtomic') {
          return async (path: string, data: Uint8Array) => {
            await writeFile(join(path, '..', '.MEMORY.md.ocm-tmp-killed'), Buffer.from(data).subarray(0, data.length >> 1));
            throw new OcmError('disconnected', 'connection lost during the upload (injected)');
          };
        }
        return Reflect.get(t, prop, receiver) as unknown;
      },
    }) as Transport;
    await assert.rejects(restoreTimelineVersion(dying, { home, timeline, version: target, via: 'cli' }), (e) => isOcmError(e, 'disconnected'));
    assert.deepEqual(await readFile(memory), live, 'live file unchanged');
    assert.ok(!(await readdir(join(memory, '..'))).includes('MEMORY.md.ocm-partial'));
    await rm(join(memory, '..', '.MEMORY.md.ocm-tmp-killed'), { force: true });
    // And done for real, the same restore lands.
    await restoreTimelineVersion(local, { home, timeline, version: target, via: 'cli' });
    assert.equal(await readFile(memory, 'utf8'), v(3));
  });

  it('the guard refuses another agent’s memory in a CLI save unless --force, and says what matched where', async () => {
    const refresh = await runCli(['guard', 'refresh', '--json'], env);
    assert.equal(refresh.code, 0, refresh.stdout + refresh.stderr);
    assert.equal(refresh.json().agents, 2);
    const pasted = (await readFile(memory, 'utf8')) + '\n' + nova.files['MEMORY.md'].split('\n').slice(8, 14).join('\n') + '\n';
    const refused = await put(memory, pasted);
    assert.equal(refused.code, 1, refused.stdout);
    const err = refused.json().error;
    assert.equal(err.kind, 'conflict');
    assert.equal(err.details.mixup, true);
    assert.equal(err.details.findings[0].other.agentId, 'research');
    assert.equal(err.details.findings[0].file.remotePath, novaMemory);
    assert.ok(err.details.findings[0].lines.length > 0);
    assert.notEqual(await readFile(memory, 'utf8'), pasted, 'nothing written');
    const text = await put(memory, pasted, []).then(async () => {
      const local = join(home, 'pasted.md');
      await writeFile(local, pasted);
      return runCli(['put', 'box', memory, local, '--expect-sha256', sha256Hex(await readFile(memory))], { ...env, OCM_LANG: 'ja' });
    });
    assert.equal(text.code, 1);
    assert.match(text.stderr, /保存されていません/);
    const ordinary = await put(memory, (await readFile(memory, 'utf8')) + '- 2026-11-26: Lena approved the DNS change for the status page.\n');
    assert.equal(ordinary.code, 0, 'an ordinary edit is saved');
    const forced = await put(memory, (await readFile(memory, 'utf8')) + nova.files['MEMORY.md'], ['--force']);
    assert.equal(forced.code, 0, forced.stdout);
    assert.match(await readFile(memory, 'utf8'), /RAG legal review/);
  });
});
