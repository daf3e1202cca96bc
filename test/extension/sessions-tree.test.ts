import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { SessionsTreeContributor, type SessionsTreeNode } from '../../src/extension/sessions/tree';
import { activateExtension } from '../support/vscode/extension-host';

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
          { agentId: 'main', key: 'agent:main:main', fresh: true, overThreshold: true, usedPct: 87.5, totalTokens: 14_000, contextTokens: 16_000, transcriptBytes: 2048, lastActivityAt: now - 60_000, growthTokensPerHour: 6000, hoursToWindow: 0.3, predictedOverflow: true },
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
