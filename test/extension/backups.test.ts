import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { backupNode, BackupStore, readArchiveFile, verifyArchive, type BackupIndex } from '../../src/core/backup';
import { entryObjects, type SnapshotVerifyResult } from '../../src/core/repository';
import { packPath } from '../../src/core/repository/packs';
import type { BackupRunOutcome } from '../../src/extension/commands/backup-node';
import type { Comparison } from '../../src/extension/backups/compare';
import { BackupCatalog } from '../../src/extension/backups/catalog';
import type { BackupUiDeps } from '../../src/extension/backups/deps';
import { BackupScheduler, scheduleIntervalMs } from '../../src/extension/backups/schedule';
import { BackupsTreeContributor } from '../../src/extension/backups/tree';
import { registryPath } from '../../src/core/home';
import { NodeRegistry } from '../../src/core/registry';
import { transportForNode } from '../../src/core/transport/for-node';
import { LocalTransport } from '../../src/core/transport/local-transport';
import type { ExtensionApi } from '../../src/extension/extension';
import type { BackupEntryItem, BackupItem, BackupTreeNode } from '../../src/extension/backups/tree';
import type { TreeNode } from '../../src/extension/tree/nodes-tree';
import { activateExtension, extension, testHome, writeRegistry } from '../support/vscode/extension-host';

/**
 * Backups in the real workbench: a node with host "local" whose OpenClaw-like state dir (workspace
 * files from the 2026.9.6 fixture) lives in a temp folder; backups are made with the core's own
 * engine (no openclaw binary here) or through the extension's command. The test's BackupStore is
 * its own instance over the extension's repository, as the CLI's would be: backups it makes while
 * the extension is running must be readable there too.
 */

const NODE_ID = 'bk-local';

let root: string;
let stateDir: string;
let workspace: string;
let store: BackupStore;

async function makeState(): Promise<void> {
  root = await fs.mkdtemp(join(tmpdir(), 'ocm-backups-ext-'));
  stateDir = join(root, 'state');
  workspace = join(stateDir, 'workspace');
  const fixture = join(extension().extensionPath, 'test', 'fixtures', 'openclaw', 'v2026.9.6', 'home', '.openclaw', 'workspace');
  await fs.mkdir(stateDir, { recursive: true });
  await fs.cp(fixture, workspace, { recursive: true });
  const config = { agents: { list: [{ id: 'main', default: true, workspace }] }, gateway: { port: 18789 } };
  await fs.writeFile(join(stateDir, 'openclaw.json'), JSON.stringify(config, null, 2) + '\n');
  await fs.writeFile(join(workspace, 'MEMORY.md'), '# Memory\n\n- first fact\n');
}

/** A backup with the core (own engine), as the CLI would make it. */
async function coreBackup(): Promise<BackupIndex> {
  const transport = new LocalTransport({ nodeId: NODE_ID });
  try {
    const result = await backupNode({
      store,
      nodeId: NODE_ID,
      transport,
      engine: 'ocm',
      sources: {
        stateDir,
        configPath: join(stateDir, 'openclaw.json'),
        workspaceDirs: [workspace],
        agentDirs: [{ agentId: 'main', path: join(stateDir, 'agents', 'main', 'agent') }],
      },
    });
    return result.index;
  } finally {
    await transport.close();
  }
}

async function nodeItem(api: ExtensionApi): Promise<TreeNode> {
  const node = (await api.tree.getChildren()).find((n) => n.kind === 'node' && n.node.id === NODE_ID);
  assert.ok(node, `node ${NODE_ID} is not in the tree`);
  return node;
}

async function backupsGroup(api: ExtensionApi): Promise<BackupTreeNode> {
  const children = await api.tree.getChildren(await nodeItem(api));
  const group = children.find((c) => c.kind === 'backups');
  assert.ok(group, `no Backups group under ${NODE_ID}; children: ${children.map((c) => c.kind).join(', ')}`);
  return group as BackupTreeNode;
}

async function backupItems(api: ExtensionApi): Promise<BackupItem[]> {
  const children = await api.tree.getChildren(await backupsGroup(api));
  return children.filter((c): c is BackupItem => c.kind === 'backup');
}

