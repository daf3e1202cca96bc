import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { agentOfPath, isGuardedFile, isMemoryFile, resolveAgents, type AgentInfo } from '../../../src/core/openclaw';

/** The one "which agent is this file" answer, with workspaces inside other workspaces. */
const agent = (id: string, workspace: string, isDefault = false): AgentInfo => ({
  id,
  workspace,
  agentDir: `/s/agents/${id}/agent`,
  isDefault,
  source: 'entries',
});

describe('agentOfPath', () => {
  it('the deepest workspace wins (agents.defaults.workspace puts <default>/<id> inside the default agent’s folder)', () => {
    const config = {
      agents: { defaults: { workspace: '~/team' }, entries: { main: { default: true }, ops: {}, 'ops-night': { workspace: '~/team/ops/night' } } },
    };
    const agents = resolveAgents(config, { home: '/home/claw', stateDir: '/home/claw/.openclaw', stateDirFromEnv: false, version: '2026.9.6' });
    assert.equal(agents.find((a) => a.id === 'ops')!.workspace, '/home/claw/team/ops');
    assert.equal(agentOfPath(agents, '/home/claw/team/MEMORY.md')?.agent.id, 'main');
    assert.equal(agentOfPath(agents, '/home/claw/team/ops/MEMORY.md')?.agent.id, 'ops');
    assert.equal(agentOfPath(agents, '/home/claw/team/ops/memory/2026-11-20.md')?.relativePath, 'memory/2026-11-20.md');
    assert.equal(agentOfPath(agents, '/home/claw/team/ops/night/SOUL.md')?.agent.id, 'ops-night');
    assert.equal(agentOfPath(agents, '/home/claw/team/opsx/SOUL.md')?.agent.id, 'main', 'a sibling with a common prefix is not inside ops');
    assert.equal(agentOfPath(agents, '/home/claw/elsewhere/MEMORY.md'), undefined);
  });

  it('two agents sharing one folder: the default agent, the other is listed as sharing', () => {
    const owner = agentOfPath([agent('b', '/w'), agent('a', '/w/', true)], '/w/MEMORY.md')!;
    assert.equal(owner.agent.id, 'a');
    assert.deepEqual(
      owner.sharedWith.map((x) => x.id),
      ['b'],
    );
    assert.equal(owner.workspace, '/w');
    assert.equal(agentOfPath([agent('a', '/w')], '/w')?.relativePath, '');
  });

  it('memory and guarded files', () => {
    for (const f of ['MEMORY.md', 'SOUL.md', 'USER.md', 'IDENTITY.md', 'AGENTS.md', 'DREAMS.md', 'memory/2026-11-21.md', 'memory/2026-11-21-standup.md'])
      assert.ok(isMemoryFile(f), f);
    for (const f of ['TOOLS.md', 'memory/dreaming/x.md', 'notes/MEMORY.md', 'skills/a.md']) assert.ok(!isMemoryFile(f), f);
    assert.deepEqual(['MEMORY.md', 'SOUL.md', 'IDENTITY.md', 'USER.md', 'AGENTS.md'].map(isGuardedFile), [true, true, true, true, false]);
  });
});
