import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyBulkPlan, guardPlan, isBulkMixupError, listBatches, planBulkApply, type NodeReach } from '../../../src/core/bulk';
import { deleteWithHistory, restoreDeleted } from '../../../src/core/deletes';
import { isMixupError, MixupGuard } from '../../../src/core/guard';
import type { AgentInfo } from '../../../src/core/openclaw';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import { atlas, juniper, nova } from '../guard/corpus-agents';

/**
 * The mix-up guard in core over a bulk plan (flags per file, refusal of the whole batch before
 * any write, the per-batch override) and over an undelete (every guarded file checked before the
 * first write of a folder restore). One local "node", three agents with realistic files.
 */
describe('mix-up guard over bulk apply and undelete (core)', () => {
  let root: string;
  let home: string;
  const t = new LocalTransport({ nodeId: 'n1' });
  const agents: AgentInfo[] = [];
  const fixtures = { ops: atlas, research: nova, support: juniper };
  const ws = (a: string) => join(root, `workspace-${a}`);
  const reach: NodeReach = { transport: async () => t, agents: async () => agents };
  const template = nova.files['SOUL.md'] + '\nCite the DOI.\n';

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ocm-bulk-guard-'));
    home = join(root, 'home');
    for (const [id, f] of Object.entries(fixtures)) {
      await mkdir(join(ws(id), 'memory'), { recursive: true });
      for (const [name, text] of Object.entries(f.files)) await writeFile(join(ws(id), name), text);
      agents.push({ id, name: f.name, workspace: ws(id), agentDir: join(root, 'agents', id), isDefault: id === 'ops', source: 'entries' });
    }
    // The fingerprints as a background refresh builds them (here read from the node itself).
    await new MixupGuard(home).refresh([{ nodeId: 'n1', agents }], { readLive: async (_n, p) => readFile(p).catch(() => undefined) });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const plan = async (ids: string[]) =>
    guardPlan(
      await planBulkApply(
        reach,
        ids.map((agentId) => ({ nodeId: 'n1', agentId })),
        'SOUL.md',
        { mode: 'template', content: Buffer.from(template) },
      ),
      new MixupGuard(home),
      reach.agents,
    );

  it("flags exactly the writes that bring research's text into another agent, with what matched", async () => {
    const p = await plan(['research', 'ops', 'support']);
    assert.deepEqual(p.guard, { checked: 3, flagged: 2 });
    assert.deepEqual(
      p.files.map((f) => [f.agentId, f.mixup?.[0]?.other.agentId ?? null]),
      [
        ['research', null],
        ['ops', 'research'],
        ['support', 'research'],
      ],
    );
    const overlap = p.files[1]!.mixup!.find((m) => m.kind === 'overlap')!;
    assert.equal(overlap.file?.relativePath, 'SOUL.md');
    assert.ok(overlap.lines.length > 0 && overlap.excerpt.some((l) => /Nova/.test(l)));
    // Files the guard does not protect are not checked (AGENTS.md, memory/*.md).
    const other = await guardPlan(
      await planBulkApply(reach, [{ nodeId: 'n1', agentId: 'ops' }], 'AGENTS.md', { mode: 'template', content: Buffer.from(template) }),
      new MixupGuard(home),
      reach.agents,
    );
    assert.deepEqual(other.guard, { checked: 0, flagged: 0 });
  });

  it('the whole flagged batch is refused before anything is written — research too, and no batch is recorded', async () => {
    const p = await plan(['research', 'ops', 'support']);
    await assert.rejects(applyBulkPlan(p, { home, transport: reach.transport }), (e) => {
      assert.ok(isBulkMixupError(e));
      assert.deepEqual(
        (e.details.files as { agentId: string }[]).map((f) => f.agentId),
        ['ops', 'support'],
      );
      assert.match(e.message, /refused before anything was written: 2 file\(s\).*agent research \(Nova\) on node n1.*--force/);
      return true;
    });
    for (const [id, f] of Object.entries(fixtures)) assert.equal(await readFile(join(ws(id), 'SOUL.md'), 'utf8'), f.files['SOUL.md']);
    assert.deepEqual(await listBatches(home), []);
  });

  it('the per-batch override applies every file and records which were flagged', async () => {
    const p = await plan(['ops', 'support']);
    const out = await applyBulkPlan(p, { home, transport: reach.transport, allowMixups: true });
    assert.equal(out.ok, true);
    assert.equal(await readFile(join(ws('support'), 'SOUL.md'), 'utf8'), template);
    assert.deepEqual(
      out.batch.mixupOverride?.map((f) => f.agentId),
      ['ops', 'support'],
    );
    for (const id of ['ops', 'support'] as const) await writeFile(join(ws(id), 'SOUL.md'), fixtures[id].files['SOUL.md']);
  });

  it('a folder undelete is checked file by file before the first write: one flagged file restores nothing', async () => {
    const folder = join(ws('support'), 'memory');
    await writeFile(join(folder, '2026-11-30.md'), '- quiet day\n');
    const entry = await deleteWithHistory(t, ws('support'), { home, recursive: true });
    const checked: string[] = [];
    const guard = new MixupGuard(home);
    await guard.ready();
    const refuse = (path: string) => {
      checked.push(path.slice(ws('support').length + 1));
      // As if the workspace path had since been given to another agent: judge it as ops's.
      return guard.hookFor(
        'n1',
        agents.map((a) => (a.id === 'ops' ? { ...a, workspace: ws('support') } : a.id === 'support' ? { ...a, workspace: ws('gone') } : a)),
        path,
      );
    };
    const refusal = await restoreDeleted(t, entry, { home, guardFor: refuse }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isMixupError(refusal), String(refusal));
    assert.equal(refusal.details.agentId, 'ops');
    assert.ok(checked.includes(String(refusal.details.relativePath)), 'the refused file was among those checked');
    await assert.rejects(stat(ws('support')), 'not even the folder was made');
    // Judged as support's own files, it comes back whole.
    const restored = await restoreDeleted(t, entry, { home, guardFor: (path) => guard.hookFor('n1', agents, path) });
    assert.equal(restored.restored.length, entry.files.length);
    assert.equal(await readFile(join(ws('support'), 'SOUL.md'), 'utf8'), juniper.files['SOUL.md']);
    assert.ok((await readdir(folder)).includes('2026-11-30.md'));
  });
});
