import { strict as assert } from 'node:assert';
import { createReadStream, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isOcmError } from '../../../src/core/errors';
import { scanArchive, scanArchiveStream, type ArchiveLimits } from '../../../src/core/backup/archive-scan';
import { verifyArchive } from '../../../src/core/backup/verify';
import { BACKUP_INDEX_FORMAT, type BackupIndex } from '../../../src/core/backup/types';
import { goodEntries, manifestFor, P, ROOT, STATE, writeArchive, type RawEntry } from './archive-builder';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'ocm-verify-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

let n = 0;
async function archive(entries: RawEntry[]): Promise<string> {
  const path = join(dir, `a${++n}.tar.gz`);
  await writeArchive(path, entries);
  return path;
}

/** Expects rejection naming `entry`, and that verifying wrote nothing beside the archive. */
async function rejects(path: string, entryFragment: string | undefined, check: string, limits?: Parameters<typeof verifyArchive>[2]): Promise<string> {
  const before = (await fs.readdir(dir)).sort();
  let message = '';
  await assert.rejects(verifyArchive(path, undefined, limits), (e: unknown) => {
    assert.ok(isOcmError(e), `expected OcmError, got ${String(e)}`);
    assert.equal(e.details.check, check, e.message);
    if (entryFragment !== undefined) {
      assert.ok(String(e.details.entry ?? '').includes(entryFragment), `entry ${String(e.details.entry)} should name ${entryFragment}`);
      assert.ok(e.message.includes(entryFragment), e.message);
    }
    assert.match(e.message, /Nothing was extracted/);
    message = e.message;
    return true;
  });
  assert.deepEqual((await fs.readdir(dir)).sort(), before, 'verify must not write anything');
  return message;
}

function indexFrom(scan: Awaited<ReturnType<typeof scanArchive>>): BackupIndex {
  return {
    formatVersion: BACKUP_INDEX_FORMAT,
    id: 'x',
    nodeId: 'n1',
    createdAt: '2026-01-01T00:00:00.000Z',
    engine: 'ocm',
    openclawVersion: '2026.9.6',
    archiveFile: 'x.tar.gz',
    archiveSha256: scan.archiveSha256,
    archiveSize: scan.archiveSize,
    archiveRoot: scan.archiveRoot,
    manifestSha256: scan.manifestSha256,
    options: { includeTranscripts: false, configOnly: false },
    sourcePaths: { stateDir: STATE, workspaceDirs: [], agentDirs: [] },
    pinned: false,
    externalSymbolicLinks: [],
    entries: scan.entries,
  };
}

describe('verifyArchive: well-formed archives', () => {
  it('accepts an OpenClaw-layout archive and hashes every file', async () => {
    const path = await archive(goodEntries());
    const scan = await scanArchive(path);
    assert.equal(scan.archiveRoot, ROOT);
    const memory = scan.entries.find((e) => e.path === `${STATE}/workspace/MEMORY.md`);
    assert.ok(memory);
    assert.equal(memory.type, 'file');
    assert.equal(memory.mode, 0o600);
    assert.match(memory.sha256 ?? '', /^[0-9a-f]{64}$/);
    const result = await verifyArchive(path, indexFrom(scan));
    assert.equal(result.ok, true);
    assert.equal(result.checkedAgainstIndex, true);
    assert.equal(result.fileCount, 3);
  });

  it('records absolute symlinks as external links (like OpenClaw), not as an error', async () => {
    const path = await archive([...goodEntries(), { path: `${P}${STATE}/workspace/shared`, type: 'SymbolicLink', linkpath: '/srv/shared' }]);
    const result = await verifyArchive(path);
    assert.deepEqual(result.externalSymbolicLinks, [{ entryPath: `${P}${STATE}/workspace/shared`, linkpath: '/srv/shared' }]);
  });

  it('accepts a hard link to an earlier file in the payload', async () => {
    const path = await archive([
      ...goodEntries(),
      { path: `${P}${STATE}/workspace/MEMORY-copy.md`, type: 'Link', linkpath: `${P}${STATE}/workspace/MEMORY.md` },
    ]);
    const scan = await scanArchive(path);
    const link = scan.entries.find((e) => e.type === 'hardlink');
    assert.equal(link?.linkTarget, `${STATE}/workspace/MEMORY.md`);
  });
});

