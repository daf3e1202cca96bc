import { strict as assert } from 'node:assert';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPostings, guardIndexPath, isMixupError, loadIndex, MixupGuard } from '../../../src/core/guard';
import { lookup } from '../../../src/core/guard/fingerprint-index';
import { storePreEditBackup } from '../../../src/core/history/store';
import type { AgentInfo } from '../../../src/core/openclaw';
import { atlas, juniper, nova } from './corpus-agents';

/** The guard's index file (owner-only, round trip), posting lookups, and the safe-save hook. */
let home: string;
const agents: AgentInfo[] = [
  { id: 'ops', name: 'Atlas', workspace: '/w/ops', agentDir: '/a/ops', isDefault: true, source: 'entries' },
  { id: 'research', name: 'Nova', workspace: '/w/ops/research', agentDir: '/a/research', isDefault: false, source: 'entries' },
];

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'ocm-guard-index-'));
  await storePreEditBackup(home, { nodeId: 'n1', remotePath: '/w/ops/MEMORY.md', content: Buffer.from(atlas.files['MEMORY.md']), reason: 'saved' });
  await storePreEditBackup(home, { nodeId: 'n1', remotePath: '/w/ops/research/MEMORY.md', content: Buffer.from(nova.files['MEMORY.md']), reason: 'saved' });
});
after(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('fingerprint index', () => {
  it('posting lists find every file holding a hash', () => {
    const { hashes, postings } = buildPostings([new Set([5, 9, 4294967295]), new Set([9]), new Set([1])]);
    assert.deepEqual([...hashes], [1, 5, 9, 9, 4294967295]);
    const [from, to] = lookup({ hashes }, 9);
    assert.deepEqual([...postings.subarray(from, to)].sort(), [0, 1]);
    assert.deepEqual(lookup({ hashes }, 7), [2, 2]);
  });

  it('is kept owner-only in the ocm home and reads back the same; a nested workspace is its own agent', async () => {
    const guard = new MixupGuard(home);
    const built = await guard.refresh([{ nodeId: 'n1', agents }]);
    assert.equal((await stat(guardIndexPath(home))).mode & 0o777, 0o600);
    assert.equal((await stat(dirname(guardIndexPath(home)))).mode & 0o777, 0o700);
    const loaded = await loadIndex(home);
    assert.deepEqual(loaded.files, built.files);
    assert.deepEqual([...loaded.hashes], [...built.hashes]);
    assert.deepEqual(loaded.files.map((f) => [loaded.agents[f.agent]!.agentId, f.relativePath]).sort(), [
      ['ops', 'MEMORY.md'],
      ['research', 'MEMORY.md'],
    ]);
    assert.deepEqual(
      (await guard.knownAgents('n1'))?.map((a) => a.id),
      ['ops', 'research'],
    );
  });

  it('the hook stops a mix-up with the findings in the error, passes an own edit, and ignores files it does not guard', async () => {
    const guard = new MixupGuard(home);
    await guard.ready();
    const hook = guard.hookFor('n1', agents, '/w/ops/MEMORY.md')!;
    const old = Buffer.from(atlas.files['MEMORY.md']);
    assert.throws(
      () => hook(Buffer.from(atlas.files['MEMORY.md'] + nova.files['MEMORY.md']), old),
      (e) =>
        isMixupError(e) &&
        e.kind === 'conflict' &&
        (e.details.findings as { other: { agentId: string } }[])[0]!.other.agentId === 'research' &&
        /--force/.test(e.message),
    );
    hook(Buffer.from(atlas.files['MEMORY.md'] + '- a new note of my own about the pager rota.\n'), old);
    assert.equal(guard.hookFor('n1', agents, '/w/ops/AGENTS.md'), undefined);
    assert.equal(guard.hookFor('n1', agents, '/elsewhere/MEMORY.md'), undefined);
  });

  it('guarded files no backup or history holds are read from the node in a background refresh (from: live)', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'ocm-guard-live-'));
    try {
      const reads: string[] = [];
      const live: Record<string, string> = { '/w/ops/research/SOUL.md': nova.files['SOUL.md'], '/w/ops/MEMORY.md': atlas.files['MEMORY.md'] };
      const guard = new MixupGuard(fresh);
      const index = await guard.refresh([{ nodeId: 'n1', agents }], {
        readLive: async (_node, path) => {
          reads.push(path);
          return live[path] ? Buffer.from(live[path]) : undefined;
        },
      });
      assert.deepEqual(reads.sort(), [
        '/w/ops/IDENTITY.md',
        '/w/ops/MEMORY.md',
        '/w/ops/SOUL.md',
        '/w/ops/USER.md',
        '/w/ops/research/IDENTITY.md',
        '/w/ops/research/MEMORY.md',
        '/w/ops/research/SOUL.md',
        '/w/ops/research/USER.md',
      ]);
      assert.deepEqual(index.files.map((f) => [f.remotePath, f.from]).sort(), [
        ['/w/ops/MEMORY.md', { live: true }],
        ['/w/ops/research/SOUL.md', { live: true }],
      ]);
      const hook = guard.hookFor('n1', agents, '/w/ops/SOUL.md')!;
      assert.throws(
        () => hook(Buffer.from(nova.files['SOUL.md']), Buffer.from(atlas.files['SOUL.md'])),
        (e) => isMixupError(e),
      );
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  });

  it("a save's new text is the agent's own at once: pasted into another agent it is caught, before any backup holds it, and after a refresh", async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'ocm-guard-written-'));
    try {
      const guard = new MixupGuard(fresh);
      await storePreEditBackup(fresh, { nodeId: 'n1', remotePath: '/w/ops/MEMORY.md', content: Buffer.from(atlas.files['MEMORY.md']), reason: 'saved' });
      await guard.refresh([{ nodeId: 'n1', agents }]);
      // Atlas's MEMORY.md gets a new section (the history holds only the version before it).
      const section = juniper.files['MEMORY.md'].split('\n').slice(2).join('\n');
      const saved = Buffer.from(atlas.files['MEMORY.md'] + '\n## Incident notes\n' + section);
      const researchMemory = Buffer.from(nova.files['MEMORY.md']);
      const pasted = Buffer.from(nova.files['MEMORY.md'] + '\n## Incident notes\n' + section);
      const researchHook = () => guard.hookFor('n1', agents, '/w/ops/research/MEMORY.md')!;
      researchHook()(pasted, researchMemory); // unknown text so far: nothing to compare with
      await guard.noteWritten('n1', agents, '/w/ops/MEMORY.md', saved);
      assert.throws(
        () => researchHook()(pasted, researchMemory),
        (e) => isMixupError(e) && (e.details.findings as { other: { agentId: string } }[])[0]!.other.agentId === 'ops',
      );
      guard.hookFor('n1', agents, '/w/ops/MEMORY.md')!(Buffer.concat([saved, Buffer.from('- and one more line.\n')]), saved);
      // Kept on disk (the next CLI run) and through a refresh, whose newest history entry is older.
      const again = new MixupGuard(fresh);
      await again.refresh([{ nodeId: 'n1', agents }]);
      assert.throws(
        () => again.hookFor('n1', agents, '/w/ops/research/MEMORY.md')!(pasted, researchMemory),
        (e) => isMixupError(e),
      );
      // Files the guard does not know an agent for, or that are not memory files, change nothing.
      const before = (await again.ready()).files.length;
      await again.noteWritten('n1', agents, '/w/ops/notes.txt', saved);
      await again.noteWritten('n1', agents, '/elsewhere/MEMORY.md', saved);
      assert.equal((await again.ready()).files.length, before);
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  });

  it('a missing or damaged index file is an empty index (rebuilt), never an error', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'ocm-guard-empty-'));
    try {
      assert.equal((await loadIndex(empty)).agents.length, 0);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
