import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decode, preferredCodec } from '../../../src/core/repository/codec';
import { CodecPool } from '../../../src/core/repository/codec-pool';
import { isOcmError } from '../../../src/core/errors';

const note = (n: number): Buffer => Buffer.from(`- memory ${n}: the agent remembers the gateway token rotation\n`.repeat(1 + (n % 300)));

describe('compression worker pool', () => {
  it('compresses small and large objects off the main thread; every object decodes to its bytes', async () => {
    const pool = new CodecPool(1);
    const objects = [
      ...Array.from({ length: 400 }, (_, i) => note(i)),
      randomBytes(70_000),
      Buffer.alloc(10),
      note(7).subarray(0, 3_000_000),
      Buffer.alloc(3 * 1024 * 1024, 'a'),
    ];
    const encoded = await Promise.all(objects.map((o) => pool.encode(o, preferredCodec())));
    encoded.forEach(({ codec, data }, i) => assert.ok(decode(codec, data, objects[i]!.length).equals(objects[i]!), `object ${i}`));
    assert.equal(encoded[400]!.codec, 'none', 'random bytes are stored as they are');
    assert.equal(encoded[400]!.data, objects[400], 'the same buffer, not a copy');
    assert.equal(encoded[401]!.codec, 'none', 'tiny objects are not compressed');
    assert.ok(encoded[403]!.data.length < 100_000, 'a large object is compressed too');
    assert.equal((await pool.encode(note(3), 'none')).codec, 'none');
  });

  it('a worker that dies fails the objects it held (no call hangs); the next batch gets a new worker', async () => {
    const dying = "require('node:worker_threads').parentPort.on('message', () => process.exit(3));";
    const pool = new CodecPool(1, dying);
    const results = await Promise.allSettled([pool.encode(note(1), 'deflate'), pool.encode(note(2), 'deflate')]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok(isOcmError((r as PromiseRejectedResult).reason, 'failed'));
      assert.match(String((r as PromiseRejectedResult).reason.message), /Compressing backup objects failed: .*Run the backup again/);
    }
    const again = await Promise.allSettled([pool.encode(note(3), 'deflate')]);
    assert.equal(again[0]!.status, 'rejected', 'a new worker (same failing code) was started and failed the same way');
  });

  it('a worker whose code does not run fails its objects with a clear message', async () => {
    const pool = new CodecPool(1, 'this is not javascript (');
    await assert.rejects(pool.encode(note(1), 'deflate'), (e: unknown) => isOcmError(e, 'failed'));
  });
});
