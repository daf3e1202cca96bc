import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { archiveAgent } from '../../../src/core/openclaw/agent-admin';
import type { AgentInfo } from '../../../src/core/openclaw/agents';
import type { OpenclawLocation } from '../../../src/core/openclaw/locate';
import { LocalTransport } from '../../../src/core/transport/local-transport';

/**
 * archiveAgent's tar command line through the real LocalTransport (a real sh and tar): paths
 * with spaces must reach tar as one argument each, not be split into words.
 */

const transport = new LocalTransport({ nodeId: 'n1' });
let root: string;

before(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'ocm agent admin '));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function listArchive(path: string): string[] {
  return execFileSync('tar', ['-tzf', path], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
}

describe('archiveAgent', () => {
  it('archives a workspace whose path holds a space, and the agent state folder', async () => {
    const state = join(root, 'state dir');
    const workspace = join(root, 'my workspace');
    await fs.mkdir(join(workspace, 'memory'), { recursive: true });
    await fs.writeFile(join(workspace, 'SOUL.md'), 'calm\n');
    await fs.writeFile(join(workspace, 'memory', 'a b.md'), 'note\n');
    await fs.mkdir(join(state, 'agents', 'work', 'agent'), { recursive: true });
    await fs.writeFile(join(state, 'agents', 'work', 'agent', 'models.json'), '{}\n');
    // A folder named like the first word of the workspace: an unquoted command would archive it.
    await fs.mkdir(join(root, 'my'), { recursive: true });
    await fs.writeFile(join(root, 'my', 'wrong.txt'), 'wrong\n');

    const located = { nodeId: 'n1', stateDir: state } as OpenclawLocation;
    const agent: AgentInfo = { id: 'work', workspace, agentDir: join(state, 'agents', 'work', 'agent'), isDefault: false, source: 'list' };
    const backupDir = join(root, 'backups');
    const { path, bytes } = await archiveAgent(transport, located, agent, backupDir);
    assert.ok(bytes > 0);
    const names = listArchive(path);
    const rel = (p: string): string => p.replace(/^\//, '');
    assert.ok(names.includes(`${rel(workspace)}/SOUL.md`), names.join('\n'));
    assert.ok(names.includes(`${rel(workspace)}/memory/a b.md`), names.join('\n'));
    assert.ok(names.includes(`${rel(state)}/agents/work/agent/models.json`), names.join('\n'));
    assert.ok(!names.some((n) => n.includes('wrong.txt')), names.join('\n'));
  });

  it('archives only the folders that exist (a missing workspace is skipped)', async () => {
    const state = join(root, 'state two');
    await fs.mkdir(join(state, 'agents', 'solo'), { recursive: true });
    await fs.writeFile(join(state, 'agents', 'solo', 'x.json'), '{}\n');
    const located = { nodeId: 'n1', stateDir: state } as OpenclawLocation;
    const agent: AgentInfo = { id: 'solo', workspace: join(root, 'gone workspace'), agentDir: join(state, 'agents', 'solo'), isDefault: false, source: 'list' };
    const { path } = await archiveAgent(transport, located, agent, join(root, 'backups'));
    assert.deepEqual(
      listArchive(path).filter((n) => !n.endsWith('/')),
      [`${state.replace(/^\//, '')}/agents/solo/x.json`],
    );
  });
});
