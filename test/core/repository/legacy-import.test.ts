import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scanArchive } from '../../../src/core/backup/archive-scan';
import { LegacyStore } from '../../../src/core/backup/legacy-store';
import { BackupStore } from '../../../src/core/backup/store';
import { BACKUP_INDEX_FORMAT } from '../../../src/core/backup/types';
import { isOcmError } from '../../../src/core/errors';
import { importArchive } from '../../../src/core/repository/import';
import { Repository } from '../../../src/core/repository/repository';
import { goodEntries, P, STATE, writeArchive } from '../backup/archive-builder';

/**
 * The upgrade: backups in the old `.tar.gz` store appear as snapshots (ids and pins kept, the
 * archives left where they are), and foreign archives come in only after the hostile-archive scan.
 */

let root: string;
before(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'ocm-legacy-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function legacyBackup(store: LegacyStore, nodeId: string, id: string, pinned: boolean, files: Record<string, string>): Promise<void> {
  const partial = await store.createPartial(nodeId);
  await writeArchive(partial, goodEntries(files));
  const scan = await scanArchive(partial);
  await store.publish(partial, id, {
    formatVersion: BACKUP_INDEX_FORMAT,
    nodeId,
    createdAt: '2026-11-01T00:00:00.000Z',
    engine: 'openclaw',
    openclawVersion: '2026.9.6',
    archiveSha256: scan.archiveSha256,
    archiveSize: scan.archiveSize,
    archiveRoot: scan.archiveRoot,
    manifestSha256: scan.manifestSha256,
    options: { includeTranscripts: false, configOnly: false },
    sourcePaths: { stateDir: STATE, workspaceDirs: [], agentDirs: [] },
    pinned,
    externalSymbolicLinks: [],
    entries: scan.entries,
  });
}

describe('old backups after the upgrade', () => {
  it('are listed with their ids and pins, read back byte for byte, and the archives stay', async () => {
    const backups = join(root, 'backups');
    const legacy = new LegacyStore(backups);
    await legacyBackup(legacy, 'n1', 'old-one', true, { 'workspace/MEMORY.md': '# old memory\n' });
    await legacyBackup(legacy, 'n1', 'old-two', false, { 'workspace/MEMORY.md': '# newer memory\n' });
    const store = new BackupStore(backups);
    const list = await store.list('n1');
    assert.deepEqual(list.map((b) => b.id).sort(), ['old-one', 'old-two']);
    assert.equal(list.find((b) => b.id === 'old-one')?.pinned, true);
    assert.equal(list.find((b) => b.id === 'old-one')?.engine, 'openclaw');
    assert.equal((await store.readFile({ nodeId: 'n1', id: 'old-one' }, `${STATE}/workspace/MEMORY.md`)).toString(), '# old memory\n');
    assert.equal((await legacy.list('n1')).length, 2, 'the old archives are still there');
    // A second store (another process) does not import them twice.
    assert.equal((await new BackupStore(backups).list('n1')).length, 2);
  });

  it('a hostile archive is refused before anything is stored', async () => {
    const repo = await Repository.open(join(root, 'hostile-repo'));
    const evil = join(root, 'evil.tar.gz');
    await writeArchive(evil, [...goodEntries(), { path: `${P}${STATE}/../../../../etc/cron.d/x`, data: 'evil' }]);
    await assert.rejects(importArchive(repo, evil, { nodeId: 'n1' }), (e: unknown) => isOcmError(e, 'failed') && /cron\.d/.test(e.message));
    assert.deepEqual(await repo.listSnapshots(), []);
  });
});
