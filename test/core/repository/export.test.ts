import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPOSITORY_FORMAT, type Snapshot, type SnapshotEntry } from '../../../src/core/repository/format';
import { exportSnapshot } from '../../../src/core/repository/export';
import { ingestBuffer } from '../../../src/core/repository/ingest';
import { Repository } from '../../../src/core/repository/repository';
import { newSnapshotId, writeTree } from '../../../src/core/repository/snapshots';
import { recordSyncs } from '../../support/sync-recorder';

/**
 * An exported archive (what restore and migrate upload, what `ocm export` leaves) is on the disk
 * when exportSnapshot returns: its bytes are fsynced before the temp file gets its name, and the
 * folder after the rename (issue 14.11: archive bytes fsynced before their index is published).
 */
describe('exportSnapshot', () => {
  let root: string;
  let repo: Repository;
  let snapshot: Snapshot;

  before(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'ocm-export-unit-'));
    repo = await Repository.open(join(root, 'repository'));
    await repo.objects.load();
    const session = repo.objects.startWrite();
    const entries: SnapshotEntry[] = [];
    for (const [path, text] of Object.entries({ '/s/openclaw.json': '{}\n', '/s/workspace/MEMORY.md': '# Memory\n' })) {
      const buf = Buffer.from(text);
      entries.push({ path, type: 'file', size: buf.length, mode: 0o600, ...(await ingestBuffer(session, buf)) });
    }
    const tree = await writeTree(session, entries);
    await session.commit();
    const createdAt = new Date();
    snapshot = {
      formatVersion: REPOSITORY_FORMAT,
      id: newSnapshotId(createdAt),
      nodeId: 'n1',
      createdAt: createdAt.toISOString(),
      openclawVersion: null,
      capture: { method: 'own', sqlite: 'none', fullRescan: false },
      options: { includeTranscripts: false, configOnly: false },
      sourcePaths: { stateDir: '/s', workspaceDirs: [], agentDirs: [], agentRoots: [] },
      assets: [],
      skipped: [],
      externalSymbolicLinks: [],
      platform: 'linux',
      parent: null,
      pinned: false,
      tags: [],
      entryCount: entries.length,
      totalSize: entries.reduce((n, e) => n + e.size, 0),
      tree,
      warnings: [],
    } as Snapshot;
    await repo.writeSnapshot(snapshot);
  });
  after(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('fsyncs the archive before renaming it into place, and its folder after', async () => {
    const outDir = join(root, 'out');
    await fs.mkdir(outDir);
    const out = join(outDir, 'n1.tar.gz');
    const { result, events } = await recordSyncs(() => exportSnapshot(repo, snapshot, out));
    assert.equal(result.archivePath, out);
    assert.equal((await fs.stat(out)).size, result.archiveSize);
    const renamed = events.findIndex((e) => e.op === 'rename' && e.to === out);
    assert.ok(renamed >= 0, JSON.stringify(events));
    const temp = (events[renamed] as { from: string }).from;
    assert.ok(
      events.slice(0, renamed).some((e) => e.op === 'sync' && e.path === temp),
      `the bytes are synced before the name: ${JSON.stringify(events)}`,
    );
    assert.ok(
      events.slice(renamed).some((e) => e.op === 'sync' && e.path === outDir),
      `the folder is synced after the rename: ${JSON.stringify(events)}`,
    );
  });
});
