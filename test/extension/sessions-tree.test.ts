import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { readHistoryEntry } from '../../src/core/history/store';
import { connectGatewayRpc } from '../../src/core/sessions/gateway-rpc';
import { LocalTransport } from '../../src/core/transport/local-transport';
import { SessionsTreeContributor, type SessionsTreeNode } from '../../src/extension/sessions/tree';
import { activateExtension, testHome, writeRegistry } from '../support/vscode/extension-host';

/**
 * The Sessions group in a real VS Code: items for each session with the context bar only for a
 * fresh count, the transcript size, the prediction in the tooltip and the warning state that the
 * Compact / Reset / Archive menu keys on; the three commands are registered by the extension.
 * (The rows come from a fixed source here; reading them from a real gateway is proven by
 * test/integration/sessions/gateway-sessions.test.ts.)
 */
suite('Sessions tree', () => {
  test('a session over the threshold is highlighted, its bar and prediction shown; a stale one has no bar', async () => {
    await activateExtension();
    const now = Date.now();
    const contributor = new SessionsTreeContributor({
      sessions: async () => ({
        rows: [
          {
            agentId: 'main',
            key: 'agent:main:main',
            fresh: true,
            overThreshold: true,
            usedPct: 87.5,
            totalTokens: 14_000,
            contextTokens: 16_000,
            transcriptBytes: 2048,
            lastActivityAt: now - 60_000,
            growthTokensPerHour: 6000,
            hoursToWindow: 0.3,
            predictedOverflow: true,
          },
          { agentId: 'main', key: 'agent:main:old', fresh: false, overThreshold: false, totalTokens: 100, contextTokens: 16_000 },
        ],
      }),
    });
    const group = contributor.groupFor('n1', 'main');
    assert.equal(contributor.getTreeItem(group).label, 'Sessions');
    const children = await contributor.getChildren(group as SessionsTreeNode);
    assert.equal(children.length, 2);
    const hot = contributor.getTreeItem(children[0]!);
    assert.equal(hot.label, 'agent:main:main');
    assert.match(String(hot.description), /█████████░ 88% · 2\.0 KiB/);
    assert.equal(hot.contextValue, 'session.warn');
    assert.match((hot.tooltip as vscode.MarkdownString).value, /about 0\.3 hours/);
    const stale = contributor.getTreeItem(children[1]!);
    assert.doesNotMatch(String(stale.description), /█/);
    assert.equal(stale.contextValue, 'session');
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['openclaw.sessions.compact', 'openclaw.sessions.reset', 'openclaw.sessions.archive']) assert.ok(commands.includes(c), c);
  });
});

/** Resolves when no child process of this extension host runs openclaw any more (the tree's background `agents list`), or after timeoutMs. */
async function openclawChildrenGone(timeoutMs: number): Promise<void> {
  const { execFileSync } = await import('node:child_process');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let out = '';
    try {
      out = execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
    } catch {
      return;
    }
    if (!/openclaw/.test(out)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface SessionsGatewayNode {
  entry: { id: string; host: string; stateDir: string; openclawPath: string; labels: string[] };
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real OpenClaw 2026.9.6 gateway on loopback (test/support/vscode/gateway-node.mjs): a session
 * made by the gateway appears under the agent in the Nodes tree, and Compact on it (the command
 * its context menu runs, confirmed as with the CLI's --yes) stores the transcript capture in the
 * history of this ocm home first and reports the result.
 */
suite('Sessions under an agent (real gateway)', () => {
  const ID = 'sess-ext';
  let root: string;
  let node: SessionsGatewayNode;

  suiteSetup(async function () {
    this.timeout(300_000);
    root = await fs.mkdtemp(join(tmpdir(), 'ocm-sessions-ext-'));
    const { createGatewayNode, freePort } = await import('../support/vscode/gateway-node.mjs');
    node = (await createGatewayNode(root, { id: ID, port: await freePort() })) as SessionsGatewayNode;
    await node.start();
    const rpc = await connectGatewayRpc(new LocalTransport({ nodeId: ID }), { port: node.port, token: 'test-gateway-token-not-a-secret', timeoutMs: 30_000 });
    try {
      await rpc.call('sessions.create', { key: 'agent:main:ext', agentId: 'main' }, { timeoutMs: 60_000 });
    } finally {
      rpc.close();
    }
    await writeRegistry([node.entry]);
    (await activateExtension()).tree.refresh();
  });

  suiteTeardown(async function () {
    this.timeout(60_000);
    await node?.stop();
    await writeRegistry([]);
    await openclawChildrenGone(45_000);
    if (root) await fs.rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  test('the session is listed under agent main; Compact captures it into the history first', async function () {
    this.timeout(180_000);
    const api = await activateExtension();
    const nodeItem = (await api.tree.getChildren()).find((n) => n.kind === 'node' && n.node.id === ID)!;
    assert.ok(nodeItem, 'the node is in the tree');
    const main = (await api.tree.getChildren(nodeItem)).find((n) => n.kind === 'agent' && n.agent.id === 'main')!;
    assert.ok(main, 'agent main is listed');
    const group = (await api.tree.getChildren(main)).find((n) => n.kind === 'sessions');
    assert.ok(group, 'the agent has a Sessions group');
    const sessions = await api.tree.getChildren(group);
    const item = sessions.find((n) => n.kind === 'session' && n.row.key === 'agent:main:ext');
    assert.ok(item, `the session is listed: ${JSON.stringify(sessions.map((s) => api.tree.getTreeItem(s).label))}`);
    assert.match(String(api.tree.getTreeItem(item).contextValue), /^session/, 'the context menu applies');
    const result = await vscode.commands.executeCommand<{ backup: { id: string; remotePath: string } } | undefined>('openclaw.sessions.compact', item, {
      yes: true,
    });
    assert.ok(result, 'compact ran');
    assert.equal(result.backup.remotePath, 'openclaw-session:main/agent:main:ext');
    const { content } = await readHistoryEntry(testHome(), result.backup.id);
    assert.equal(JSON.parse(content.toString('utf8')).key, 'agent:main:ext');
  });
});
