import * as assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { MigrationPlan } from '../../src/core/operations/migrate';
import type { MigrateAnswers } from '../../src/extension/commands/migrate-node';
import { activateExtension, extension, writeRegistry } from '../support/vscode/extension-host';

/**
 * Migrate in the real workbench, with a real OpenClaw 2026.9.6 on two nodes on this machine: the
 * adapted openclaw.json is shown as a diff against the source's BEFORE the user is asked, and
 * declining leaves both nodes exactly as they were.
 */
suite('Operations: migrate preview', () => {
  let root: string;
  let nodes: {
    sourceStateDir: string;
    targetStateDir: string;
    nodes: Array<{ id: string; host: string; stateDir: string; openclawPath: string; labels: string[] }>;
  };
  let sourceConfig: string;

  suiteSetup(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'ocm-migrate-ext-'));
    const { localMigrationNodes } = await import('../support/vscode/local-migration.mjs');
    nodes = localMigrationNodes(root, join(extension().extensionPath, 'test', 'fixtures', 'openclaw'));
    sourceConfig = await fs.readFile(join(nodes.sourceStateDir, 'openclaw.json'), 'utf8');
    await writeRegistry(nodes.nodes);
    await activateExtension();
  });

  suiteTeardown(async () => {
    const api = await activateExtension();
    delete api.operations;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await fs.rm(root, { recursive: true, force: true });
  });

  function previewTabLabels(): string[] {
    return vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label)).filter((l) => l.includes('Migration preview') || l.includes('openclaw.json'));
  }

  test('the adapted openclaw.json is previewed before the question; declining changes neither node', async function () {
    this.timeout(180_000);
    const api = await activateExtension();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    let seen: MigrationPlan | undefined;
    let tabsWhenAsked: string[] = [];
    api.operations = {
      confirm: async (plan) => {
        seen = plan as MigrationPlan;
        tabsWhenAsked = previewTabLabels();
        return false;
      },
    };
    const source = (await api.tree.getChildren()).find((n) => n.kind === 'node' && n.node.id === 'workstation');
    assert.ok(source, 'the source node is in the tree');
    const answers: MigrateAnswers = { to: 'mini', port: 18999, newToken: true };
    await vscode.commands.executeCommand('openclaw.migrateNode', source, answers);

    assert.ok(seen, 'the plan was put to the user (if not, planning failed: see the OpenClaw Manager log)');
    assert.equal(seen.operation, 'migrate');
    assert.equal(seen.to.stateDir, nodes.targetStateDir);
    assert.equal(seen.to.gatewayPort, 18999);
    assert.deepEqual(seen.agents.map((a) => a.id).sort(), ['main', 'research', 'work']);
    for (const agent of seen.agents)
      assert.ok(agent.to.workspace.startsWith(nodes.targetStateDir), `${agent.id}'s workspace is rewritten: ${agent.to.workspace}`);
    const adapted = seen.config.files.find((f) => f.targetPath === join(nodes.targetStateDir, 'openclaw.json'));
    assert.ok(adapted, 'the adapted openclaw.json is in the plan');
    assert.ok(!adapted.after.includes(nodes.sourceStateDir), 'no source path is left in the adapted config');
    assert.ok(tabsWhenAsked.length > 0, 'the diff preview was open when the user was asked');

    assert.equal(existsSync(nodes.targetStateDir), false, 'nothing was written on the target');
    assert.equal(await fs.readFile(join(nodes.sourceStateDir, 'openclaw.json'), 'utf8'), sourceConfig, 'the source is unchanged');
  });
});
