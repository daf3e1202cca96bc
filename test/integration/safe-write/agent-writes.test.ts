import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { listHistory, readHistoryEntry, sha256Hex } from '../../../src/core/history';
import { readForEdit, safeWrite } from '../../../src/core/safe-write';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import { createOpenclawNode, type OpenclawTestNode } from '../../support/openclaw';
import { startStubModel, stubProviderPatch, type StubModel } from './stub-model';

/**
 * End to end with a REAL OpenClaw 2026.9.6 agent (`openclaw agent --local`, model = a stub on
 * loopback) writing its own MEMORY.md with its `write` tool while the user edits the same file.
 * OpenClaw has no lock, so the agent can overwrite a user's save; the claim tested here is that
 * neither the user's edit nor the agent's is ever lost.
 */
describe('a real OpenClaw agent writes MEMORY.md while the user edits it', { timeout: 900_000 }, () => {
  let root: string;
  let ocmHome: string;
  let node: OpenclawTestNode;
  let stub: StubModel;
  const t = new LocalTransport({ nodeId: 'agentnode' });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ocm-agent-'));
    ocmHome = join(root, 'ocm-home');
    const home = join(root, 'node-home');
    await mkdir(home);
    stub = await startStubModel();
    node = await createOpenclawNode({ version: '2026.9.6', home });
    const patch = join(root, 'stub-provider.json5');
    await writeFile(patch, stubProviderPatch(stub.port));
    const patched = await node.run(['config', 'patch', '--file', patch]);
    assert.equal(patched.code, 0, `config patch failed:\n${patched.stdout}\n${patched.stderr}`);
  });
  after(async () => {
    await stub?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('user save, then the agent overwrites it, then the user saves again: conflict, and every version survives', async () => {
    const memory = join(node.stateDir, 'workspace', 'MEMORY.md');
    await writeFile(memory, '# Memory\n- human note v1\n');
    const opened = await readForEdit(t, memory);

    // The agent's turn starts; its model answer (a `write` of MEMORY.md) is held back.
    const agentText = '# Memory\n- agent: learned something new\n';
    stub.setWrite('MEMORY.md', agentText);
    stub.holdToolCall();
    const turn = node.run(['agent', '--local', '--agent', 'main', '--message', 'Update your memory file', '--json'], { timeoutMs: 600_000 });
    await stub.toolCallRequested();

    // Mid-turn, the user saves: nothing changed on the node yet, so it goes through.
    const mine1 = Buffer.from('# Memory\n- human note v1\n- human note v2\n');
    const saved = await safeWrite(t, { home: ocmHome, nodeId: 'agentnode', remotePath: memory, content: mine1, expected: opened });
    assert.equal(await readFile(memory, 'utf8'), mine1.toString());

    // The agent's write lands on top of the user's save (OpenClaw's write tool checks nothing).
    stub.release();
    const result = await turn;
    assert.equal(result.code, 0, `agent turn failed:\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`);
    assert.equal(await readFile(memory, 'utf8'), agentText, 'the real agent wrote its memory file');

    // The user's saved version is not lost: it is in the history.
    assert.equal((await readHistoryEntry(ocmHome, saved.savedId!)).content.toString(), mine1.toString());

    // The user keeps editing the version they saved, and saves again: refused, nothing overwritten.
    const mine2 = Buffer.from(`${mine1.toString()}- human note v3\n`);
    await assert.rejects(
      safeWrite(t, {
        home: ocmHome,
        nodeId: 'agentnode',
        remotePath: memory,
        content: mine2,
        expected: { sha256: saved.savedSha256, mtimeMs: saved.mtimeMs, size: saved.size },
      }),
      (e) => isOcmError(e, 'conflict') && e.details.remoteSha256 === sha256Hex(Buffer.from(agentText)),
    );
    assert.equal(await readFile(memory, 'utf8'), agentText, "the agent's version stays on the node");
    const history = await listHistory(ocmHome, 'agentnode', memory);
    const shas = history.map((e) => e.sha256);
    assert.ok(shas.includes(sha256Hex(Buffer.from(agentText))), "the agent's version is in the history");
    assert.ok(shas.includes(sha256Hex(mine1)), "the user's saved version is in the history");
    assert.ok(shas.includes(opened.sha256), 'the original is in the history');

    // Merge and save on top of the agent's version: accepted.
    const current = await readForEdit(t, memory);
    const merged = Buffer.from(`${agentText}- human note v2\n- human note v3\n`);
    const final = await safeWrite(t, { home: ocmHome, nodeId: 'agentnode', remotePath: memory, content: merged, expected: current });
    assert.equal(await readFile(memory, 'utf8'), merged.toString());
    assert.equal((await readHistoryEntry(ocmHome, final.backupId!)).content.toString(), agentText);
  });
});
