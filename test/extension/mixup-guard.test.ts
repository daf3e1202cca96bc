import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { OcmError } from '../../src/core/errors';
import { backupNode, BackupStore } from '../../src/core/backup';
import { storePreEditBackup } from '../../src/core/history';
import { LocalTransport } from '../../src/core/transport/local-transport';
import type { BackupEntryItem } from '../../src/extension/backups/tree';
import { liveUri } from '../../src/extension/fs/uris';
import type { AgentItem, FileItem, TreeNode } from '../../src/extension/tree/nodes-tree';
import { atlas, juniper, nova } from '../core/guard/corpus-agents';
import type { ExtensionApi } from '../../src/extension/extension';
import { activateExtension, writeRegistry } from '../support/vscode/extension-host';

/**
 * The mix-up guard inside a real VS Code: a node (host "local") with two agents; pasting one
 * agent's memory into the other's MEMORY.md and saving stops the save with the guard's question
 * (answered here through the provider's replaceable handler, as the conflict tests do); Cancel
 * keeps the node's file, Save Anyway writes it. The tree marks memory files for Show Timeline.
 */
/** Answers the guard's question in the live file system with `answer()`, keeping what was asked; restore() puts the handler back. */
function answerMixups(api: ExtensionApi, answer: () => 'save' | 'cancel'): { asked: OcmError[]; restore(): void } {
  const asked: OcmError[] = [];
  const previous = api.liveFs.mixupHandler;
  api.liveFs.mixupHandler = async (_uri, e) => {
    asked.push(e);
    return answer();
  };
  return { asked, restore: () => (api.liveFs.mixupHandler = previous) };
}