/** Walks folder rows down to `path` (top rows are full paths, nested rows names). */
async function findEntry(api: ExtensionApi, parent: TreeNode, path: string): Promise<BackupEntryItem> {
  let current: TreeNode = parent;
  for (;;) {
    const children = (await api.tree.getChildren(current)) as BackupEntryItem[];
    const hit = children.find((c) => c.entry.path === path);
    if (hit) return hit;
    const next = children.find((c) => c.entry.type === 'directory' && path.startsWith(c.entry.path + '/'));
    assert.ok(next, `no row leads to ${path}; rows: ${children.map((c) => c.entry.path).join(', ')}`);
    current = next;
  }
}

function label(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

suite('Backups', () => {
  let older: BackupIndex;
  let newer: BackupIndex;

  suiteSetup(async function () {
    this.timeout(60_000);
    await makeState();
    store = BackupStore.forHome(testHome());
    older = await coreBackup();
    await fs.writeFile(join(workspace, 'MEMORY.md'), '# Memory\n\n- first fact\n- second fact\n- third fact\n');
    await fs.writeFile(join(workspace, 'NOTES.md'), 'new file\n');
    // Index times have millisecond resolution; keep the two apart for a stable order.
    await new Promise((r) => setTimeout(r, 20));
    newer = await coreBackup();
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  setup(async () => {
    await writeRegistry([{ id: NODE_ID, host: 'local', stateDir }]);
  });

  test('each node has a Backups group listing its backups newest first', async () => {
    const api = await activateExtension();
    const group = await backupsGroup(api);
    const groupItem = api.tree.getTreeItem(group);
    assert.equal(groupItem.contextValue, 'backups');
    assert.equal(groupItem.id, `backups:${NODE_ID}`);
    const backups = await backupItems(api);
    assert.deepEqual(
      backups.slice(0, 2).map((b) => b.summary.id),
      [newer.id, older.id],
    );
    const item = api.tree.getTreeItem(backups[0]!);
    assert.equal(item.id, `backup:${NODE_ID}:${newer.id}`);
    assert.equal(item.contextValue, 'backup');
    assert.match(label(item), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.match(String(item.description), /^ocm · [\d.]+ (B|KiB|MiB)$/);
    const resolved = await api.tree.resolveTreeItem(item, backups[0]!);
    const tooltip = (resolved.tooltip as vscode.MarkdownString).value;
    assert.match(tooltip, new RegExp(`Entries: ${newer.entries.length}`));
    assert.ok(tooltip.includes(`${NODE_ID}/${newer.id}`), tooltip);
    assert.match(tooltip, /Incremental snapshot/, 'the second backup of the node shares unchanged files with the first');
  });

  test('a backup expands into its files as folders, from the index', async () => {
    const api = await activateExtension();
    const backup = (await backupItems(api)).find((b) => b.summary.id === newer.id)!;
    const top = (await api.tree.getChildren(backup)) as BackupEntryItem[];
    assert.deepEqual(
      top.map((t) => t.label),
      [stateDir],
      'the lone chain of folders down to the state dir is one row',
    );
    const memory = await findEntry(api, backup, join(workspace, 'MEMORY.md'));
    const memoryItem = api.tree.getTreeItem(memory);
    assert.equal(memoryItem.id, `backup:${NODE_ID}:${newer.id}:${join(workspace, 'MEMORY.md')}`);
    assert.equal(memoryItem.contextValue, 'backupFile');
    assert.equal(memoryItem.command?.command, 'openclaw.openBackupFile');
    assert.equal(
      memoryItem.resourceUri?.toString(),
      vscode.Uri.from({ scheme: 'openclaw-backup', authority: NODE_ID, path: `/${newer.id}${join(workspace, 'MEMORY.md')}` }).toString(),
    );
  });

  test('openclaw-backup:// serves the archived bytes and refuses writes', async () => {
    await activateExtension();
    const uri = (id: string, path: string) => vscode.Uri.from({ scheme: 'openclaw-backup', authority: NODE_ID, path: `/${id}${path}` });
    const memoryPath = join(workspace, 'MEMORY.md');
    assert.equal(Buffer.from(await vscode.workspace.fs.readFile(uri(older.id, memoryPath))).toString(), '# Memory\n\n- first fact\n');
    assert.equal(
      Buffer.from(await vscode.workspace.fs.readFile(uri(newer.id, memoryPath))).toString(),
      '# Memory\n\n- first fact\n- second fact\n- third fact\n',
    );
    // The form comparisons use (backup id in the query, so both sides share a path) reads the same bytes.
    const queryForm = vscode.Uri.from({ scheme: 'openclaw-backup', authority: NODE_ID, path: memoryPath, query: `backup=${encodeURIComponent(older.id)}` });
    assert.equal(Buffer.from(await vscode.workspace.fs.readFile(queryForm)).toString(), '# Memory\n\n- first fact\n');
    const stat = await vscode.workspace.fs.stat(uri(newer.id, memoryPath));
    assert.equal(stat.type, vscode.FileType.File);
    assert.equal(stat.permissions, vscode.FilePermission.Readonly);
    const listing = await vscode.workspace.fs.readDirectory(uri(newer.id, workspace));
    assert.ok(
      listing.some(([name]) => name === 'NOTES.md'),
      `listing: ${listing.map(([n]) => n).join(', ')}`,
    );
    assert.equal(vscode.workspace.fs.isWritableFileSystem('openclaw-backup'), false);
    await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(uri(newer.id, memoryPath), Buffer.from('changed'))));
    await assert.rejects(Promise.resolve(vscode.workspace.fs.delete(uri(newer.id, memoryPath))));
    await assert.rejects(Promise.resolve(vscode.workspace.fs.readFile(uri(newer.id, join(workspace, 'missing.md')))), /FileNotFound|EntryNotFound|not found/i);
    // The archive still holds the original bytes.
    assert.equal(
      Buffer.from(await vscode.workspace.fs.readFile(uri(newer.id, memoryPath)))
        .toString()
        .includes('changed'),
      false,
    );
    // Opened in an editor, the document is read-only with the reason.
    const doc = await vscode.workspace.openTextDocument(uri(older.id, memoryPath));
    assert.equal(doc.getText(), '# Memory\n\n- first fact\n');
  });

  test('"Back Up Node" on the local node creates a backup that appears in the tree', async function () {
    this.timeout(60_000);
    const api = await activateExtension();
    const before = (await backupItems(api)).map((b) => b.summary.id);
    await fs.writeFile(join(workspace, 'MEMORY.md'), '# Memory\n\n- made by the command\n');
    const changed = new Promise<void>((resolve) => {
      const sub = api.tree.onDidChangeTreeData(() => {
        sub.dispose();
        resolve();
      });
    });
    await vscode.commands.executeCommand('openclaw.backupNode', await nodeItem(api));
    await changed;
    const after = await backupItems(api);
    assert.equal(after.length, before.length + 1);
    const created = after[0]!;
    assert.ok(!before.includes(created.summary.id), 'the newest backup is the new one');
    assert.equal(created.summary.nodeId, NODE_ID);
    const uri = vscode.Uri.from({ scheme: 'openclaw-backup', authority: NODE_ID, path: `/${created.summary.id}${join(workspace, 'MEMORY.md')}` });
    assert.equal(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString(), '# Memory\n\n- made by the command\n');
  });

  test('from the tree: Back Up twice, Compare Backups in the multi-diff editor, Export as OpenClaw Archive', async function () {
    this.timeout(90_000);
    const api = await activateExtension();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const memoryPath = join(workspace, 'MEMORY.md');
    const extraPath = join(workspace, 'TOOLS-E2E.md');
    /** The Backups group's inline "Back Up Node" (and the node's context menu, the same command). */
    const backUp = async (arg: TreeNode): Promise<BackupItem> => {
      const outcome = (await vscode.commands.executeCommand('openclaw.backupNode', arg)) as BackupRunOutcome | undefined;
      assert.ok(outcome, 'the backup command returned nothing');
      assert.deepEqual(outcome.failed, []);
      const backupId = outcome.succeeded[0]?.backupId;
      assert.ok(backupId, 'no backup was made');
      const item = (await backupItems(api)).find((b) => b.summary.id === backupId);
      assert.ok(item, `backup ${backupId} is not in the Backups group`);
      assert.equal(api.tree.getTreeItem(item).id, `backup:${NODE_ID}:${backupId}`);
      return item;
    };

    const memoryBefore = await fs.readFile(memoryPath);
    try {
      await endToEnd();
    } finally {
      // Later tests compare older backups with the live node: leave MEMORY.md as it was.
      await fs.writeFile(memoryPath, memoryBefore);
    }

    async function endToEnd(): Promise<void> {
      await fs.writeFile(memoryPath, '# Memory\n\n- before the compare\n');
      const first = await backUp(await backupsGroup(api));
      assert.equal((await backupItems(api))[0]!.summary.id, first.summary.id, 'the new backup is listed first');
      await new Promise((r) => setTimeout(r, 20));
      await fs.writeFile(memoryPath, '# Memory\n\n- before the compare\n- after the compare\n');
      await fs.writeFile(extraPath, 'added between the two backups\n');
      let second: BackupItem;
      try {
        second = await backUp(await nodeItem(api));
      } finally {
        await fs.rm(extraPath, { force: true });
      }
      const listed = (await backupItems(api)).map((b) => b.summary.id);
      assert.deepEqual(listed.slice(0, 2), [second.summary.id, first.summary.id]);

      const opened = new Promise<vscode.Tab>((resolve) => {
        const sub = vscode.window.tabGroups.onDidChangeTabs((e) => {
          const tab = e.opened[0];
          if (tab) {
            sub.dispose();
            resolve(tab);
          }
        });
      });
      const comparison = (await vscode.commands.executeCommand('openclaw.compareBackups', second, [second, first])) as Comparison | undefined;
      assert.ok(comparison, 'the comparison failed');
      const byPath = new Map(comparison.files.map((f) => [f.path, f.status]));
      assert.equal(byPath.get(memoryPath), 'changed');
      assert.equal(byPath.get(extraPath), 'added');
      const tab = await Promise.race([opened, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))]);
      assert.ok(tab, 'no editor tab opened for the comparison');
      // code-server 1.139 has the multi-diff editor: the comparison must open there (not a single diff).
      const MultiDiff = (vscode as unknown as { TabInputTextMultiDiff?: new (...args: never[]) => unknown }).TabInputTextMultiDiff;
      assert.ok(MultiDiff, 'this VS Code has no multi-diff editor');
      assert.ok(
        tab.input instanceof MultiDiff,
        `the comparison tab is not the multi-diff editor (input: ${(tab.input as object | undefined)?.constructor?.name ?? String(tab.input)})`,
      );
      const textDiffs = (tab.input as { textDiffs: vscode.TabInputTextDiff[] }).textDiffs;
      const memoryDiff = textDiffs.find((d) => d.modified.path === memoryPath);
      assert.ok(memoryDiff, `MEMORY.md is not among the diffs: ${textDiffs.map((d) => d.modified.path).join(', ')}`);
      assert.equal(memoryDiff.original.scheme, 'openclaw-backup');
      assert.equal(Buffer.from(await vscode.workspace.fs.readFile(memoryDiff.original)).toString(), '# Memory\n\n- before the compare\n');
      assert.equal(Buffer.from(await vscode.workspace.fs.readFile(memoryDiff.modified)).toString(), '# Memory\n\n- before the compare\n- after the compare\n');

      // "Export as OpenClaw Archive…" with the target given (the save dialog is skipped).
      const target = join(root, 'exported', `${NODE_ID}-second.tar.gz`);
      await fs.mkdir(join(root, 'exported'), { recursive: true });
      const written = await vscode.commands.executeCommand('openclaw.exportBackup', second, vscode.Uri.file(target));
      assert.equal(written, target);
      assert.deepEqual(await fs.readdir(join(root, 'exported')), [`${NODE_ID}-second.tar.gz`], 'the export left other files behind');
      const checked = await verifyArchive(target);
      // The extension's own store (this test's instance has not read the index since these backups).
      const index = await api.backupStore.readIndex(second.summary);
      assert.equal(checked.fileCount, index.entries.filter((e) => e.type === 'file').length);
      assert.equal((await readArchiveFile(target, memoryPath)).toString(), '# Memory\n\n- before the compare\n- after the compare\n');
      assert.equal((await readArchiveFile(target, extraPath)).toString(), 'added between the two backups\n');
    }
  });

  test('pin and unpin change the backup state shown to menus', async () => {
    const api = await activateExtension();
    const target = (await backupItems(api)).find((b) => b.summary.id === older.id)!;
    await vscode.commands.executeCommand('openclaw.pinBackup', target);
    let item = (await backupItems(api)).find((b) => b.summary.id === older.id)!;
    assert.equal(api.tree.getTreeItem(item).contextValue, 'backup.pinned');
    assert.match(String(api.tree.getTreeItem(item).description), /pinned/);
    await vscode.commands.executeCommand('openclaw.unpinBackup', item);
    item = (await backupItems(api)).find((b) => b.summary.id === older.id)!;
    assert.equal(api.tree.getTreeItem(item).contextValue, 'backup');
  });

  test('"Compare Backups" with two selected backups opens the multi-file diff editor', async function () {
    this.timeout(30_000);
    const api = await activateExtension();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const items = await backupItems(api);
    const a = items.find((b) => b.summary.id === older.id)!;
    const b = items.find((b) => b.summary.id === newer.id)!;
    const opened = new Promise<vscode.Tab>((resolve) => {
      const sub = vscode.window.tabGroups.onDidChangeTabs((e) => {
        const tab = e.opened[0];
        if (tab) {
          sub.dispose();
          resolve(tab);
        }
      });
    });
    // As VS Code calls it from a multi-selection: the clicked item, then all selected.
    await vscode.commands.executeCommand('openclaw.compareBackups', b, [b, a]);
    const tab = await Promise.race([opened, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))]);
    assert.ok(tab, 'no editor tab opened for the comparison');
    assert.match(tab.label, /↔/);
    assert.match(tab.label, new RegExp(NODE_ID));
    // The multi-diff editor's tab input (TabInputTextMultiDiff) is newer than our @types/vscode.
    const MultiDiff = (vscode as unknown as { TabInputTextMultiDiff?: new (...args: never[]) => unknown }).TabInputTextMultiDiff;
    const input = tab.input;
    assert.ok(
      input instanceof vscode.TabInputTextDiff || (MultiDiff !== undefined && input instanceof MultiDiff),
      `the comparison tab is not a diff editor (input: ${(input as object | undefined)?.constructor?.name ?? String(input)})`,
    );
    const diffs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label === tab.label);
    assert.equal(diffs.length, 1);
  });

  test('"Verify Backup" reads every file of the snapshot back and names the damaged ones', async function () {
    this.timeout(60_000);
    const api = await activateExtension();
    const verify = async (id: string) => {
      const item = (await backupItems(api)).find((b) => b.summary.id === id);
      assert.ok(item, `backup ${id} is not in the tree`);
      return (await vscode.commands.executeCommand('openclaw.verifyBackup', item)) as SnapshotVerifyResult | undefined;
    };
    const result = await verify(newer.id);
    assert.ok(result?.ok, `verify found an intact backup damaged: ${JSON.stringify(result?.damaged)}`);
    assert.equal(result.snapshot, `${NODE_ID}/${newer.id}`);
    const files = newer.entries.filter((e) => e.type === 'file');
    assert.equal(result.fileCount, files.length);
    assert.equal(
      result.totalBytes,
      files.reduce((sum, e) => sum + e.size, 0),
    );

    // A fresh backup (made outside the extension, as the CLI would) with a file no other backup
    // holds; then one byte of that file's stored object flipped in its pack.
    const victimFile = join(workspace, 'VICTIM.md');
    await fs.writeFile(victimFile, `only in this backup ${Date.now()}\n`);
    const victim = await coreBackup();
    await fs.rm(victimFile);
    assert.equal((await verify(victim.id))?.ok, true, 'the new backup is intact before the damage');
    const repo = await store.repository();
    const entry = (await repo.readEntries(await repo.readSnapshot(NODE_ID, victim.id))).find((e) => e.path === victimFile);
    assert.ok(entry, 'the victim file is not in the snapshot');
    const objectId = entryObjects(entry)[0]!;
    const location = repo.objects.location(objectId);
    assert.ok(location, `object ${objectId} has no location in the index`);
    const pack = packPath(store.repositoryRoot, location.pack);
    const original = await fs.readFile(pack);
    const { mode } = await fs.stat(pack);
    try {
      const damagedBytes = Buffer.from(original);
      damagedBytes[location.offset + Math.floor(location.length / 2)] ^= 0xff;
      await fs.chmod(pack, 0o600);
      await fs.writeFile(pack, damagedBytes);
      const damaged = await verify(victim.id);
      assert.ok(damaged, 'verify failed instead of reporting the damage');
      assert.equal(damaged.ok, false);
      assert.deepEqual(
        damaged.damaged.map((d) => d.path),
        [victimFile],
      );
      assert.match(damaged.damaged[0]!.reason, /damaged/);
      assert.equal((await verify(newer.id))?.ok, true, 'a backup that does not use the damaged object is still intact');
    } finally {
      await fs.writeFile(pack, original);
      await fs.chmod(pack, mode & 0o777);
    }
    // Its snapshot document gone (as another process's prune would leave it): verifying the row
    // still on screen reports an error instead of a result.
    const stale = (await backupItems(api)).find((b) => b.summary.id === victim.id)!;
    await repo.removeSnapshot(victim);
    assert.equal(await vscode.commands.executeCommand('openclaw.verifyBackup', stale), undefined);
    assert.ok(!(await backupItems(api)).some((b) => b.summary.id === victim.id), 'the removed backup is still listed');
  });

  test('"Compare Backup with Live Node" diffs a backup against the node as it is now', async function () {
    this.timeout(30_000);
    const api = await activateExtension();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const backup = (await backupItems(api)).find((b) => b.summary.id === older.id)!;
    const comparison = (await vscode.commands.executeCommand('openclaw.compareBackupWithLive', backup)) as Comparison | undefined;
    assert.ok(comparison, 'the live comparison failed');
    const byPath = new Map(comparison.files.map((f) => [f.path, f]));
    const memory = byPath.get(join(workspace, 'MEMORY.md'));
    assert.equal(memory?.status, 'changed');
    assert.equal(memory?.left?.scheme, 'openclaw-backup');
    assert.equal(memory?.right?.toString(), vscode.Uri.from({ scheme: 'openclaw', authority: NODE_ID, path: join(workspace, 'MEMORY.md') }).toString());
    assert.equal(byPath.get(join(workspace, 'NOTES.md'))?.status, 'added');
    assert.equal(comparison.diff.changed.find((c) => c.path === join(workspace, 'MEMORY.md'))?.linesAdded, 1);
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => /live/.test(t.label));
    assert.equal(
      tabs.length,
      1,
      `tabs: ${vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .map((t) => t.label)
        .join(', ')}`,
    );
  });

  test('scheduled backups: activation only arms a timer, one interval after the last run', async () => {
    assert.equal(scheduleIntervalMs('off'), undefined);
    assert.equal(scheduleIntervalMs('hourly'), 3_600_000);
    assert.equal(scheduleIntervalMs('daily'), 86_400_000);
    assert.equal(scheduleIntervalMs('30'), 1_800_000);
    assert.equal(scheduleIntervalMs('soon'), undefined);
    const before = (await store.list(NODE_ID)).length;
    const lastRun = Date.now() - 2 * 60_000;
    const scheduler = new BackupScheduler(schedulerDeps(), memoryMemento({ 'openclaw.backup.lastScheduledRun': lastRun }), () => ({ schedule: '5', keep: 0 }));
    try {
      assert.ok(scheduler.nextRunAt !== undefined, 'no timer was armed');
      assert.ok(Math.abs(scheduler.nextRunAt - (lastRun + 5 * 60_000)) < 2_000, `next run at ${new Date(scheduler.nextRunAt).toISOString()}`);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await store.list(NODE_ID)).length, before, 'a backup ran at start-up');
    } finally {
      scheduler.dispose();
    }
    const off = new BackupScheduler(schedulerDeps(), memoryMemento({}), () => ({ schedule: 'off', keep: 0 }));
    assert.equal(off.nextRunAt, undefined);
    off.dispose();
  });

  test('a scheduled run backs up every active node, then keeps the newest N plus pinned ones', async function () {
    this.timeout(60_000);
    await store.setPinned(`${NODE_ID}/${older.id}`, true);
    const memento = memoryMemento({});
    const scheduler = new BackupScheduler(schedulerDeps(), memento, () => ({ schedule: 'off', keep: 2 }));
    try {
      const outcome = await scheduler.runNow();
      assert.deepEqual(outcome.backedUp, [NODE_ID]);
      assert.deepEqual(outcome.failed, []);
      const left = await store.list(NODE_ID);
      assert.equal(left.filter((b) => !b.pinned).length, 2);
      assert.ok(
        left.some((b) => b.id === older.id && b.pinned),
        'the pinned backup was pruned',
      );
      assert.ok(typeof memento.get('openclaw.backup.lastScheduledRun') === 'number', 'the run time was not remembered');
    } finally {
      scheduler.dispose();
      await store.setPinned(`${NODE_ID}/${older.id}`, false);
    }
  });
});

function schedulerDeps(): BackupUiDeps {
  const catalog = new BackupCatalog(store);
  return {
    registry: new NodeRegistry(registryPath(testHome())),
    catalog,
    backupsTree: new BackupsTreeContributor(catalog),
    connector: { connect: (node) => transportForNode(node), release: (t) => t.close() },
  };
}

function memoryMemento(initial: Record<string, unknown>): vscode.Memento {
  const values = new Map(Object.entries(initial));
  return {
    keys: () => [...values.keys()],
    get: <T>(key: string, fallback?: T) => (values.has(key) ? (values.get(key) as T) : fallback),
    update: async (key: string, value: unknown) => void values.set(key, value),
  } as vscode.Memento;
}
