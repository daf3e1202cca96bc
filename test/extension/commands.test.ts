import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateExtension, extension, writeRegistry } from '../support/vscode/extension-host';

interface ManifestContributions {
  commands?: { command: string }[];
  views?: Record<string, { id: string }[]>;
}

suite('commands', () => {
  test('every command in package.json is registered, and every registered openclaw.* command is declared', async () => {
    await activateExtension();
    const contributes = extension().packageJSON.contributes as ManifestContributions;
    const declared = (contributes.commands ?? []).map((c) => c.command).sort();
    // VS Code generates "<viewId>.focus" and similar for each view: those are not ours to declare.
    const viewIds = Object.values(contributes.views ?? {})
      .flat()
      .map((v) => v.id);
    const registered = (await vscode.commands.getCommands(true))
      .filter((id) => id.startsWith('openclaw.'))
      .filter((id) => !viewIds.some((view) => id.startsWith(`${view}.`)))
      .sort();
    assert.deepEqual(registered, declared);
  });

  test('"Open nodes.json" opens the registry file of the ocm home in an editor', async () => {
    // Loopback on a closed port: never contacted here (only the file is opened).
    await writeRegistry([{ id: 'alpha', host: '127.0.0.1', port: 9 }]);
    const api = await activateExtension();
    await vscode.commands.executeCommand('openclaw.openRegistry');
    try {
      assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, api.registry.file);
      assert.match(vscode.window.activeTextEditor?.document.getText() ?? '', /"host": "127\.0\.0\.1"/);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });
});
