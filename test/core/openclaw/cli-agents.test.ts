import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentsCliCache, confirmAgentsWithCli, parseAgentsListJson } from '../../../src/core/openclaw/cli-agents';
import type { OpenclawLocation } from '../../../src/core/openclaw/locate';
import { mergeCliAgents } from '../../../src/core/openclaw/node-agents';
import type { ExecOptions, ExecResult, Transport } from '../../../src/core/transport/types';

const listJson = JSON.stringify([
  {
    id: 'main',
    name: 'main',
    identityName: 'Molty',
    workspace: '/h/.openclaw/workspace',
    agentDir: '/h/.openclaw/agents/main/agent',
    bindings: 0,
    isDefault: true,
    createdVia: 'operator',
  },
  { id: 'work', workspace: '/h/.openclaw/workspace-work', agentDir: '/h/.openclaw/agents/work/agent', bindings: 1, isDefault: false },
]);

function fakeTransport(answers: Array<Partial<ExecResult>>): Transport & { commands: string[] } {
  const commands: string[] = [];
  const t = {
    nodeId: 'n1',
    kind: 'ssh',
    commands,
    async exec(command: string, _options?: ExecOptions): Promise<ExecResult> {
      commands.push(command);
      const a = answers.shift() ?? {};
      return { exitCode: 0, stdout: '', stderr: '', durationMs: 5, ...a };
    },
  };
  return t as unknown as Transport & { commands: string[] };
}

function location(fingerprint: string): OpenclawLocation {
  return {
    nodeId: 'n1',
    installed: true,
    home: '/h',
    bin: '/h/.npm-global/bin/openclaw',
    binSource: 'common-path',
    version: '2026.9.6',
    stateDir: '/h/oc',
    stateDirSource: 'env',
    stateDirExists: true,
    configPath: '/h/oc/openclaw.json',
    configSource: 'state',
    configExists: true,
    config: { path: '/h/oc/openclaw.json', raw: {}, resolved: {}, files: [], fingerprint },
    gatewayPort: 18789,
    gatewayPortSource: 'default',
    supervisor: 'unmanaged',
    openclawEnv: {},
    cliEnv: { PATH: '/h/.npm-global/bin:/usr/bin', OPENCLAW_STATE_DIR: "/h/o'c" },
    durationMs: 1,
  };
}

test('parses the list, tolerating log lines before the JSON', () => {
  const agents = parseAgentsListJson(`[plugins] loaded\n${listJson}\n`, '', 0, 'n1');
  assert.equal(agents.length, 2);
  assert.equal(agents[0]!.identityName, 'Molty');
  assert.equal(agents[0]!.extra.createdVia, 'operator');
  assert.equal(agents[1]!.bindings, 1);
});

test("a failing CLI gives OcmError('failed') with OpenClaw's own message", () => {
  assert.throws(
    () => parseAgentsListJson('{"ok":false,"error":{"type":"cli_error","message":"Config invalid"}}', '', 1, 'n1'),
    (e: Error & { kind?: string }) => e.kind === 'failed' && /Config invalid/.test(e.message) && /n1/.test(e.message),
  );
});

test('runs the located binary with its environment quoted, and caches until the config fingerprint changes', async () => {
  const t = fakeTransport([{ stdout: listJson }, { stdout: listJson }]);
  const cache = new AgentsCliCache();
  const first = await confirmAgentsWithCli(t, location('A'), { cache });
  assert.equal(first.cached, false);
  assert.match(t.commands[0]!, /export PATH=.*OPENCLAW_STATE_DIR='\/h\/o'\\''c'; cd && \/h\/\.npm-global\/bin\/openclaw agents list --json/);
  const second = await confirmAgentsWithCli(t, location('A'), { cache });
  assert.equal(second.cached, true);
  assert.equal(t.commands.length, 1);
  await confirmAgentsWithCli(t, location('B'), { cache });
  assert.equal(t.commands.length, 2);
});

test('mergeCliAgents: the CLI answer wins and differences are reported', () => {
  const cli = parseAgentsListJson(listJson, '', 0, 'n1');
  const fast = [
    { id: 'main', workspace: '/h/.openclaw/workspace', agentDir: '/h/.openclaw/agents/main/agent', isDefault: true, source: 'entries' as const, model: 'm1' },
    { id: 'work', workspace: '/h/WRONG', agentDir: '/h/.openclaw/agents/work/agent', isDefault: false, source: 'entries' as const },
  ];
  const merged = mergeCliAgents(fast, cli);
  assert.deepEqual(merged.corrected, ['work']);
  assert.equal(merged.agents[1]!.workspace, '/h/.openclaw/workspace-work');
  assert.equal(merged.agents[0]!.model, 'm1');
});
