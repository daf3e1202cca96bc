import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ApplyToAgentsResult } from '../../src/extension/bulk';
import { atlas, juniper, nova } from '../core/guard/corpus-agents';
import { activateExtension, writeRegistry } from '../support/vscode/extension-host';

/**
 * Apply to Agents and the mix-up guard inside a real VS Code: a SOUL.md template written for
 * research applied to every agent of a node (host "local") is flagged for the two other agents
 * after the multi-diff preview; plain Apply writes nothing, Apply Anyway writes the whole batch.
 */
suite('Apply to Agents: mix-up guard', () => {
  let root: string;
  const fixtures = { main: atlas, research: nova, support: juniper };
  const ws = (a: string) => join(root, '.openclaw', `workspace-${a}`);
  const template = nova.files['SOUL.md'] + '\nAlways give the DOI of a paper you cite.\n';
  const unchanged = async () => {
    for (const [a, f] of Object.entries(fixtures)) assert.equal(await readFile(join(ws(a), 'SOUL.md'), 'utf8'), f.files['SOUL.md'], `${a} untouched`);
  };

  suiteSetup(async () => {
    root = await mkdtemp(join(tmpdir(), 'ocm-ext-bulk-guard-'));
    const entries: Record<string, unknown> = {};
    for (const [a, f] of Object.entries(fixtures)) {
      await mkdir(ws(a), { recursive: true });
      for (const [name, text] of Object.entries(f.files)) await writeFile(join(ws(a), name), text);
      entries[a] = { name: f.name, workspace: ws(a), ...(a === 'main' ? { default: true } : {}) };
    }
    await writeFile(join(root, '.openclaw', 'openclaw.json'), JSON.stringify({ agents: { entries } }));
    await writeRegistry([{ id: 'g1', host: 'local', stateDir: join(root, '.openclaw') }]);
    const api = await activateExtension();
    api.tree.refresh();
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await rm(root, { recursive: true, force: true });
  });

  test("research's template applied to the whole node: main and support are flagged, Apply writes nothing", async () => {
    const args = { selector: 'g1', fileName: 'SOUL.md', mode: 'template', content: template, answer: 'apply' };
    const result = (await vscode.commands.executeCommand('openclaw.applyToAgents', args)) as ApplyToAgentsResult;
    assert.equal(result.preview, 'changes', 'the multi-diff preview was shown');
    assert.equal(result.outcome, undefined, 'not applied');
    assert.deepEqual(result.refused?.map((f) => `${f.agentId}:${f.mixup?.[0]?.other.agentId}`).sort(), ['main:research', 'support:research']);
    assert.equal(result.plan.guard?.checked, 3);
    await unchanged();
  });

  test('Apply Anyway writes the whole batch on purpose; Undo puts it back', async () => {
    const args = { selector: 'g1', fileName: 'SOUL.md', mode: 'template', content: template, answer: 'applyAnyway' };
    const result = (await vscode.commands.executeCommand('openclaw.applyToAgents', args)) as ApplyToAgentsResult;
    assert.equal(result.outcome?.ok, true, JSON.stringify(result.outcome?.failure));
    assert.deepEqual(result.outcome?.batch.mixupOverride?.map((f) => f.agentId).sort(), ['main', 'support']);
    assert.equal(await readFile(join(ws('support'), 'SOUL.md'), 'utf8'), template);
    await vscode.commands.executeCommand('openclaw.undoBulkApply', { answer: 'undo' });
    await unchanged();
  });
});
