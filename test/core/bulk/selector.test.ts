import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { nodesForSelector, parseSelector, targetsOnNode } from '../../../src/core/bulk';
import { isOcmError } from '../../../src/core/errors';
import type { NodeEntry } from '../../../src/core/registry';

const node = (id: string, labels: string[] = [], status: 'active' | 'retired' = 'active'): NodeEntry => ({ id, host: 'local', labels, status }) as NodeEntry;

describe('agent selector', () => {
  it('parses pairs, whole nodes and labels, trimming spaces and empty parts', () => {
    assert.deepEqual(parseSelector(' n1/main, n2/Research ,n3,,label:prod '), [
      { kind: 'agent', nodeId: 'n1', agentId: 'main' },
      { kind: 'agent', nodeId: 'n2', agentId: 'research' },
      { kind: 'node', nodeId: 'n3' },
      { kind: 'label', label: 'prod' },
    ]);
  });

  it('refuses empty selectors, bad node ids, empty agents and paths', () => {
    for (const bad of ['', ' , ', 'n1/', 'n1/a/b', '../x', 'label:', '/main']) {
      assert.throws(
        () => parseSelector(bad),
        (e: unknown) => isOcmError(e, 'invalidInput') && e.details.usage === true,
        bad,
      );
    }
  });

  it('resolves against the registry: labels expand to active nodes, unknown or retired names are errors', () => {
    const nodes = [node('n1', ['prod']), node('n2', ['prod']), node('n3'), node('old', ['prod'], 'retired')];
    const w = nodesForSelector(parseSelector('label:prod,n3/main'), nodes);
    assert.deepEqual(w.nodeIds, ['n1', 'n2', 'n3']);
    assert.deepEqual(targetsOnNode('n1', ['main', 'research'], w), [
      { nodeId: 'n1', agentId: 'main' },
      { nodeId: 'n1', agentId: 'research' },
    ]);
    assert.deepEqual(targetsOnNode('n3', ['main', 'research'], w), [{ nodeId: 'n3', agentId: 'main' }]);
    assert.throws(
      () => nodesForSelector(parseSelector('nope'), nodes),
      (e: unknown) => isOcmError(e, 'notFound'),
    );
    assert.throws(() => nodesForSelector(parseSelector('old'), nodes), /retired/);
    assert.throws(() => nodesForSelector(parseSelector('label:staging'), nodes), /No active node has the label "staging"/);
    assert.throws(() => targetsOnNode('n3', ['research'], w), /Agent "main" is not configured on node n3/);
  });
});
