import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWebviewMessage } from '../../src/extension/dashboard/messages';

/** What the dashboard page may post: anything else is dropped before the extension acts. */
describe('dashboard messages from the webview', () => {
  it('accepts the known shapes and drops unknown keys', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'ready', extra: 1 }), { type: 'ready' });
    assert.deepEqual(parseWebviewMessage({ type: 'refresh' }), { type: 'refresh' });
    assert.deepEqual(parseWebviewMessage({ type: 'action', action: 'backup', nodeId: 'demo-a', command: 'rm -rf /' }), {
      type: 'action',
      action: 'backup',
      nodeId: 'demo-a',
    });
    assert.deepEqual(parseWebviewMessage({ type: 'action', action: 'openAgentFile', nodeId: 'n1', agentId: 'research' }), {
      type: 'action',
      action: 'openAgentFile',
      nodeId: 'n1',
      agentId: 'research',
    });
    assert.deepEqual(parseWebviewMessage({ type: 'rendered', cards: [{ nodeId: 'n1', health: 'ready', text: 'Ready', x: 1 }], ms: 12.5 }), {
      type: 'rendered',
      cards: [{ nodeId: 'n1', health: 'ready', text: 'Ready' }],
      ms: 12.5,
    });
  });

  it('refuses unknown types and actions, odd ids and wrong types', () => {
    for (const bad of [
      undefined,
      null,
      'ready',
      [],
      { type: 'eval', code: '1' },
      { type: 'action', action: 'retire', nodeId: 'n1' },
      { type: 'action', action: 'executeCommand', nodeId: 'n1' },
      { type: 'action', action: 'backup' },
      { type: 'action', action: 'backup', nodeId: '../etc' },
      { type: 'action', action: 'backup', nodeId: 'n1; rm -rf /' },
      { type: 'action', action: 'backup', nodeId: 'x'.repeat(64) },
      { type: 'action', action: 'openAgentFile', nodeId: 'n1', agentId: '/abs' },
      { type: 'action', action: 'restart', nodeId: 42 },
      { type: 'rendered', cards: 'all', ms: 1 },
      { type: 'rendered', cards: [], ms: Number.NaN },
      { type: 'rendered', cards: [{ nodeId: 'n1', health: 'ready', text: 'x'.repeat(501) }], ms: 1 },
    ]) {
      assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
    }
  });
});
