import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { materialiseFixture, type MaterialisedFixture } from '../support/openclaw-fixtures';
import { activateExtension, writeRegistry } from '../support/vscode/extension-host';

/** Health at a glance: node icons/descriptions and tooltips in the tree (the dashboard: dashboard.test.ts). */
suite('Node status', () => {
  let fixture: MaterialisedFixture;

  suiteSetup(async () => {
    fixture = await materialiseFixture('v2026.9.6');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await fixture.cleanup();
  });

  test('a check shows each node’s health in the tree', async () => {
    // "here" is this machine (no openclaw binary on its PATH); "nowhere" refuses connections.
    await writeRegistry([
      { id: 'here', host: 'local', stateDir: fixture.stateDir },
      { id: 'nowhere', host: '127.0.0.1', port: 9, user: 'nobody' },
    ]);
    const api = await activateExtension();
    api.tree.refresh();
    await api.monitor.refresh();

    const [here, nowhere] = await api.tree.getChildren();
    const hereItem = api.tree.getTreeItem(here!);
    const nowhereItem = api.tree.getTreeItem(nowhere!);
    assert.match(String(hereItem.description), /no OpenClaw|OpenClaw なし/);
    assert.match(String(hereItem.contextValue), /^node\.active\.local\.(warning|error)$/);
    assert.match(String(nowhereItem.description), /unreachable|接続不可|host key|ホスト鍵/);
    assert.match(String(nowhereItem.contextValue), /^node\.active\.error$/);
    const resolved = await api.tree.resolveTreeItem(nowhereItem, nowhere!);
    const tooltip = resolved?.tooltip;
    assert.ok(tooltip instanceof vscode.MarkdownString && tooltip.value.includes('nowhere'));
    assert.match(tooltip.value, /\*\*(Unreachable|接続不可)\*\*: /, 'the tooltip says unreachable and why');
    assert.equal((nowhereItem.iconPath as vscode.ThemeIcon).id, 'debug-disconnect');
    assert.notEqual((hereItem.iconPath as vscode.ThemeIcon).id, 'pass-filled', 'no OpenClaw: not shown as ready');
  });
});
