import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashLiveFiles } from '../../../src/core/backup';
import { parseHashListing } from '../../../src/core/backup/live-diff';
import { isOcmError } from '../../../src/core/errors';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import type { Transport } from '../../../src/core/transport/types';

/**
 * The live side of compare and restore (issue 14.11): file names with a newline or a backslash
 * keep their size and mode; a cut-off listing and lines that do not parse are errors, never a
 * half-compared tree.
 */
describe('hashLiveFiles', () => {
  const transport = new LocalTransport({ nodeId: 'n1' });
  let root: string;
  before(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'ocm-live-diff-'));
  });
  after(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('names with a newline or a backslash: right path, sha256, size and mode', async () => {
    const names = ['plain.md', 'two\nlines.md', 'back\\slash.md'];
    for (const [i, n] of names.entries()) {
      await fs.writeFile(join(root, n), 'x'.repeat(i + 3));
      await fs.chmod(join(root, n), 0o640);
    }
    const entries = await hashLiveFiles(transport, [root]);
    assert.deepEqual(
      entries.map((e) => [e.path, e.size, e.mode, e.sha256]).sort(),
      names
        .map((n, i) => [
          join(root, n),
          i + 3,
          0o640,
          createHash('sha256')
            .update('x'.repeat(i + 3))
            .digest('hex'),
        ])
        .sort(),
    );
  });

  it('a truncated listing is refused', async () => {
    const t = {
      nodeId: 'n1',
      exec: async () => ({ exitCode: 0, stdout: `${'0'.repeat(64)}  /a\n@@OCM-SIZES@@\n1 644 /a\0`, stderr: '', truncated: true }),
    } as unknown as Transport;
    await assert.rejects(hashLiveFiles(t, ['/a']), (e: unknown) => isOcmError(e, 'failed') && /too long/.test((e as Error).message));
  });

  it('a raw name split over two lines (a tool that does not escape) is refused, not skipped', () => {
    const h = 'a'.repeat(64);
    assert.throws(
      () => parseHashListing(`${h} */s/two\nlines.md\n@@OCM-SIZES@@\n3 644 /s/two\nlines.md\n`, 'n1'),
      (e: unknown) => isOcmError(e, 'failed') && /Unexpected/.test((e as Error).message),
    );
    assert.deepEqual(parseHashListing(`${h} */s/one.md\n@@OCM-SIZES@@\n3 644 /s/one.md\n`, 'n1'), [
      { path: '/s/one.md', type: 'file', size: 3, mode: 0o644, sha256: h },
    ]);
  });

  it('a file that vanished between the hash and the size pass (a gateway staging folder) is left out, not an error', () => {
    const h = 'b'.repeat(64);
    const listing = `${h}  /s/.staging-1/a.js\n${h}  /s/keep.md\n@@OCM-SIZES@@\n3 644 /s/keep.md\0`;
    assert.deepEqual(parseHashListing(listing, 'n1'), [{ path: '/s/keep.md', type: 'file', size: 3, mode: 0o644, sha256: h }]);
    // The first half of a name split by a raw tool is still refused even when a crafted second half looks like a hash line.
    assert.throws(
      () => parseHashListing(`${h} */s/x\n${h} */s/y\n@@OCM-SIZES@@\n3 644 /s/x\n${h} */s/y\0`, 'n1'),
      (e: unknown) => isOcmError(e, 'failed') && /no size/.test((e as Error).message),
    );
  });
});