describe('verifyArchive: hostile archives are rejected, naming the entry', () => {
  it('path traversal with ..', async () => {
    await rejects(await archive([...goodEntries(), { path: `${ROOT}/payload/posix/../../../x`, data: 'evil' }]), '../../../x', 'path');
  });
  it('a top-level ../x', async () => {
    await rejects(await archive([{ path: '../x', data: 'evil' }, ...goodEntries()]), '../x', 'path');
  });
  it('an absolute path', async () => {
    await rejects(await archive([...goodEntries(), { path: '/etc/x', data: 'evil' }]), '/etc/x', 'path');
  });
  it('a symlink escaping the archive', async () => {
    await rejects(await archive([...goodEntries(), { path: `${P}/a`, type: 'SymbolicLink', linkpath: '../../../../etc/passwd' }]), `${P}/a`, 'link');
  });
  it('an entry beneath a symlink', async () => {
    const msg = await rejects(
      await archive([...goodEntries(), { path: `${P}${STATE}/ln`, type: 'SymbolicLink', linkpath: '/etc' }, { path: `${P}${STATE}/ln/passwd`, data: 'x' }]),
      `${STATE}/ln/passwd`,
      'link',
    );
    assert.match(msg, /beneath the symbolic link/);
  });
  it('a hard link pointing outside', async () => {
    await rejects(await archive([...goodEntries(), { path: `${P}${STATE}/h`, type: 'Link', linkpath: '/etc/shadow' }]), `${STATE}/h`, 'link');
    await rejects(await archive([...goodEntries(), { path: `${P}${STATE}/h2`, type: 'Link', linkpath: `${ROOT}/manifest.json` }]), `${STATE}/h2`, 'link');
  });
  it('an oversized entry (per-entry limit)', async () => {
    const big = 'x'.repeat(5000);
    await rejects(await archive(goodEntries({ 'big.bin': big })), `${STATE}/big.bin`, 'limit', { limits: { maxEntryBytes: 4096 } });
  });
  it('a decompression bomb (total size limit)', async () => {
    const zeros = Buffer.alloc(3 * 1024 * 1024);
    await rejects(
      await archive([...goodEntries(), { path: `${P}${STATE}/z1`, data: zeros }, { path: `${P}${STATE}/z2`, data: zeros }]),
      `${STATE}/z2`,
      'limit',
      {
        limits: { maxTotalBytes: 4 * 1024 * 1024 },
      },
    );
  });
  it('a huge declared size is refused before any data is read', async () => {
    await rejects(await archive([...goodEntries(), { path: `${P}${STATE}/huge`, declaredSize: 2 ** 40 }]), `${STATE}/huge`, 'limit');
  });
  it('corrupted bytes', async () => {
    const path = await archive(goodEntries({ 'pad.txt': 'lorem ipsum '.repeat(4000) }));
    const bytes = await fs.readFile(path);
    for (let i = 200; i < 260; i++) bytes[i] ^= 0xff;
    await fs.writeFile(path, bytes);
    await rejects(path, undefined, 'format');
  });
  it('a truncated archive', async () => {
    const path = await archive(goodEntries({ 'pad.txt': 'lorem ipsum '.repeat(4000) }));
    const bytes = await fs.readFile(path);
    await fs.writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await rejects(path, undefined, 'format');
  });
  it('two manifests', async () => {
    await rejects(await archive([...goodEntries(), { path: `${ROOT}/manifest.json`, data: manifestFor() }]), `${ROOT}/manifest.json`, 'duplicate');
  });
  it('a second top-level folder with its own manifest', async () => {
    await rejects(await archive([...goodEntries(), { path: 'other-root/manifest.json', data: manifestFor('other-root') }]), 'other-root/manifest.json', 'root');
  });
  it('a missing manifest', async () => {
    await rejects(await archive(goodEntries().filter((e) => !e.path.endsWith('manifest.json'))), 'manifest.json', 'manifest');
  });
  it('a manifest naming another root', async () => {
    await rejects(
      await archive([...goodEntries().filter((e) => !e.path.endsWith('manifest.json')), { path: `${ROOT}/manifest.json`, data: manifestFor('elsewhere') }]),
      'manifest.json',
      'manifest',
    );
  });
  it('device and FIFO entries', async () => {
    await rejects(await archive([...goodEntries(), { path: `${P}${STATE}/fifo`, type: 'FIFO' }]), `${STATE}/fifo`, 'type');
    await rejects(await archive([...goodEntries(), { path: `${P}${STATE}/tty`, type: 'CharacterDevice' }]), `${STATE}/tty`, 'type');
  });
  it('files outside payload/posix', async () => {
    await rejects(await archive([...goodEntries(), { path: `${ROOT}/extra.sh`, data: 'rm -rf /' }]), `${ROOT}/extra.sh`, 'layout');
  });
  it('not an archive at all', async () => {
    const path = join(dir, 'plain.tar.gz');
    await fs.writeFile(path, gzipSync(Buffer.from('hello, not a tar file at all')));
    await rejects(path, undefined, 'format');
  });
});

