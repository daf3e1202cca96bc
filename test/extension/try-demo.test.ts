import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { demoLayout, stopDemo, type DemoStartResult } from '../../src/core/demo';
import type { TreeNode } from '../../src/extension/tree/nodes-tree';
import { activateExtension, extension, treeLabels, writeRegistry } from '../support/vscode/extension-host';

/**
 * "Try a Demo Node…" in a real VS Code: the welcome view offers it, and the command (confirmation
 * skipped) builds the same demo as `npm start` with the OpenClaw of the tools cache, adds demo-a and
 * demo-b to the registry, and the tree expands them into their agents through the same model as a
 * remote node. The demo is stopped (by pid) at the end.
 */
/** Pids whose environment has HOME inside `root` (every OpenClaw process of a demo node). */
function processesUnder(root: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return readFileSync(`/proc/${n}/environ`)
          .toString('utf8')
          .split('\0')
          .some((e) => e.startsWith(`HOME=${root}/`));
      } catch {
        return false;
      }
    })
    .map(Number);
}

suite('Try a Demo Node', () => {
  test('the welcome view links the command; the command builds two ready demo nodes whose agents the tree shows', async function () {
    this.timeout(900_000);
    const welcome = (extension().packageJSON.contributes.viewsWelcome as Array<{ view: string; contents: string }>).map((w) => w.contents).join('\n');
    assert.match(welcome, /welcomeDemo|openclaw\.tryDemo/);
    await writeRegistry([]);
    const api = await activateExtension();
    let result: DemoStartResult | undefined;
    try {
      result = (await vscode.commands.executeCommand('openclaw.tryDemo', { confirmed: true, memoryAgent: false })) as DemoStartResult | undefined;
      assert.ok(result, 'the command returned a result (see the OpenClaw Manager log for errors)');
      assert.deepEqual(
        result.nodes.map((n) => [n.id, n.ready, n.error]),
        [
          ['demo-a', true, undefined],
          ['demo-b', true, undefined],
        ],
      );
      assert.deepEqual(
        (await api.registry.list()).map((n) => [n.id, n.host]),
        [
          ['demo-a', 'local'],
          ['demo-b', 'local'],
        ],
      );
      assert.deepEqual(await treeLabels(api), ['demo-a', 'demo-b']);
      const [a] = await api.tree.getChildren();
      const children: TreeNode[] = await api.tree.getChildren(a);
      const labels = children.map((c) => {
        const label = api.tree.getTreeItem(c).label;
        return typeof label === 'string' ? label : (label?.label ?? '');
      });
      for (const agent of ['main', 'research', 'support']) assert.ok(labels.includes(agent), `demo-a shows ${agent}: ${labels.join(', ')}`);
    } finally {
      const stateDir = result?.nodes[0]?.stateDir;
      if (stateDir) {
        const root = dirname(dirname(dirname(stateDir)));
        await stopDemo(demoLayout({ root }), { registry: api.registry.file });
        // The tree's own `openclaw agents list` runs (not the demo's) may still be finishing.
        for (let i = 0; i < 120 && processesUnder(root).length > 0; i++) await new Promise((r) => setTimeout(r, 500));
        assert.deepEqual(processesUnder(root), [], 'no demo process is left');
      }
    }
  });
});
