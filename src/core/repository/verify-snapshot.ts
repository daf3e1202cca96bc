import { createHash } from 'node:crypto';
import { OcmError } from '../errors';
import { entryObjects, type Snapshot } from './format';
import type { Repository } from './repository';

/**
 * `ocm verify <backup>`: every file of one snapshot read back from its packs, each object checked
 * against its hash and each file against its sha256. Names the files that cannot be restored.
 */

export interface SnapshotVerifyResult {
  ok: boolean;
  snapshot: string;
  entryCount: number;
  fileCount: number;
  totalBytes: number;
  damaged: Array<{ path: string; reason: string }>;
}

export async function verifySnapshot(repo: Repository, snap: Snapshot, options: { signal?: AbortSignal } = {}): Promise<SnapshotVerifyResult> {
  const ref = `${snap.nodeId}/${snap.id}`;
  let entries;
  try {
    entries = await repo.readEntries(snap);
  } catch (e) {
    return {
      ok: false,
      snapshot: ref,
      entryCount: snap.entryCount,
      fileCount: 0,
      totalBytes: 0,
      damaged: [{ path: '(file list)', reason: (e as Error).message }],
    };
  }
  const damaged: SnapshotVerifyResult['damaged'] = [];
  let fileCount = 0;
  let totalBytes = 0;
  for (const e of entries) {
    if (options.signal?.aborted) throw new OcmError('cancelled', 'Verification was cancelled.');
    if (e.type !== 'file' && e.type !== 'hardlink') continue;
    fileCount++;
    const hash = createHash('sha256');
    let size = 0;
    try {
      for (const id of entryObjects(e)) {
        const data = await repo.objects.read(id);
        hash.update(data);
        size += data.length;
      }
      if (size !== e.size || (e.sha256 && hash.digest('hex') !== e.sha256)) damaged.push({ path: e.path, reason: 'its content does not match the snapshot' });
      totalBytes += size;
    } catch (err) {
      damaged.push({ path: e.path, reason: (err as Error).message });
    }
  }
  return { ok: damaged.length === 0, snapshot: ref, entryCount: entries.length, fileCount, totalBytes, damaged };
}
