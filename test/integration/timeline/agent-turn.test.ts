import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Hex } from '../../../src/core/history';
import { shellQuote } from '../../../src/core/transport/shell-quote';
import { runCli } from '../../support/cli';
import { createOpenclawNode, type OpenclawTestNode } from '../../support/openclaw';
import { startStubModel, stubProviderPatch, type StubModel } from '../safe-write/stub-model';

/**
 * The timeline scenario with a REAL OpenClaw 2026.9.6 agent (`openclaw agent --local`,
 * model = a stub on loopback that makes it call its `write` tool): MEMORY.md edited by hand with
 * `ocm put`, rewritten by the agent's own turn, edited by hand again, with `ocm backup` snapshots
 * in between. `ocm timeline` lists every version with the right source.
 */
describe('timeline of MEMORY.md across hand edits and a real agent turn', { timeout: 900_000 }, () => {
  let root: string;
  let node: OpenclawTestNode;
  let stub: StubModel;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ocm-timeline-agent-'));
    const home = join(root, 'node-home');
    await mkdir(home);
    stub = await startStubModel();
    node = await createOpenclawNode({ version: '2026.9.6', home });
    const patch = join(root, 'stub-provider.json5');
    await writeFile(patch, stubProviderPatch(stub.port));
    const patched = await node.run(['config', 'patch', '--file', patch]);
    assert.equal(patched.code, 0, `config patch failed:\n${patched.stdout}\n${patched.stderr}`);
    const wrapper = join(root, 'bin', 'openclaw-24');
    await mkdir(join(root, 'bin'), { recursive: true });
    await writeFile(
      wrapper,
      `#!/bin/sh\nPATH=${shellQuote(node.install.env.PATH!)} HOME=${shellQuote(node.home)} exec ${shellQuote(node.install.bin)} "$@"\n`,
      { mode: 0o755 },
    );
    env = { OCM_HOME: join(root, 'ocm-home'), PATH: process.env.PATH };
    assert.equal((await runCli(['add', 'oc', 'local', '--state-dir', node.stateDir, '--openclaw', wrapper], env)).code, 0);
  });
  after(async () => {
    await stub?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('hand edit, agent turn, hand edit: saved (CLI), changed by the agent, saved (CLI), each once', async () => {
    const memory = join(node.stateDir, 'workspace', 'MEMORY.md');
    const original = '# Memory\n\n- The user prefers tea over coffee.\n';
    await writeFile(memory, original);
    const backup = async () => {
      const b = await runCli(['backup', 'oc', '--json'], env);
      assert.equal(b.code, 0, b.stdout + b.stderr);
    };
    const put = async (text: string) => {
      const local = join(root, `put-${sha256Hex(Buffer.from(text)).slice(0, 8)}.md`);
      await writeFile(local, text);
      const r = await runCli(['put', 'oc', memory, local, '--expect-sha256', sha256Hex(await readFile(memory)), '--json'], env);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    };

    await backup();
    const hand1 = `${original}- Standup moved to 09:30 on Mondays.\n`;
    await put(hand1);
    await backup();
    const agentText = `${hand1}- Learned today: the user is travelling to Osaka next week.\n`;
    stub.setWrite('MEMORY.md', agentText);
    const turn = await node.run(['agent', '--local', '--agent', 'main', '--message', 'Update your memory file', '--json'], { timeoutMs: 600_000 });
    assert.equal(turn.code, 0, `agent turn failed:\n${turn.stdout.slice(-2000)}\n${turn.stderr.slice(-2000)}`);
    assert.equal(await readFile(memory, 'utf8'), agentText, 'the real agent wrote its memory file');
    await backup();
    const hand2 = `${agentText}- Book the Osaka hotel near Umeda.\n`;
    await put(hand2);

    const list = await runCli(['timeline', 'oc', memory, '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    const versions = list.json().versions as { n: number; sha256: string; origin: string; via?: string; diff?: { added: number; removed: number } }[];
    assert.deepEqual(
      versions.map((v) => [v.sha256, v.origin]),
      [
        [sha256Hex(Buffer.from(hand2)), 'saved'],
        [sha256Hex(Buffer.from(agentText)), 'agent'],
        [sha256Hex(Buffer.from(hand1)), 'saved'],
        [sha256Hex(Buffer.from(original)), 'snapshot'],
      ],
    );
    assert.equal(versions[0]!.via, 'cli');
    assert.deepEqual(versions[1]!.diff, { added: 1, removed: 0 });
  });
});
