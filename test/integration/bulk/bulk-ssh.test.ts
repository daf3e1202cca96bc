import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { applyBulkPlan, inspectUndo, planBulkApply, resolveTargets, undoBatch, type NodeReach } from '../../../src/core/bulk';
import { deleteWithHistory, listDeleted, restoreDeleted } from '../../../src/core/deletes';
import type { AgentInfo } from '../../../src/core/openclaw';
import { listNodeAgents } from '../../../src/core/openclaw';
import { nodeSchema, type NodeEntry } from '../../../src/core/registry';
import { SshPool } from '../../../src/core/ssh/pool';
import { shellQuote } from '../../../src/core/transport/shell-quote';
import type { Transport } from '../../../src/core/transport/types';
import { runCli } from '../../support/cli';
import { cliEnvFor, entryFor } from '../../support/ssh-openclaw-node';
import { killSessions, runAsNodeUser, startListener, startSshNodes, stopListener, targetFor, type SshNode, type SshNodeSet } from '../../support/sshd';

/**
 * Bulk apply and deletes over REAL sshd nodes (two nodes, two agents each, resolved from each
 * node's openclaw.json over SFTP). Faults are real: the node's SSH sessions are killed in the
 * middle of the batch.
 */
describe('bulk apply and deletes over SSH (real sshd)', { timeout: 300_000 }, () => {
  let set: SshNodeSet;
  let pool: SshPool;
  let env: NodeJS.ProcessEnv;
  let ocmHome: string;
  const transports = new Map<string, Transport>();
  const entries = new Map<string, NodeEntry>();
  /** Called before a node's writeFileAtomic (fault injection). */
  const beforeWrite = new Map<string, (path: string) => Promise<void>>();
  /** Called when that write failed (e.g. bring the listener back). */
  const afterFailedWrite = new Map<string, () => Promise<void>>();
  /** Every operation on a node waits for its gate (set while its sshd is being restarted). */
  const gates = new Map<string, Promise<void>>();
  /** Kills the node's connection for good: no listener (no reconnect), sessions SIGKILLed. */
  const killConnection = async (n: SshNode) => {
    await stopListener(n);
    await killSessions(n);
  };

  const node = (i: number): SshNode => set.nodes[i]!;
  const ws = (n: SshNode, agent: string) => `${n.home}/.openclaw/${agent === 'main' ? 'workspace' : `workspace-${agent}`}`;
  const soul = (n: SshNode, a: string) => `# ${a} on ${n.id}\n\n## Tools\n- ${a} tool\n\n## Rules\nbe ${a}\n`;
  const onNode = async (n: SshNode, cmd: string) => (await runAsNodeUser(n, cmd)).stdout;
  const read = async (n: SshNode, a: string) => Buffer.from(await onNode(n, `base64 < ${shellQuote(`${ws(n, a)}/SOUL.md`)}`), 'base64').toString();
  const resetSouls = async () => {
    for (const n of set.nodes)
      for (const a of ['main', 'research']) await runAsNodeUser(n, `cat > ${shellQuote(`${ws(n, a)}/SOUL.md`)}`, { stdin: soul(n, a) });
  };

  const reach: NodeReach = {
    transport: async (id) => transports.get(id)!,
    agents: async (id): Promise<AgentInfo[]> => (await listNodeAgents(transports.get(id)!, entries.get(id)!)).agents,
  };

  before(async () => {
    set = await startSshNodes(2);
    pool = new SshPool();
    const list: Array<Record<string, unknown>> = [];
    for (const n of set.nodes) {
      const state = `${n.home}/.openclaw`;
      const agents = ['main', 'research']
        .map((a) => `{ id: "${a}", ${a === 'main' ? 'default: true, ' : ''}workspace: ${JSON.stringify(ws(n, a))} }`)
        .join(', ');
      await onNode(n, `mkdir -p ${shellQuote(ws(n, 'main'))} ${shellQuote(ws(n, 'research'))}`);
      await runAsNodeUser(n, `cat > ${shellQuote(`${state}/openclaw.json`)}`, { stdin: `{ agents: { list: [${agents}] } }\n` });
      const entry = entryFor(n, { stateDir: state, labels: ['prod'] });
      list.push(entry);
      entries.set(n.id, nodeSchema.parse(entry));
      const real = pool.transportFor(targetFor(n));
      transports.set(
        n.id,
        new Proxy(real, {
          get(target, prop, receiver) {
            if (prop === 'writeFileAtomic') {
              return async (path: string, data: Uint8Array, opts: unknown) => {
                await gates.get(n.id);
                await beforeWrite.get(n.id)?.(path);
                try {
                  return await real.writeFileAtomic(path, data, opts as never);
                } catch (e) {
                  const after = afterFailedWrite.get(n.id);
                  if (after) gates.set(n.id, after());
                  throw e;
                }
              };
            }
            const value = Reflect.get(target, prop, receiver) as unknown;
            if (typeof value !== 'function' || prop === 'close') return value;
            return async (...args: unknown[]) => {
              await gates.get(n.id);
              return (value as (...a: unknown[]) => unknown).apply(real, args);
            };
          },
        }),
      );
    }
    ({ env, ocmHome } = cliEnvFor(set, list));
    await resetSouls();
  });
  after(async () => {
    await pool?.close();
    await set?.stop();
  });

  it('ocm apply --yes across 2 nodes × 2 agents, then ocm apply --undo --yes restores every file', async () => {
    const section = `${ocmHome}/tools.md`;
    await import('node:fs/promises').then((fs) => fs.writeFile(section, '- shared tool\n'));
    const dry = await runCli(['apply', '--replace-section', '## Tools', '--with', section, '--file', 'SOUL.md', '--agents', 'label:prod', '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /4 to change/);
    for (const n of set.nodes) assert.equal(await read(n, 'main'), soul(n, 'main'), 'dry run changes nothing');
    const r = await runCli(['apply', '--replace-section', '## Tools', '--with', section, '--file', 'SOUL.md', '--agents', 'label:prod', '--yes'], env);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    for (const n of set.nodes)
      for (const a of ['main', 'research']) assert.equal(await read(n, a), `# ${a} on ${n.id}\n\n## Tools\n- shared tool\n\n## Rules\nbe ${a}\n`);
    const undo = await runCli(['apply', '--undo', '--yes'], env);
    assert.equal(undo.code, 0, undo.stderr + undo.stdout);
    assert.match(undo.stdout, /Put back 4 file\(s\)/);
    for (const n of set.nodes) for (const a of ['main', 'research']) assert.equal(await read(n, a), soul(n, a));
  });

  it("the third target's connection is killed mid-batch: the first two (on the other node) are put back, the rest untouched", async () => {
    const home = `${ocmHome}-core1`;
    const targets = await resolveTargets(`${node(0).id}/main,${node(0).id}/research,${node(1).id}/main,${node(1).id}/research`, [...entries.values()], reach);
    const plan = await planBulkApply(reach, targets, 'SOUL.md', { mode: 'template', content: Buffer.from('# WRONG TEMPLATE\n') });
    let killed = 0;
    beforeWrite.set(node(1).id, async () => {
      if (killed++ === 0) await killConnection(node(1));
    });
    const outcome = await applyBulkPlan(plan, { home, transport: reach.transport });
    beforeWrite.clear();
    await startListener(node(1));
    assert.equal(outcome.ok, false, 'the batch failed');
    assert.equal(outcome.failure!.file.nodeId, node(1).id);
    assert.ok(
      ['disconnected', 'unreachable', 'timeout', 'failed'].includes(outcome.failure!.error.kind),
      `${outcome.failure!.error.kind}: ${outcome.failure!.error.message}`,
    );
    assert.equal(outcome.written.length, 2);
    assert.deepEqual(outcome.rollbackErrors, []);
    for (const n of set.nodes) for (const a of ['main', 'research']) assert.equal(await read(n, a), soul(n, a), `${n.id}/${a} keeps its content`);
  });

  it('killed on a node that already has a changed file: the rollback reconnects and puts that one back too', async () => {
    const home = `${ocmHome}-core2`;
    const targets = await resolveTargets(`${node(0).id}/main,${node(1).id}/main,${node(1).id}/research`, [...entries.values()], reach);
    const plan = await planBulkApply(reach, targets, 'SOUL.md', { mode: 'append', content: Buffer.from('- WRONG LINE\n') });
    beforeWrite.set(node(1).id, async (path) => {
      if (path.includes('workspace-research')) await killConnection(node(1));
    });
    // The node comes back (sshd restarted) while the batch rolls back: the rollback reconnects.
    afterFailedWrite.set(node(1).id, () => startListener(node(1)));
    const outcome = await applyBulkPlan(plan, { home, transport: reach.transport });
    beforeWrite.clear();
    afterFailedWrite.clear();
    await gates.get(node(1).id);
    gates.clear();
    assert.equal(outcome.ok, false);
    assert.equal(outcome.written.length, 2);
    assert.deepEqual(outcome.rollbackErrors, [], 'the rollback reconnected');
    for (const n of set.nodes) for (const a of ['main', 'research']) assert.equal(await read(n, a), soul(n, a));
    assert.equal(await inspectUndo(home, reach.transport), undefined, 'nothing left to undo');
  });

  it('undo of a whole batch over SSH refuses a file an agent rewrote, then the override restores it', async () => {
    const home = `${ocmHome}-core3`;
    const targets = await resolveTargets('label:prod', [...entries.values()], reach);
    const plan = await planBulkApply(reach, targets, 'SOUL.md', { mode: 'append', content: Buffer.from('- new rule\n') });
    assert.ok((await applyBulkPlan(plan, { home, transport: reach.transport })).ok);
    await runAsNodeUser(node(1), `printf 'agent rewrote\\n' > ${shellQuote(`${ws(node(1), 'research')}/SOUL.md`)}`);
    const check = await inspectUndo(home, reach.transport);
    assert.equal(check!.checks.filter((c) => c.state === 'changedSince').length, 1);
    const first = await undoBatch(check!.batch, { home, transport: reach.transport });
    assert.equal(first.undone.length, 3);
    assert.equal(await read(node(1), 'research'), 'agent rewrote\n');
    await undoBatch(first.batch, { home, transport: reach.transport, force: true });
    for (const n of set.nodes) for (const a of ['main', 'research']) assert.equal(await read(n, a), soul(n, a));
  });

  it('a deleted MEMORY.md comes back from Recently Deleted byte for byte; deleting openclaw.json names what breaks', async () => {
    const n = node(0);
    const file = `${ws(n, 'research')}/MEMORY.md`;
    const bytes = Buffer.concat([Buffer.from('# Memory\r\n記憶 — 大事\r\n'), Buffer.from([0, 1, 2, 255])]);
    await runAsNodeUser(n, `cat > ${shellQuote(file)} && chmod 640 ${shellQuote(file)}`, { stdin: bytes });
    const rm = await runCli(['rm', n.id, file, '--yes'], env);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /agent research loses its memory/);
    assert.equal((await onNode(n, `test -e ${shellQuote(file)} && echo yes || echo no`)).trim(), 'no');
    const [entry] = await listDeleted(ocmHome, n.id);
    assert.equal(entry!.path, file);
    await restoreDeleted(transports.get(n.id)!, entry!, { home: ocmHome });
    assert.deepEqual(Buffer.from(await onNode(n, `base64 < ${shellQuote(file)}`), 'base64'), bytes);
    assert.equal((await onNode(n, `stat -c %a ${shellQuote(file)}`)).trim(), '640');

    const cfg = `${n.home}/.openclaw/openclaw.json`;
    const asked = await runCli(['rm', n.id, cfg], env);
    assert.equal(asked.code, 2);
    assert.match(asked.stdout, /the gateway will not start/);
    assert.match(await onNode(n, `cat ${shellQuote(cfg)}`), /agents/);

    // a folder over SSH: kept, deleted, restored
    const dir = `${ws(n, 'main')}/memory`;
    await onNode(
      n,
      `mkdir -p ${shellQuote(dir + '/dreaming')} && printf 'a\\n' > ${shellQuote(dir + '/2026-12-01.md')} && printf 'b\\n' > ${shellQuote(dir + '/dreaming/x.md')}`,
    );
    const folder = await deleteWithHistory(transports.get(n.id)!, dir, { home: ocmHome, recursive: true });
    assert.equal(folder.files.length, 2);
    assert.equal((await onNode(n, `test -e ${shellQuote(dir)} && echo yes || echo no`)).trim(), 'no');
    const back = await runCli(['undelete', n.id, dir], env);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(await onNode(n, `cat ${shellQuote(dir + '/dreaming/x.md')}`), 'b\n');
  });
});
