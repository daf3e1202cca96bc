import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { StagedTrustStore } from '../../../src/core/ssh/staged-trust-store';
import { TrustStore } from '../../../src/core/ssh/trust-store';
import { newKey, tempDir } from './fixtures';

describe('staged trust store', () => {
  it('holds additions in memory (visible to reads) until commit, with the same rules as the store', async () => {
    const real = TrustStore.inHome(await tempDir());
    const old = newKey();
    await real.add({ hostKeyName: 'b', host: 'b', port: 22, keyBlob: old.blob });
    const staged = new StagedTrustStore(real);
    const a = newKey();
    await staged.add({ hostKeyName: 'a', host: 'a', port: 22, keyBlob: a.blob, nodeId: 'jump:a' });
    assert.deepEqual(
      (await staged.lookup('a')).map((e) => e.key),
      [a.blob.toString('base64')],
    );
    assert.deepEqual(
      (await real.list()).map((e) => e.hostKeyName),
      ['b'],
      'nothing written yet',
    );
    await assert.rejects(staged.add({ hostKeyName: 'b', host: 'b', port: 22, keyBlob: newKey().blob }), (e) => isOcmError(e, 'hostKeyChanged'));
    const b2 = newKey();
    await staged.add({ hostKeyName: 'b', host: 'b', port: 22, keyBlob: b2.blob, replace: true });
    assert.deepEqual(
      (await staged.lookup('b')).map((e) => e.key),
      [b2.blob.toString('base64')],
    );
    assert.deepEqual(
      staged.pending().map((e) => e.hostKeyName),
      ['a', 'b'],
    );
    await staged.commit();
    assert.deepEqual((await real.list()).map((e) => [e.hostKeyName, e.key]).sort(), [
      ['a', a.blob.toString('base64')],
      ['b', b2.blob.toString('base64')],
    ]);
  });

  it('an abandoned staged store writes nothing', async () => {
    const real = TrustStore.inHome(await tempDir());
    await new StagedTrustStore(real).add({ hostKeyName: 'a', host: 'a', port: 22, keyBlob: newKey().blob });
    assert.equal(existsSync(real.path), false);
  });
});
