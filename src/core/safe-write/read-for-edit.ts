import { OcmError } from '../errors';
import type { Transport } from '../transport/types';
import { snapshotRemote } from './remote-snapshot';
import type { ReadForEditResult } from './types';

/**
 * Reads a remote file for editing. The caller keeps `{sha256, mtimeMs, size}` and passes it back
 * as `expected` to safeWrite, which refuses the save if the file changed in the meantime.
 */
export async function readForEdit(transport: Transport, remotePath: string, options: { signal?: AbortSignal } = {}): Promise<ReadForEditResult> {
  const snap = await snapshotRemote(transport, remotePath, options.signal);
  if (!snap) {
    throw new OcmError('notFound', `${remotePath} does not exist on ${transport.nodeId}. Check the path, or create the file.`, { nodeId: transport.nodeId, remotePath });
  }
  return { content: snap.content, sha256: snap.sha256, mtimeMs: snap.stat.mtimeMs, size: snap.content.length, mode: snap.stat.mode };
}
