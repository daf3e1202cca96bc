import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { listDeleted, type Consequence } from '../../src/core/deletes';
import type { ApplyToAgentsResult } from '../../src/extension/bulk';
import { fromSelection } from '../../src/extension/bulk/targets';
import { liveUri } from '../../src/extension/fs/uris';
import type { TreeNode } from '../../src/extension/tree/nodes-tree';
import { activateExtension, writeRegistry } from '../support/vscode/extension-host';

/**
 * Apply to Agents and Recently Deleted inside a real VS Code, on two local nodes (host "local",
 * each with its own state dir and two agents): the multi-diff preview opens before anything
 * changes, apply and undo go through the safe save; a delete keeps the file, shows it under the
 * node's Recently Deleted and restores it byte for byte; deleting openclaw.json asks first.
 */
suite('Apply to Agents and Recently Deleted', () => {
  let root: string;
  const state = (n: string) => join(root, n, '.openclaw');
  const ws = (n: string, a: string) => join(state(n), a === 'main' ? 'workspace' : `workspace-${a}`);
  const soul = (n: string, a: string) => `# ${a}@${n}\n\n## Tools\n- ${a} only\n\n## Rules\nbe ${a}\n`;
  const all = [
    ['b1', 'main'],
    ['b1', 'research'],
    ['b2', 'main'],
    ['b2', 'research'],
  ] as const;

  suiteSetup(async () => {
    root = await mkdtemp(join(tmpdir(), 'ocm-ext-bulk-'));
    for (const n of ['b1', 'b2']) {
      for (const a of ['main', 'research']) {
        await mkdir(ws(n, a), { recursive: true });
        await writeFile(join(ws(n, a), 'SOUL.md'), soul(n, a));
      }
      const agents = ['main', 'research']
        .map((a) => `{ id: "${a}", ${a === 'main' ? 'default: true, ' : ''}workspace: ${JSON.stringify(ws(n, a))} }`)
        .join(', ');
      await writeFile(join(state(n), 'openclaw.json'), `{ agents: { list: [${agents}] } }\n`);
    }
    await writeRegistry([
      { id: 'b1', host: 'local', stateDir: state('b1'), labels: ['fleet'] },
      { id: 'b2', host: 'local', stateDir: state('b2'), labels: ['fleet'] },
    ]);
    const api = await activateExtension();
    api.tree.refresh();
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await rm(root, { recursive: true, force: true });
  });

  test('Apply to Agents shows every resulting file in one multi-diff editor before anything changes', async () => {
    const args = { selector: 'label:fleet', fileName: 'SOUL.md', mode: 'replaceSection', heading: '## Tools', content: '- shared tool\n', answer: 'cancel' };
    const result = (await vscode.commands.executeCommand('openclaw.applyToAgents', args)) as ApplyToAgentsResult;
    assert.equal(result.preview, 'changes');
    assert.equal(result.plan.files.filter((f) => f.action === 'update').length, 4);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.match(tab?.label ?? '', /^Apply to Agents: SOUL\.md/);
    for (const [n, a] of all) assert.equal(await readFile(join(ws(n, a), 'SOUL.md'), 'utf8'), soul(n, a), 'the preview wrote nothing');
  });

  test('confirmed, it applies through the safe save; Undo Last Bulk Apply puts the whole batch back', async () => {
    const args = { selector: 'b1,b2/main', fileName: 'SOUL.md', mode: 'append', content: '- be kind\n', answer: 'apply' };
    const result = (await vscode.commands.executeCommand('openclaw.applyToAgents', args)) as ApplyToAgentsResult;
    assert.equal(result.outcome?.ok, true, JSON.stringify(result.outcome?.failure));
    assert.equal(await readFile(join(ws('b2', 'main'), 'SOUL.md'), 'utf8'), soul('b2', 'main') + '- be kind\n');
    assert.equal(await readFile(join(ws('b2', 'research'), 'SOUL.md'), 'utf8'), soul('b2', 'research'), 'not selected: untouched');
    const undone = (await vscode.commands.executeCommand('openclaw.undoBulkApply', { answer: 'undo' })) as { undone: unknown[] };
    assert.equal(undone.undone.length, 3);
    for (const [n, a] of all) assert.equal(await readFile(join(ws(n, a), 'SOUL.md'), 'utf8'), soul(n, a));
  });

  test('a tree selection of files becomes the targets and the file name', async () => {
    const api = await activateExtension();
    const [b1] = (await api.tree.getChildren()).filter((c) => c.kind === 'node');
    const agents = (await api.tree.getChildren(b1)).filter((c): c is Extract<TreeNode, { kind: 'agent' }> => c.kind === 'agent');
    const files: TreeNode[] = [];
    for (const agent of agents) files.push(...(await api.tree.getChildren(agent)).filter((f) => f.kind === 'file'));
    assert.equal(files.length, 2);
    // the command's tree form gets (clicked, selection): the same mapping as here
    const picked = await fromSelection(api, files[0], files);
    assert.equal(picked.fileName, 'SOUL.md');
    assert.deepEqual(picked.selector?.split(',').sort(), ['b1/main', 'b1/research']);
  });

  test('deleting MEMORY.md keeps it: it shows under Recently Deleted and Restore brings it back byte for byte', async () => {
    const api = await activateExtension();
    const file = join(ws('b1', 'research'), 'MEMORY.md');
    const bytes = Buffer.from('# Memory\r\n- 大事なこと\r\n', 'utf8');
    await writeFile(file, bytes);
    let asked: Consequence[] = [];
    const original = api.liveFs.breakingHandler;
    api.liveFs.breakingHandler = async (_what, _path, _node, consequences) => {
      asked = consequences;
      return true;
    };
    try {
      await vscode.workspace.fs.delete(liveUri('b1', file));
    } finally {
      api.liveFs.breakingHandler = original;
    }
    assert.deepEqual(
      asked.map((c) => `${c.code}:${c.agentId}`),
      ['agentLosesMemory:research'],
      'it asked, naming the agent that loses its memory',
    );
    await assert.rejects(stat(file), /ENOENT/);
    const [entry] = await listDeleted(api.home, 'b1');
    assert.equal(entry?.path, file);

    const [b1] = (await api.tree.getChildren()).filter((c) => c.kind === 'node');
    const group = (await api.tree.getChildren(b1)).find((c) => c.kind === 'deletedGroup');
    assert.ok(group, 'the node has a Recently Deleted group');
    assert.equal(api.tree.getTreeItem(group).label, 'Recently Deleted');
    const items = await api.tree.getChildren(group);
    assert.equal(items.length, 1);
    assert.equal(api.tree.getTreeItem(items[0]!).label, 'MEMORY.md');

    await vscode.commands.executeCommand('openclaw.restoreDeleted', items[0]);
    assert.deepEqual(await readFile(file), bytes);
    assert.equal((await listDeleted(api.home, 'b1')).length, 0);
  });

  test('deleting openclaw.json asks first and says the gateway will not start; "no" keeps it', async () => {
    const api = await activateExtension();
    const cfg = join(state('b2'), 'openclaw.json');
    let asked: Consequence[] = [];
    const original = api.liveFs.breakingHandler;
    api.liveFs.breakingHandler = async (_what, _path, _node, consequences) => {
      asked = consequences;
      return false;
    };
    try {
      await assert.rejects(Promise.resolve(vscode.workspace.fs.delete(liveUri('b2', cfg))), /Cancelled: nothing was changed/);
    } finally {
      api.liveFs.breakingHandler = original;
    }
    assert.deepEqual(
      asked.map((c) => c.code),
      ['gatewayWontStart'],
    );
    assert.ok((await stat(cfg)).isFile());
  });
});
