import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { ParallelGzip, storedMember } from '../../../src/core/backup/parallel-gzip';

/** Feeds `input` through a ParallelGzip in `chunk`-sized writes; returns the output and the stream (for its counters). */
async function gzipWith(input: Buffer, blockBytes: number, options: { chunk?: number; parallelism?: number } = {}): Promise<{ out: Buffer; z: ParallelGzip }> {
  const chunk = options.chunk ?? 7777;
  const parts: Buffer[] = [];
  const chunks: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunk) chunks.push(input.subarray(i, i + chunk));
  const z = new ParallelGzip(1, blockBytes, options.parallelism ?? 3);
  z.on('data', (c: Buffer) => parts.push(c));
  const done = new Promise<void>((resolve, reject) => {
    z.on('end', resolve);
    z.on('error', reject);
  });
  Readable.from(chunks).pipe(z);
  await done;
  return { out: Buffer.concat(parts), z };
}

async function compress(input: Buffer, blockBytes: number): Promise<Buffer> {
  return (await gzipWith(input, blockBytes)).out;
}

describe('ParallelGzip', () => {
  it('emits gzip members in order that gunzip as one stream', async () => {
    const input = Buffer.concat([randomBytes(300_000), Buffer.alloc(500_000, 'a'), randomBytes(123_457)]);
    const out = await compress(input, 64 * 1024);
    assert.ok(out.length < input.length);
    assert.deepEqual(gunzipSync(out), input);
  });
  it('handles empty and tiny inputs', async () => {
    assert.deepEqual(gunzipSync(await compress(Buffer.from('x'), 1024)), Buffer.from('x'));
    assert.equal((await compress(Buffer.alloc(0), 1024)).length, 0);
  });
});

describe('ParallelGzip stored blocks', () => {
  it('stores blocks that do not compress (valid gzip, barely larger) and still deflates text', async () => {
    const blockBytes = 256 * 1024;
    const random = randomBytes(3 * blockBytes + 1234);
    const text = Buffer.from('agent memory gateway node backup '.repeat(30_000));
    const input = Buffer.concat([random, text, randomBytes(100)]);
    const { out, z } = await gzipWith(input, blockBytes, { chunk: 10_000, parallelism: 2 });
    assert.deepEqual(gunzipSync(out), input);
    assert.ok(z.storedBlocks >= 2, `stored ${z.storedBlocks}`); // the block where random data meets text is deflated
    assert.ok(z.deflatedBlocks >= 2, `deflated ${z.deflatedBlocks}`);
    // Stored random data costs only framing; the text part still shrinks a lot.
    assert.ok(out.length < random.length + text.length / 10 + 4096, `${out.length}`);
  });
  it('writes a stored member that gunzip and the gzip CRC accept, also for empty and >64 KiB data', async () => {
    for (const data of [Buffer.alloc(0), randomBytes(1), randomBytes(65_535), randomBytes(65_536), randomBytes(200_001)]) {
      assert.deepEqual(gunzipSync(await storedMember(data)), data);
    }
  });
});
