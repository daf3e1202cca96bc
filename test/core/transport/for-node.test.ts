import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { validateNode } from '../../../src/core/registry';
import { transportForNode } from '../../../src/core/transport/for-node';
import { LocalTransport } from '../../../src/core/transport/local-transport';

describe('transportForNode', () => {
  it('gives a LocalTransport named after the node for host "local"', async () => {
    const t = await transportForNode(validateNode({ id: 'here', host: 'local' }));
    assert.ok(t instanceof LocalTransport);
    assert.equal(t.nodeId, 'here');
    assert.equal(t.kind, 'local');
  });

  it('delegates other hosts to the SSH factory, and says so when there is none', async () => {
    const node = validateNode({ id: 'far', host: 'far.example' });
    const fake = new LocalTransport({ nodeId: 'far' });
    assert.equal(await transportForNode(node, { ssh: (n) => (assert.equal(n.id, 'far'), fake) }), fake);
    await assert.rejects(transportForNode(node), (e) => isOcmError(e, 'unsupported') && /far/.test(e.message));
  });
});
