import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateExtension, extension, testHome, writeRegistry } from '../support/vscode/extension-host';

suite('activation', () => {
  test('the extension activates and exposes its API with the test home', async () => {
    await writeRegistry([]);
    const api = await activateExtension();
    assert.equal(extension().isActive, true);
    assert.equal(api.home, testHome());
    assert.equal(api.registry.file, `${testHome()}/nodes.json`);
  });

  test('opening the Nodes view works after activation', async () => {
    await activateExtension();
    // The view container's generated focus command exists only when the manifest's view is registered.
    await vscode.commands.executeCommand('openclaw.nodes.focus');
  });
});
