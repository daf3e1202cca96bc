import { OcmError } from '../errors';
import type { Transport } from '../transport/types';
import { snapshotRemote, type SnapshotOptions } from './remote-snapshot';
import type { ReadForEditResult } from './types';

/**
 * Reads a remote file for editing. The caller keeps `{sha256, mtimeMs, size}` and passes it back
 * as `expected` to safeWrite, which refuses the save if the file changed in the meantime.
 * Regular files up to `maxBytes` only (default 64 MiB): see snapshotRemote.
 */
export async function readForEdit(
  transport: Transport,
  remotePath: string,
  options: { signal?: AbortSignal } & SnapshotOptions = {},
): Promise<ReadForEditResult> {
  const { signal, ...limits } = options;
  const snap = await snapshotRemote(transport, remotePath, signal, limits);
  if (!snap) {
    throw new OcmError('notFound', `${remotePath} does not exist on ${transport.nodeId}. Check the path, or create the file.`, {
      nodeId: transport.nodeId,
      remotePath,
    });
  }
  return { content: snap.content, sha256: snap.sha256, mtimeMs: snap.stat.mtimeMs, size: snap.content.length, mode: snap.stat.mode };
}
