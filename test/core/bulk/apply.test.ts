import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyBulkPlan, inspectUndo, lastUndoableBatch, listBatches, planBulkApply, undoBatch, type NodeReach } from '../../../src/core/bulk';
import { OcmError } from '../../../src/core/errors';
import type { AgentInfo } from '../../../src/core/openclaw';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import type { Transport } from '../../../src/core/transport/types';

/** Two local "nodes" (separate folders), two agents each; faults are injected into one transport. */
describe('bulk apply: plan, apply, rollback on failure, undo', () => {
  let root: string;
  let home: string;
  const agents: Record<string, AgentInfo[]> = {};
  const transports: Record<string, Transport> = {};
  /** Set to make a node's next writes fail. */
  const faults: Record<string, (path: string) => Error | undefined> = {};
  const soul = (n: string, a: string) => `# ${a} on ${n}\n\n## Tools\n- ${a} tool\n\n## Rules\n${a} rules\n`;

  const reach: NodeReach = {
    transport: async (id) => transports[id]!,
    agents: async (id) => agents[id]!,
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ocm-bulk-'));
    home = join(root, 'home');
    for (const n of ['n1', 'n2']) {
      agents[n] = [];
      for (const a of ['main', 'research']) {
        const ws = join(root, n, `workspace-${a}`);
        await mkdir(ws, { recursive: true });
        await writeFile(join(ws, 'SOUL.md'), soul(n, a));
        agents[n]!.push({ id: a, workspace: ws, agentDir: join(root, n, 'agents', a, 'agent'), isDefault: a === 'main', source: 'entries' });
      }
      const local = new LocalTransport({ nodeId: n });
      transports[n] = new Proxy(local, {
        get(target, prop, receiver) {
          if (prop === 'writeFileAtomic') {
            return async (path: string, data: Uint8Array, opts: unknown) => {
              const err = faults[n]?.(path);
              if (err) throw err;
              return local.writeFileAtomic(path, data, opts as never);
            };
          }
          return Reflect.get(target, prop, receiver) as unknown;
        },
      });
    }
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const read = (n: string, a: string) => readFile(join(root, n, `workspace-${a}`, 'SOUL.md'), 'utf8');
  const targets = [
    { nodeId: 'n1', agentId: 'main' },
    { nodeId: 'n1', agentId: 'research' },
    { nodeId: 'n2', agentId: 'main' },
    { nodeId: 'n2', agentId: 'research' },
  ];

  it('plans every resulting file without touching a node; a missing heading is a per-agent result', async () => {
    await writeFile(join(root, 'n2', 'workspace-research', 'SOUL.md'), '# research\n\nno tools section\n');
    const before = await read('n2', 'research');
    const plan = await planBulkApply(reach, targets, 'SOUL.md', { mode: 'replaceSection', heading: '## Tools', content: Buffer.from('- shared tool\n') });
    assert.deepEqual(
      plan.files.map((f) => [f.nodeId, f.agentId, f.action, f.reason ?? '']),
      [
        ['n1', 'main', 'update', ''],
        ['n1', 'research', 'update', ''],
        ['n2', 'main', 'update', ''],
        ['n2', 'research', 'blocked', 'headingMissing'],
      ],
    );
    assert.equal(plan.files[0]!.after!.toString(), '# main on n1\n\n## Tools\n- shared tool\n\n## Rules\nmain rules\n');
    assert.equal(await read('n1', 'main'), soul('n1', 'main'), 'planning changes nothing');
    assert.equal(await read('n2', 'research'), before);
    await writeFile(join(root, 'n2', 'workspace-research', 'SOUL.md'), soul('n2', 'research'));
  });

  it('applies to 4 agents on 2 nodes, records the batch owner-only, and one undo restores all of them', async () => {
    const plan = await planBulkApply(reach, targets, 'SOUL.md', { mode: 'append', content: Buffer.from('- be kind\n') });
    const outcome = await applyBulkPlan(plan, { home, transport: reach.transport });
    assert.ok(outcome.ok, JSON.stringify(outcome.failure?.error));
    for (const t of targets) assert.equal(await read(t.nodeId, t.agentId), soul(t.nodeId, t.agentId) + '- be kind\n');
    const [batch] = await listBatches(home);
    assert.equal(batch!.status, 'applied');
    assert.equal(batch!.files.length, 4);
    assert.equal((await stat(join(home, 'bulk'))).mode & 0o777, 0o700);
    assert.equal((await stat(join(home, 'bulk', `${batch!.id}.json`))).mode & 0o777, 0o600);

    const check = await inspectUndo(home, reach.transport);
    assert.deepEqual(
      check!.checks.map((c) => c.state),
      ['ready', 'ready', 'ready', 'ready'],
    );
    const undone = await undoBatch(check!.batch, { home, transport: reach.transport });
    assert.equal(undone.undone.length, 4);
    assert.equal(undone.batch.status, 'undone');
    for (const t of targets) assert.equal(await read(t.nodeId, t.agentId), soul(t.nodeId, t.agentId));
    assert.equal(await lastUndoableBatch(home), undefined);
  });

  it('undo refuses a file changed since the batch (shown first), and the override puts it back too', async () => {
    const plan = await planBulkApply(reach, targets, 'SOUL.md', { mode: 'template', content: Buffer.from('# template\n') });
    assert.ok((await applyBulkPlan(plan, { home, transport: reach.transport })).ok);
    await writeFile(join(root, 'n1', 'workspace-research', 'SOUL.md'), '# template\nagent wrote this\n');
    const check = await inspectUndo(home, reach.transport);
    assert.deepEqual(check!.checks.map((c) => `${c.file.nodeId}/${c.file.agentId}:${c.state}`).sort(), [
      'n1/main:ready',
      'n1/research:changedSince',
      'n2/main:ready',
      'n2/research:ready',
    ]);
    const first = await undoBatch(check!.batch, { home, transport: reach.transport });
    assert.equal(first.undone.length, 3);
    assert.equal(first.refused.length, 1);
    assert.match(first.refused[0]!.message, /changed since the bulk apply wrote it/);
    assert.equal(await read('n1', 'research'), '# template\nagent wrote this\n', 'a refused file keeps its content');
    assert.equal(first.batch.status, 'partlyUndone');
    const again = await inspectUndo(home, reach.transport);
    assert.equal(again!.batch.id, first.batch.id);
    const forced = await undoBatch(again!.batch, { home, transport: reach.transport, force: true });
    assert.equal(forced.undone.length, 1);
    for (const t of targets) assert.equal(await read(t.nodeId, t.agentId), soul(t.nodeId, t.agentId));
  });

  it('a connection lost at the third file stops the batch and puts the first two back; untouched files keep their content', async () => {
    const plan = await planBulkApply(reach, targets, 'SOUL.md', { mode: 'template', content: Buffer.from('# WRONG TEMPLATE\n') });
    faults.n2 = (path) => (path.includes('workspace-main') ? new OcmError('disconnected', 'Connection to n2 was lost (injected).') : undefined);
    const progress: string[] = [];
    const outcome = await applyBulkPlan(plan, {
      home,
      transport: reach.transport,
      onProgress: (p) => progress.push(`${p.phase}:${p.file.nodeId}/${p.file.agentId}`),
    });
    delete faults.n2;
    assert.equal(outcome.ok, false);
    assert.equal(outcome.failure!.file.nodeId, 'n2');
    assert.equal(outcome.failure!.error.kind, 'disconnected');
    assert.deepEqual(progress, ['write:n1/main', 'write:n1/research', 'write:n2/main', 'rollback:n1/research', 'rollback:n1/main']);
    assert.deepEqual(outcome.rollbackErrors, []);
    for (const t of targets) assert.equal(await read(t.nodeId, t.agentId), soul(t.nodeId, t.agentId), `${t.nodeId}/${t.agentId} has its old content`);
    assert.equal(outcome.batch.status, 'rolledBack');
    assert.equal(await lastUndoableBatch(home), undefined, 'a rolled-back batch leaves nothing to undo');
  });

  it("a conflict (an agent wrote the file after the preview) stops the batch too and leaves the agent's write alone", async () => {
    const plan = await planBulkApply(reach, targets, 'SOUL.md', { mode: 'append', content: Buffer.from('extra\n') });
    await writeFile(join(root, 'n2', 'workspace-research', 'SOUL.md'), 'agent rewrote me\n');
    const outcome = await applyBulkPlan(plan, { home, transport: reach.transport });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.failure!.error.kind, 'conflict');
    assert.equal(await read('n2', 'research'), 'agent rewrote me\n');
    for (const t of targets.slice(0, 3)) assert.equal(await read(t.nodeId, t.agentId), soul(t.nodeId, t.agentId));
    await writeFile(join(root, 'n2', 'workspace-research', 'SOUL.md'), soul('n2', 'research'));
  });

  it('a cancel in the middle of the batch stops it and puts back what was written (the rollback ignores the aborted signal)', async () => {
    const plan = await planBulkApply(reach, targets, 'SOUL.md', { mode: 'append', content: Buffer.from('cancelled line\n') });
    const ac = new AbortController();
    const outcome = await applyBulkPlan(plan, {
      home,
      transport: reach.transport,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'write' && p.done === 2) ac.abort();
      },
    });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.failure!.error.kind, 'cancelled');
    assert.equal(outcome.written.length, 2);
    assert.deepEqual(outcome.rollbackErrors, []);
    for (const t of targets) assert.equal(await read(t.nodeId, t.agentId), soul(t.nodeId, t.agentId));
  });

  it('a template creates missing files; undo removes the files it created', async () => {
    const plan = await planBulkApply(reach, targets.slice(0, 2), 'memory/team.md', { mode: 'template', content: Buffer.from('team\n') });
    assert.deepEqual(
      plan.files.map((f) => f.action),
      ['create', 'create'],
    );
    await mkdir(join(root, 'n1', 'workspace-main', 'memory'), { recursive: true });
    await mkdir(join(root, 'n1', 'workspace-research', 'memory'), { recursive: true });
    assert.ok((await applyBulkPlan(plan, { home, transport: reach.transport })).ok);
    assert.equal(await readFile(join(root, 'n1', 'workspace-main', 'memory', 'team.md'), 'utf8'), 'team\n');
    const check = await inspectUndo(home, reach.transport);
    await undoBatch(check!.batch, { home, transport: reach.transport });
    await assert.rejects(stat(join(root, 'n1', 'workspace-main', 'memory', 'team.md')), /ENOENT/);
  });
});
