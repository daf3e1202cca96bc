import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { ParallelGzip } from '../../../src/core/backup/parallel-gzip';

async function compress(input: Buffer, blockBytes: number, chunk = 7777): Promise<Buffer> {
  const parts: Buffer[] = [];
  const chunks: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunk) chunks.push(input.subarray(i, i + chunk));
  const z = new ParallelGzip(1, blockBytes, 3);
  z.on('data', (c: Buffer) => parts.push(c));
  const done = new Promise<void>((resolve, reject) => {
    z.on('end', resolve);
    z.on('error', reject);
  });
  Readable.from(chunks).pipe(z);
  await done;
  return Buffer.concat(parts);
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
