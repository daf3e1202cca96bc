import { promises as fs, readlinkSync } from 'node:fs';

/**
 * Records, in order, every fsync (FileHandle.sync, with the path the descriptor names) and every
 * rename/link made through fs.promises while `work` runs, so a test can assert that a file's bytes
 * were synced before its name was published and its folder after. Linux (/proc/self/fd).
 */
export type SyncEvent = { op: 'sync'; path: string } | { op: 'rename' | 'link'; from: string; to: string };

export async function recordSyncs<T>(work: () => Promise<T>): Promise<{ result: T; events: SyncEvent[] }> {
  const events: SyncEvent[] = [];
  const probe = await fs.open('/proc/self/stat', 'r');
  const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const sync = proto.sync;
  const rename = fs.rename;
  const link = fs.link;
  proto.sync = async function (this: { fd: number }): Promise<void> {
    events.push({ op: 'sync', path: readlinkSync(`/proc/self/fd/${this.fd}`) });
    return sync.call(this);
  };
  fs.rename = async (from, to) => {
    events.push({ op: 'rename', from: String(from), to: String(to) });
    return rename(from, to);
  };
  fs.link = async (from, to) => {
    events.push({ op: 'link', from: String(from), to: String(to) });
    return link(from, to);
  };
  try {
    return { result: await work(), events };
  } finally {
    proto.sync = sync;
    fs.rename = rename;
    fs.link = link;
  }
}

/** Index of the first event matching `pred` (-1 if none). */
export function indexOf(events: SyncEvent[], pred: (e: SyncEvent) => boolean): number {
  return events.findIndex(pred);
}
