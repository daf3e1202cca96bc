import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keeperServes, keeperSocketPath, keepMinutes, lineReader } from '../../src/cli/keeper/protocol';

describe('connection keeper protocol', () => {
  it('serves read-only network commands only (not agents add/remove, not help)', () => {
    assert.equal(keeperServes(['status']), true);
    assert.equal(keeperServes(['status', 'a', 'b', '--json']), true);
    assert.equal(keeperServes(['agents', 'node1', '--json']), true);
    assert.equal(keeperServes(['agents', 'add', 'node1', 'helper']), false);
    assert.equal(keeperServes(['agents', 'remove', 'node1', 'helper', '--yes']), false);
    assert.equal(keeperServes(['agents']), false);
    assert.equal(keeperServes(['status', '--help']), false);
    assert.equal(keeperServes(['backup', 'node1']), false);
    assert.equal(keeperServes(['restore', 'node1']), false);
    assert.equal(keeperServes([]), false);
  });

  it('OCM_KEEP_CONNECTIONS: minutes, default 5, 0 or nonsense turns it off', () => {
    assert.equal(keepMinutes({}), 5);
    assert.equal(keepMinutes({ OCM_KEEP_CONNECTIONS: '0' }), 0);
    assert.equal(keepMinutes({ OCM_KEEP_CONNECTIONS: '0.5' }), 0.5);
    assert.equal(keepMinutes({ OCM_KEEP_CONNECTIONS: 'soon' }), 0);
    assert.equal(keepMinutes({ OCM_KEEP_CONNECTIONS: '-3' }), 0);
  });

  it('one socket per ocm home and CLI build, under run/; none when the path is too long for a Unix socket', () => {
    const a = keeperSocketPath({ OCM_HOME: '/tmp/h' }, __filename)!;
    assert.match(a, /^\/tmp\/h\/run\/keeper-[0-9a-f]{12}\.sock$/);
    assert.equal(keeperSocketPath({ OCM_HOME: '/tmp/h' }, __filename), a);
    assert.notEqual(keeperSocketPath({ OCM_HOME: '/tmp/h' }, '/nonexistent/cli.js'), a, 'another build, another keeper');
    assert.equal(keeperSocketPath({ OCM_HOME: `/tmp/${'x'.repeat(100)}` }, __filename), undefined);
  });

  it('reads JSON lines across chunk boundaries and skips broken ones', () => {
    const seen: unknown[] = [];
    const feed = lineReader((m) => seen.push(m));
    feed(Buffer.from('{"type":"out","te'));
    feed(Buffer.from('xt":"a\\n"}\n{broken\n\n{"type":"exit","code":0}\n'));
    assert.deepEqual(seen, [
      { type: 'out', text: 'a\n' },
      { type: 'exit', code: 0 },
    ]);
  });
});
