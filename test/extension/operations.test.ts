import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { backupNode, BackupStore, type BackupIndex } from '../../src/core/backup';
import type { OperationPlan } from '../../src/core/operations';
import { LocalTransport } from '../../src/core/transport/local-transport';
import type { BackupEntryItem } from '../../src/extension/backups/tree';
import type { TreeNode } from '../../src/extension/tree/nodes-tree';
import { activateExtension, extension, writeRegistry } from '../support/vscode/extension-host';

/**
 * Restore in the real workbench: the plan is previewed in a diff editor BEFORE anything changes on
 * the node, and applied only after the user confirms. (The node is this machine, host "local".)
 */
const NODE_ID = 'op-local';

suite('Operations: restore preview', () => {
  let root: string;
  let stateDir: string;
  let memory: string;
  let index: BackupIndex;

  suiteSetup(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'ocm-ops-ext-'));
    stateDir = join(root, 'state');
    const workspace = join(stateDir, 'workspace');
    const fixture = join(extension().extensionPath, 'test', 'fixtures', 'openclaw', 'v2026.9.6', 'home', '.openclaw', 'workspace');
    await fs.mkdir(stateDir, { recursive: true });
    await fs.cp(fixture, workspace, { recursive: true });
    await fs.writeFile(join(stateDir, 'openclaw.json'), JSON.stringify({ agents: { list: [{ id: 'main', default: true, workspace }] } }, null, 2) + '\n');
    memory = join(workspace, 'MEMORY.md');
    await fs.writeFile(memory, '# Memory\n\n- the fact worth keeping\n');
    await writeRegistry([{ id: NODE_ID, host: 'local', stateDir }]);
    const api = await activateExtension();
    const transport = new LocalTransport({ nodeId: NODE_ID });
    try {
      const sources = { stateDir, configPath: join(stateDir, 'openclaw.json'), workspaceDirs: [workspace], agentDirs: [] };
      index = (await backupNode({ store: BackupStore.forHome(api.home), nodeId: NODE_ID, transport, engine: 'ocm', sources })).index;
    } finally {
      await transport.close();
    }
  });

  suiteTeardown(async () => {
    const api = await activateExtension();
    delete api.operations;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await fs.rm(root, { recursive: true, force: true });
  });

  /**
   * The backup's row for `path`, walked down from the node in the Nodes tree as a user would (the
   * backup was made outside the extension, like the CLI's: the listing makes its files readable).
   */
  async function entryItem(path: string): Promise<BackupEntryItem> {
    const api = await activateExtension();
    const node = (await api.tree.getChildren()).find((n) => n.kind === 'node' && n.node.id === NODE_ID);
    assert.ok(node, `node ${NODE_ID} is not in the tree`);
    const group = (await api.tree.getChildren(node)).find((c) => c.kind === 'backups');
    assert.ok(group, `no Backups group under ${NODE_ID}`);
    const backup = (await api.tree.getChildren(group)).find((c) => c.kind === 'backup' && c.summary.id === index.id);
    assert.ok(backup, `backup ${index.id} is not in the Backups group`);
    let current: TreeNode = backup;
    for (;;) {
      const children = (await api.tree.getChildren(current)) as BackupEntryItem[];
      const hit = children.find((c) => c.entry.path === path);
      if (hit) return hit;
      const next = children.find((c) => c.entry.type === 'directory' && path.startsWith(c.entry.path + '/'));
      assert.ok(next, `no row leads to ${path}; rows: ${children.map((c) => c.entry.path).join(', ')}`);
      current = next;
    }
  }

  function diffTabOpen(): boolean {
    return vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputTextDiff || isMultiDiff(t.input)));
  }

  /** The multi-diff editor's tab input (newer than the @types/vscode we build against). */
  function isMultiDiff(input: unknown): boolean {
    const ctor = (vscode as unknown as { TabInputTextMultiDiff?: new (...args: never[]) => unknown }).TabInputTextMultiDiff;
    return ctor !== undefined && input instanceof ctor;
  }

  test('declining the previewed plan changes nothing on the node', async () => {
    const api = await activateExtension();
    await fs.writeFile(memory, '# Memory\n\n(corrupted)\n');
    let seen: OperationPlan | undefined;
    api.operations = { confirm: async (plan) => ((seen = plan), false) };
    await vscode.commands.executeCommand('openclaw.restoreBackup', await entryItem(memory));
    assert.ok(seen, 'the plan was put to the user');
    assert.deepEqual(
      seen.files.map((f) => [f.path, f.action]),
      [[memory, 'update']],
    );
    assert.equal(await fs.readFile(memory, 'utf8'), '# Memory\n\n(corrupted)\n');
  });

  test('restoring one file shows the diff first, then writes the backup’s bytes after confirmation', async () => {
    const api = await activateExtension();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await fs.writeFile(memory, '# Memory\n\n(corrupted again)\n');
    let previewed = false;
    let contentWhenAsked = '';
    api.operations = {
      confirm: async () => {
        previewed = diffTabOpen();
        contentWhenAsked = await fs.readFile(memory, 'utf8');
        return true;
      },
    };
    await vscode.commands.executeCommand('openclaw.restoreBackup', await entryItem(memory));
    assert.ok(previewed, 'a diff editor was open when the user was asked');
    assert.equal(contentWhenAsked, '# Memory\n\n(corrupted again)\n', 'nothing changed before confirmation');
    assert.equal(await fs.readFile(memory, 'utf8'), '# Memory\n\n- the fact worth keeping\n');
  });
});
