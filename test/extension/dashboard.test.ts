import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { dashboardData, type DashboardCard, type NodeStatus } from '../../src/core/status';
import type { DashboardPanel, RenderedReport } from '../../src/extension/dashboard/dashboard-panel';
import type { TreeNode } from '../../src/extension/tree/nodes-tree';
import { activateExtension, runCli, writeRegistry } from '../support/vscode/extension-host';

/**
 * The dashboard in the real workbench: a real OpenClaw 2026.9.6 node on this machine with its
 * gateway running on loopback ("ready"), and a node nothing listens for ("unreachable"). What the
 * webview page itself drew comes back in its `rendered` report; the buttons' messages go through
 * the same validated handler the page's clicks use (a click in the page itself: the screenshot
 * scene test/extension/dashboard-screenshots.mjs).
 */
/** Resolves when no child process of this extension host runs openclaw any more (or after timeoutMs). */
async function openclawChildrenGone(timeoutMs: number): Promise<void> {
  const { execFileSync } = await import('node:child_process');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let out = '';
    try {
      out = execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
    } catch {
      return; // no children at all (ps exits 1)
    }
    if (!/openclaw/.test(out)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const READY = 'dash-ready';
const NOWHERE = 'dash-nowhere';

interface GatewayNode {
  entry: { id: string; host: string; stateDir: string; openclawPath: string; labels: string[] };
  start(): Promise<void>;
  stop(): Promise<void>;
}

suite('Dashboard', () => {
  let root: string;
  let node: GatewayNode;
  let panel: DashboardPanel;

  suiteSetup(async function () {
    this.timeout(300_000);
    root = await fs.mkdtemp(join(tmpdir(), 'ocm-dashboard-ext-'));
    const { createGatewayNode, freePort } = await import('../support/vscode/gateway-node.mjs');
    node = await createGatewayNode(root, { id: READY, port: await freePort() });
    await node.start();
    await writeRegistry([node.entry, { id: NOWHERE, host: '127.0.0.1', port: 9, user: 'nobody' }]);
    const api = await activateExtension();
    api.tree.refresh();
  });

  suiteTeardown(async function () {
    this.timeout(60_000);
    panel?.dispose();
    await node?.stop();
    // No more checks of these nodes; the openclaw commands already running (a status check, the
    // tree's background `agents list`) finish before the runner removes their temp folder.
    await writeRegistry([]);
    await openclawChildrenGone(45_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (root) await fs.rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  /** Resolves with the first report (the last one, or one still to come) that satisfies `want`. */
  function rendered(want: (r: RenderedReport) => boolean, what: string, timeoutMs = 60_000): Promise<RenderedReport> {
    if (panel.lastRendered && want(panel.lastRendered)) return Promise.resolve(panel.lastRendered);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        reject(new Error(`the dashboard page did not show ${what} within ${timeoutMs} ms; last drawn: ${JSON.stringify(panel.lastRendered)}`));
      }, timeoutMs);
      const sub = panel.onDidRender((r) => {
        if (!want(r)) return;
        clearTimeout(timer);
        sub.dispose();
        resolve(r);
      });
    });
  }

  const healthOf = (r: RenderedReport, id: string) => r.cards.find((c) => c.nodeId === id)?.health;

  async function nodeItem(id: string): Promise<TreeNode> {
    const api = await activateExtension();
    const item = (await api.tree.getChildren()).find((n) => n.kind === 'node' && n.node.id === id);
    assert.ok(item, `${id} is in the tree`);
    return item;
  }

  test('opens with one card per node: the running gateway "ready", the other unreachable; same facts as ocm status --json', async function () {
    this.timeout(180_000);
    const api = await activateExtension();
    panel = (await vscode.commands.executeCommand<DashboardPanel>('openclaw.openDashboard'))!;
    assert.ok(panel, 'the command returns the panel');
    await api.monitor.refresh();
    const report = await rendered((r) => healthOf(r, READY) === 'ready' && healthOf(r, NOWHERE) === 'unreachable', `${READY} ready and ${NOWHERE} unreachable`);
    assert.deepEqual(
      report.cards.map((c) => c.nodeId),
      [READY, NOWHERE],
      'one card per node, in registry order',
    );
    assert.match(report.cards[0]!.text, /^(Ready|準備完了)$/, 'the card says "ready" in words');

    // The same view-model from `ocm status --json` (another process, the same core) has the same facts.
    // No connection keeper: it would outlive the test run (and keep writing into its temp folder).
    const keep = process.env.OCM_KEEP_CONNECTIONS;
    process.env.OCM_KEEP_CONNECTIONS = '0';
    const cli = await runCli(['status', '--json', '--no-fail']).finally(() =>
      keep === undefined ? delete process.env.OCM_KEEP_CONNECTIONS : (process.env.OCM_KEEP_CONNECTIONS = keep),
    );
    assert.equal(cli.code, 0, cli.stderr);
    const json = JSON.parse(cli.stdout) as { nodes: NodeStatus[] };
    const fromCli = dashboardData({
      nodes: [
        { id: READY, host: 'local' },
        { id: NOWHERE, host: '127.0.0.1', user: 'nobody', port: 9 },
      ],
      statuses: json.nodes,
      now: Date.now(),
      thresholdPct: 80,
    }).cards;
    const fromPanel = (await panel.data()).cards;
    const facts = (c: DashboardCard) => ({
      nodeId: c.nodeId,
      target: c.target,
      health: c.health,
      reachability: c.reachability,
      version: c.version,
      gateway: c.gateway,
      gatewayPort: c.gatewayPort,
      agents: c.agents.map((a) => a.id),
      backup: c.lastBackup?.id,
      problems: c.problems.map((p) => p.kind),
    });
    assert.deepEqual(fromPanel.map(facts), fromCli.map(facts));
    assert.equal(fromPanel[0]!.version, '2026.9.6');
    assert.deepEqual(
      fromPanel[0]!.agents.map((a) => a.id),
      ['main'],
    );
    assert.ok(fromPanel[0]!.gatewayUptime, 'the gateway uptime is shown');
    assert.ok(
      fromPanel[0]!.gauges.some((g) => g.kind === 'disk'),
      'disk gauge',
    );

    // The tree's node icons say the same: ready, and unreachable with the reason in the tooltip.
    const readyItem = api.tree.getTreeItem(await nodeItem(READY));
    assert.equal((readyItem.iconPath as vscode.ThemeIcon).id, 'pass-filled');
    const nowhereItem = api.tree.getTreeItem(await nodeItem(NOWHERE));
    assert.equal((nowhereItem.iconPath as vscode.ThemeIcon).id, 'debug-disconnect');
    assert.match((nowhereItem.tooltip as vscode.MarkdownString).value, /\*\*(Unreachable|接続不可)\*\*: /);
  });

  test('Back Up on a card adds a backup to the tree and its age to the card', async function () {
    this.timeout(180_000);
    const api = await activateExtension();
    await panel.handleMessage({ type: 'action', action: 'backup', nodeId: READY });
    const group = (await api.tree.getChildren(await nodeItem(READY))).find((c) => c.kind === 'backups');
    assert.ok(group, 'the node has a Backups group');
    const backups = (await api.tree.getChildren(group)).filter((c) => c.kind === 'backup');
    assert.equal(backups.length, 1, 'one backup in the tree');
    const card = (await panel.data()).cards.find((c) => c.nodeId === READY)!;
    assert.ok(card.lastBackup, 'the card shows the last backup');
    assert.equal(card.lastBackup.stale, false);
    // A message naming a node that is not on the page does nothing.
    await panel.handleMessage({ type: 'action', action: 'backup', nodeId: 'not-a-node' });
    await panel.handleMessage({ type: 'action', action: 'eval', nodeId: READY });
    assert.equal((await api.tree.getChildren(group)).filter((c) => c.kind === 'backup').length, 1);
  });

  test('a stopped gateway shows on its card (and on its tree icon) with the reason', async function () {
    this.timeout(180_000);
    const api = await activateExtension();
    await node.stop();
    await api.monitor.refresh();
    await rendered((r) => healthOf(r, READY) === 'gatewayDown', `${READY} with its gateway down`);
    const card = (await panel.data()).cards.find((c) => c.nodeId === READY)!;
    assert.equal(card.health, 'gatewayDown');
    assert.ok(
      card.problems.some((p) => p.kind === 'gatewayDown' && p.severity === 'error'),
      JSON.stringify(card.problems),
    );
    assert.ok(card.reason, 'the card says why');
    const item = api.tree.getTreeItem(await nodeItem(READY));
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'error');
    assert.match((item.tooltip as vscode.MarkdownString).value, /\*\*(Gateway down|ゲートウェイ停止)\*\*: /);
  });

  test('Open Agent File… opens the agent’s file from the node (live, through the openclaw:// file system)', async function () {
    this.timeout(60_000);
    const uri = await vscode.commands.executeCommand<vscode.Uri>('openclaw.openAgentFile', READY, 'main', 'SOUL.md');
    assert.ok(uri, 'a file was opened');
    assert.equal(uri.scheme, 'openclaw');
    assert.match(uri.path, /\/SOUL\.md$/);
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), uri.toString());
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    panel.panel.reveal();
  });

  test('hidden, it stops asking for checks; shown again, the page is drawn anew from the latest data', async function () {
    this.timeout(60_000);
    assert.equal(panel.refreshing, true, 'visible: the monitor keeps checking for it');
    const hidden = new Promise<void>((resolve) => {
      const sub = panel.panel.onDidChangeViewState((e) => e.webviewPanel.visible || (sub.dispose(), resolve()));
    });
    // Another editor in the dashboard's group covers it.
    const doc = await vscode.workspace.openTextDocument({ content: 'cover' });
    await vscode.window.showTextDocument(doc, { viewColumn: panel.panel.viewColumn, preview: false });
    await hidden;
    assert.equal(panel.refreshing, false, 'hidden: no more checks for the dashboard');
    const before = panel.lastRendered;
    const redrawn = rendered((r) => r !== before && r.cards.length === 2, 'a redraw after being shown again');
    panel.panel.reveal();
    await redrawn;
    assert.equal(panel.refreshing, true);
  });

  test('the old "Show Status" command opens the same dashboard', async () => {
    const again = await vscode.commands.executeCommand<DashboardPanel>('openclaw.showStatus');
    assert.equal(again, panel);
  });
});