suite('Mix-up guard and timeline (openclaw://)', () => {
  let root: string;
  let opsMemory: string;
  let researchMemory: string;

  suiteSetup(async () => {
    root = await mkdtemp(join(tmpdir(), 'ocm-ext-mixup-'));
    const state = join(root, '.openclaw');
    const ops = join(state, 'workspace-ops');
    const research = join(state, 'workspace-research');
    await mkdir(ops, { recursive: true });
    await mkdir(research, { recursive: true });
    await writeFile(
      join(state, 'openclaw.json'),
      JSON.stringify({ agents: { entries: { ops: { name: 'Atlas', workspace: ops, default: true }, research: { name: 'Nova', workspace: research } } } }),
    );
    opsMemory = join(ops, 'MEMORY.md');
    researchMemory = join(research, 'MEMORY.md');
    await writeFile(opsMemory, atlas.files['MEMORY.md']);
    await writeFile(researchMemory, nova.files['MEMORY.md']);
    await writeRegistry([{ id: 'mix', host: 'local', stateDir: state }]);
    const api = await activateExtension();
    // A version of Nova's memory ocm already knows (a save or a backup in the past).
    await storePreEditBackup(api.home, { nodeId: 'mix', remotePath: researchMemory, content: Buffer.from(nova.files['MEMORY.md']), reason: 'saved' });
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await rm(root, { recursive: true, force: true });
  });

  test('memory files in the tree offer Show Timeline (contextValue file.memory)', async () => {
    const api = await activateExtension();
    api.tree.refresh();
    const nodes = await api.tree.getChildren();
    const node = nodes.find((n) => n.kind === 'node' && n.node.id === 'mix')!;
    const agents = (await api.tree.getChildren(node)).filter((c): c is AgentItem => c.kind === 'agent');
    const ops = agents.find((a) => a.agent.id === 'ops')!;
    const files = (await api.tree.getChildren(ops)) as FileItem[];
    const memory = files.find((f) => f.label === 'MEMORY.md')!;
    assert.equal(memory.agentId, 'ops');
    assert.equal(api.tree.getTreeItem(memory).contextValue, 'file.memory');
    assert.ok((await vscode.commands.getCommands(true)).includes('openclaw.showTimeline'));
  });

  test('the editor’s own Save goes through the guard too (USER.md pasted from another agent)', async () => {
    const api = await activateExtension();
    const { asked, restore } = answerMixups(api, () => 'cancel');
    try {
      const userMd = join(opsMemory, '..', 'USER.md');
      await writeFile(userMd, atlas.files['USER.md']);
      await storePreEditBackup(api.home, {
        nodeId: 'mix',
        remotePath: join(researchMemory, '..', 'USER.md'),
        content: Buffer.from(nova.files['USER.md']),
        reason: 'saved',
      });
      await api.guard?.refreshAll();
      const doc = await vscode.workspace.openTextDocument(liveUri('mix', userMd));
      const editor = await vscode.window.showTextDocument(doc);
      await editor.edit((e) => e.insert(new vscode.Position(doc.lineCount, 0), nova.files['USER.md'].split('\n').slice(2).join('\n')));
      // VS Code's save may report before the provider has answered: wait for the guard's question.
      const saved = await doc.save();
      const deadline = Date.now() + 15_000;
      while (asked.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(asked.length, 1, "the guard's question was asked");
      assert.equal(saved, false, 'the save is stopped');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(doc.isDirty, true, 'the edit is still in the editor');
      assert.equal(await readFile(userMd, 'utf8'), atlas.files['USER.md'], 'nothing written');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    } finally {
      restore();
    }
  });

  test('a save that brings in another agent’s memory asks first: Cancel keeps the node’s file, Save Anyway writes it', async () => {
    const api = await activateExtension();
    let answer: 'save' | 'cancel' = 'cancel';
    const { asked, restore } = answerMixups(api, () => answer);
    try {
      const uri = liveUri('mix', opsMemory);
      const doc = await vscode.workspace.openTextDocument(uri);
      assert.equal(doc.getText(), atlas.files['MEMORY.md']);
      const pasted = doc.getText() + '\n' + nova.files['MEMORY.md'].split('\n').slice(8, 14).join('\n') + '\n';
      const write = (text: string) => Promise.resolve(vscode.workspace.fs.writeFile(uri, Buffer.from(text)));
      await assert.rejects(write(pasted), (e: Error) => /another agent/.test(e.message), 'the save is stopped');
      assert.equal(asked.length, 1);
      const findings = asked[0]!.details.findings as { other: { agentId: string }; file?: { remotePath: string }; lines: number[] }[];
      assert.equal(findings[0]!.other.agentId, 'research');
      assert.equal(findings[0]!.file?.remotePath, researchMemory);
      assert.ok(findings[0]!.lines.length > 0);
      assert.equal(await readFile(opsMemory, 'utf8'), atlas.files['MEMORY.md'], 'nothing written');

      answer = 'save';
      await write(pasted);
      assert.equal(asked.length, 2);
      assert.match(await readFile(opsMemory, 'utf8'), /RAG legal review/);

      // An ordinary edit afterwards does not ask.
      await write(pasted + '- Lena approved the DNS change.\n');
      assert.equal(asked.length, 2);
      assert.match(await readFile(opsMemory, 'utf8'), /Lena approved/);
    } finally {
      restore();
    }
  });

  test('text just saved into one agent is its own at once: the same text saved into another agent asks, naming the first', async () => {
    const api = await activateExtension();
    const { asked, restore } = answerMixups(api, () => 'cancel');
    try {
      const section = '\n## Incident notes\n' + juniper.files['MEMORY.md'].split('\n').slice(2).join('\n');
      const ops = liveUri('mix', opsMemory);
      const opsText = (await readFile(opsMemory, 'utf8')) + section;
      await vscode.workspace.fs.writeFile(ops, Buffer.from(opsText));
      assert.equal(asked.length, 0, 'new text of its own: no question');
      // The guard learns the saved text in the background, right after the save.
      const deadline = Date.now() + 10_000;
      const learnt = async () => (await api.guard!.guard.ready()).files.some((f) => f.remotePath === opsMemory && f.from.live === true);
      while (!(await learnt()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(await learnt(), "ops's saved text is in the guard's index");
      const research = liveUri('mix', researchMemory);
      await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(research, Buffer.from(nova.files['MEMORY.md'] + section))), (e: Error) =>
        /another agent/.test(e.message),
      );
      assert.equal((asked[0]?.details.findings as { other: { agentId: string } }[])[0]?.other.agentId, 'ops');
      assert.equal(await readFile(researchMemory, 'utf8'), nova.files['MEMORY.md'], 'nothing written');
    } finally {
      restore();
    }
  });

  test('Show Timeline lists the file’s versions and opens the newest one beside the previous one', async function () {
    this.timeout(60_000);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const running = vscode.commands.executeCommand('openclaw.showTimeline', liveUri('mix', opsMemory));
    await sleep(5000); // the quick pick of versions (no API tells when a quick pick is shown: generous waits)
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem'); // newest version
    await sleep(3000); // the quick pick of actions: Open, Compare with the previous version, ...
    await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    await running;
    const deadline = Date.now() + 10_000;
    let tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    while (!(tab?.input instanceof vscode.TabInputTextDiff) && Date.now() < deadline) {
      await sleep(100);
      tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    }
    assert.ok(tab?.input instanceof vscode.TabInputTextDiff, `a diff editor opened (active tab: ${tab?.label})`);
    const input = tab.input as vscode.TabInputTextDiff;
    assert.equal(input.original.scheme, 'openclaw-history');
    assert.equal(input.modified.scheme, 'openclaw-history');
    assert.match(tab.label, /MEMORY\.md #\d+ ↔ #\d+/);
    const newer = await vscode.workspace.openTextDocument(input.modified);
    assert.match(newer.getText(), /Lena approved/);
  });

  test('restoring a backup whose MEMORY.md holds another agent’s text stops, rolled back, and asks: no keeps the node’s file, Restore Anyway writes it', async function () {
    this.timeout(90_000);
    const api = await activateExtension();
    const pasted = atlas.files['MEMORY.md'] + '\n' + nova.files['MEMORY.md'];
    const before = await readFile(opsMemory, 'utf8');
    // A backup taken while Nova's memory was pasted into Atlas's, then the file cleaned up.
    await writeFile(opsMemory, pasted);
    const state = join(root, '.openclaw');
    const transport = new LocalTransport({ nodeId: 'mix' });
    const sources = {
      stateDir: state,
      configPath: join(state, 'openclaw.json'),
      workspaceDirs: [join(state, 'workspace-ops'), join(state, 'workspace-research')],
      agentDirs: [],
    };
    const store = BackupStore.forHome(api.home);
    const { index } = await backupNode({ store, nodeId: 'mix', transport, engine: 'ocm', sources });
    // …cleaned up, and backed up again: what ocm knows of Atlas's memory is Atlas's own again.
    await writeFile(opsMemory, before);
    await backupNode({ store, nodeId: 'mix', transport, engine: 'ocm', sources }).finally(() => transport.close());
    await api.guard?.refreshAll();
    api.tree.refresh();
    const node = (await api.tree.getChildren()).find((n) => n.kind === 'node' && n.node.id === 'mix')!;
    const group = (await api.tree.getChildren(node)).find((c) => c.kind === 'backups')!;
    let current: TreeNode = (await api.tree.getChildren(group)).find((c) => c.kind === 'backup' && c.summary.id === index.id)!;
    assert.ok(current, 'the backup is in the tree');
    let item: BackupEntryItem | undefined;
    while (!item) {
      const rows = (await api.tree.getChildren(current)) as BackupEntryItem[];
      item = rows.find((r) => r.entry.path === opsMemory);
      current = item ?? rows.find((r) => r.entry.type === 'directory' && opsMemory.startsWith(r.entry.path + '/'))!;
      assert.ok(current, 'a row leads to MEMORY.md');
    }
    const asked: string[] = [];
    let answer = false;
    api.operations = { confirm: async () => true, restoreAnyway: async (message) => (asked.push(message), answer) };
    try {
      await vscode.commands.executeCommand('openclaw.restoreBackup', item);
      assert.equal(asked.length, 1, `the guard’s question was asked (the file now has ${(await readFile(opsMemory, 'utf8')).length} characters)`);
      assert.match(asked[0]!, /MEMORY\.md looks like another agent's memory/);
      assert.match(asked[0]!, /research/);
      assert.equal(await readFile(opsMemory, 'utf8'), before, 'declined: the node keeps its file');
      answer = true;
      await vscode.commands.executeCommand('openclaw.restoreBackup', item);
      assert.equal(await readFile(opsMemory, 'utf8'), pasted, 'Restore Anyway writes the backup’s bytes');
    } finally {
      delete api.operations;
      await writeFile(opsMemory, before);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });
});