describe('verifyArchive against an index', () => {
  it('rejects an archive whose bytes changed after the backup', async () => {
    const original = await archive(goodEntries());
    const index = indexFrom(await scanArchive(original));
    const tampered = await archive(goodEntries({ 'workspace/MEMORY.md': '# Memory\n\n- likes coffee\n' }));
    await assert.rejects(verifyArchive(tampered, index), (e: unknown) => isOcmError(e) && e.details.check === 'checksum');
  });
  it('names the entry whose content differs from the index', async () => {
    const path = await archive(goodEntries());
    const scan = await scanArchive(path);
    const index = indexFrom(scan);
    index.entries = index.entries.map((e) => (e.path.endsWith('MEMORY.md') ? { ...e, sha256: '0'.repeat(64) } : e));
    await assert.rejects(
      verifyArchive(path, index),
      (e: unknown) => isOcmError(e) && String(e.details.entry).endsWith('MEMORY.md') && /content/.test(e.message),
    );
  });
  it('names an entry the index lists but the archive lacks', async () => {
    const path = await archive(goodEntries());
    const index = indexFrom(await scanArchive(path));
    index.entries.push({ path: `${STATE}/gone.md`, type: 'file', size: 1, mode: 0o600, sha256: 'a'.repeat(64) });
    await assert.rejects(verifyArchive(path, index), (e: unknown) => isOcmError(e) && e.details.entry === `${STATE}/gone.md`);
  });
  it('reports a missing archive as notFound', async () => {
    await assert.rejects(verifyArchive(join(dir, 'nope.tar.gz')), (e: unknown) => isOcmError(e, 'notFound'));
  });
});

describe('scanArchiveStream with the inflating off this thread (the own engine checks while writing)', () => {
  const offThread = (path: string, limits?: Partial<ArchiveLimits>) =>
    scanArchiveStream(createReadStream(path, { highWaterMark: 7777 }), path, { inflateOffThread: true, ...(limits ? { limits } : {}) });
  it('gives the same scan as scanArchive', async () => {
    const path = await archive(goodEntries());
    assert.deepEqual(await offThread(path), await scanArchive(path));
  });
  it('rejects a truncated archive, a non-gzip stream and a decompression bomb', async () => {
    const good = await fs.readFile(await archive(goodEntries()));
    const truncated = join(dir, 'trunc-stream.tar.gz');
    await fs.writeFile(truncated, good.subarray(0, good.length - 20));
    await assert.rejects(offThread(truncated), (e: unknown) => isOcmError(e) && e.details.check === 'format');
    const plain = join(dir, 'plain-stream.tar');
    await fs.writeFile(plain, Buffer.alloc(4096));
    await assert.rejects(offThread(plain), (e: unknown) => isOcmError(e) && e.details.check === 'format');
    const bomb = await archive([...goodEntries(), { path: `${P}${STATE}/zeros.bin`, type: 'File', data: Buffer.alloc(8 * 1024 * 1024) }]);
    await assert.rejects(
      offThread(bomb, { maxDecompressionRatio: 50 }),
      (e: unknown) => isOcmError(e) && e.details.check === 'format' && /decompression/.test((e as Error).message),
    );
  });
});
