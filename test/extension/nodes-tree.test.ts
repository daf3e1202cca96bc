import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateExtension, runCli, treeChangeTo, treeLabels, treeQuiet, writeRegistry } from '../support/vscode/extension-host';

// Only loopback (the tree never connects in these tests; 9 is a closed port) and a bare ssh_config alias.
const nodes = [
  { id: 'alpha', host: '127.0.0.1', user: 'claw', port: 9 },
  { id: 'beta', host: 'beta-alias', port: 2222 },
  { id: 'gamma', host: 'localhost', port: 9, status: 'retired' as const },
];

suite('Nodes tree', () => {
  teardown(async () => {
    await vscode.commands.executeCommand('openclaw.hideRetired');
  });

  test('lists the active nodes of the registry file, in file order', async () => {
    await writeRegistry(nodes);
    const api = await activateExtension();
    assert.deepEqual(await treeLabels(api), ['alpha', 'beta']);
  });

  test('shows a node as user@host:port and marks it by status for menus', async () => {
    await writeRegistry(nodes);
    const api = await activateExtension();
    const [alpha, beta] = await api.tree.getChildren();
    assert.equal(api.tree.getTreeItem(alpha!).description, 'claw@127.0.0.1:9');
    assert.equal(api.tree.getTreeItem(beta!).description, 'beta-alias:2222');
    assert.equal(api.tree.getTreeItem(beta!).contextValue, 'node.active');
  });

  test('retired nodes appear only after "Show Retired Nodes"', async () => {
    await writeRegistry(nodes);
    const api = await activateExtension();
    await vscode.commands.executeCommand('openclaw.showRetired');
    assert.deepEqual(await treeLabels(api), ['alpha', 'beta', 'gamma']);
    const gamma = (await api.tree.getChildren())[2]!;
    assert.equal(api.tree.getTreeItem(gamma).contextValue, 'node.retired');
    await vscode.commands.executeCommand('openclaw.hideRetired');
    assert.deepEqual(await treeLabels(api), ['alpha', 'beta']);
  });

  test('refreshes when the ocm CLI changes nodes.json from outside', async () => {
    await writeRegistry(nodes);
    const api = await activateExtension();
    assert.deepEqual(await treeLabels(api), ['alpha', 'beta']);
    await treeQuiet(api);

    const refreshed = treeChangeTo(api, ['alpha', 'beta', 'delta'], 'after "ocm add delta" wrote nodes.json');
    const added = await runCli(['add', 'delta', 'ops@127.0.0.1:2200']);
    assert.equal(added.code, 0, `ocm add failed: ${added.stderr}`);
    await refreshed;
    await treeQuiet(api);

    const retiredRefresh = treeChangeTo(api, ['beta', 'delta'], 'after "ocm retire alpha" wrote nodes.json');
    const retired = await runCli(['retire', 'alpha']);
    assert.equal(retired.code, 0, `ocm retire failed: ${retired.stderr}`);
    await retiredRefresh;
  });

  test('a malformed registry shows the reason in the tree instead of an empty list', async () => {
    await writeRegistry([{ id: 'bad id with spaces', host: 'x' }]);
    const api = await activateExtension();
    const children = await api.tree.getChildren();
    assert.equal(children.length, 1);
    const item = api.tree.getTreeItem(children[0]!);
    assert.equal(item.contextValue, 'message');
    assert.match(String(item.tooltip), /nodes\.json/);
    assert.match(String(item.tooltip), /nodes\[0\]\.id/);
  });
});
