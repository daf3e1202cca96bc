import { OcmError } from '../errors';
import { safeWrite, snapshotRemote, type ExpectedRemote, type SafeWriteResult } from '../safe-write';
import type { Transport } from '../transport/types';
import type { TimelineReader } from './collect';
import type { Timeline, TimelineVersion } from './types';

export interface RestoreVersionParams {
  home: string;
  timeline: Timeline & TimelineReader;
  version: TimelineVersion;
  /** What the user saw as the live file when choosing (default: the file as it is now). */
  expected?: ExpectedRemote;
  via?: 'vscode' | 'cli';
  /** The mix-up guard, when the file is one it protects (restoring your own old memory passes it). */
  beforeWrite?: (content: Uint8Array, current: Buffer | undefined) => void | Promise<void>;
  signal?: AbortSignal;
}

/**
 * Puts one timeline version back on the node through the safe save: the live bytes are kept in
 * the history first (`pre-restore`), then the conflict check, then the atomic write — a write
 * killed half way leaves the live file as it was.
 */
export async function restoreTimelineVersion(transport: Transport, p: RestoreVersionParams): Promise<SafeWriteResult & { unchanged: boolean }> {
  const { timeline, version } = p;
  if (transport.nodeId !== timeline.nodeId) {
    throw new OcmError('invalidInput', `The timeline is of node ${timeline.nodeId}, not ${transport.nodeId}.`, { nodeId: timeline.nodeId });
  }
  const content = await timeline.read(version);
  let expected = p.expected;
  let unchanged = false;
  if (!expected) {
    const now = await snapshotRemote(transport, timeline.remotePath, p.signal);
    expected = now ? { sha256: now.sha256, mtimeMs: now.stat.mtimeMs, size: now.content.length } : 'absent';
    unchanged = now?.sha256 === version.sha256;
  }
  const result = await safeWrite(transport, {
    home: p.home,
    nodeId: timeline.nodeId,
    remotePath: timeline.remotePath,
    content,
    expected,
    backupReason: 'pre-restore',
    ...(p.via ? { via: p.via } : {}),
    ...(p.beforeWrite ? { beforeWrite: p.beforeWrite } : {}),
    ...(p.signal ? { signal: p.signal } : {}),
  });
  return { ...result, unchanged };
}
