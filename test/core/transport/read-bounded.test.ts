import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { formatLimit, readFileBounded } from '../../../src/core/transport/read-bounded';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import { withSignal } from '../../../src/core/transport/with-signal';

/** readFileBounded through the real LocalTransport (over real sshd: test/integration/cli/bounded-reads.test.ts). */

const t = new LocalTransport({ nodeId: 'here' });
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ocm-read-bounded-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readFileBounded', () => {
  it('reads a file up to exactly the limit and refuses one byte more, from the stat', async () => {
    await writeFile(join(dir, 'ten'), '0123456789');
    assert.equal((await readFileBounded(t, join(dir, 'ten'), 10)).toString(), '0123456789');
    await assert.rejects(
      readFileBounded(t, join(dir, 'ten'), 9),
      (e: unknown) => isOcmError(e, 'invalidInput') && /ten on here is 10 bytes, over the limit of 9 bytes/.test(e.message) && e.details.size === 10,
    );
  });

  it('refuses devices and folders, also through a symlink, before reading', async () => {
    await symlink('/dev/zero', join(dir, 'zero'));
    await assert.rejects(
      readFileBounded(t, join(dir, 'zero'), 1024),
      (e: unknown) => isOcmError(e, 'invalidInput') && /zero on here is not a regular file \(a device, FIFO or socket\)/.test(e.message),
    );
    await assert.rejects(readFileBounded(t, dir, 1024), (e: unknown) => isOcmError(e, 'invalidInput') && /is a folder/.test(e.message));
    await assert.rejects(readFileBounded(t, join(dir, 'missing'), 1024), (e: unknown) => isOcmError(e, 'notFound'));
  });

  it('cuts off a read that passes the limit (a file whose stat says 0 bytes, or no stat at all)', async () => {
    await assert.rejects(
      readFileBounded(t, '/dev/zero', 1024 * 1024, { stat: 'skip' }),
      (e: unknown) =>
        isOcmError(e, 'invalidInput') && e.details.tooLarge === true && /\/dev\/zero on here holds more than that, over the limit of 1 MiB/.test(e.message),
    );
    // /proc files have size 0 in their stat and content all the same.
    const status = await readFileBounded(t, '/proc/self/status', 1024 * 1024);
    assert.match(status.toString(), /^Name:/);
    await assert.rejects(readFileBounded(t, '/proc/self/status', 16), (e: unknown) => isOcmError(e, 'invalidInput') && e.details.tooLarge === true);
  });

  it("the too-large message carries the caller's hint, and a caller's signal still cancels", async () => {
    await writeFile(join(dir, 'hint'), 'x'.repeat(100));
    await assert.rejects(
      readFileBounded(t, join(dir, 'hint'), 10, { raiseHint: 'Raise it with --max-size.' }),
      (e: unknown) => isOcmError(e, 'invalidInput') && /Raise it with --max-size\.$/.test(e.message),
    );
    const aborted = AbortSignal.abort();
    await assert.rejects(readFileBounded(withSignal(t, aborted), join(dir, 'hint'), 1000), (e: unknown) => isOcmError(e, 'cancelled'));
  });

  it('formats limits', () => {
    assert.deepEqual(
      [formatLimit(812), formatLimit(1536), formatLimit(64 * 1024 * 1024), formatLimit(3 * 1024 ** 3)],
      ['812 bytes', '1.5 KiB', '64 MiB', '3 GiB'],
    );
  });
});
