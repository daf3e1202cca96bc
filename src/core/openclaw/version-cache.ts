/**
 * What `openclaw --version` said on each node, so a repeated discovery need not start Node.js
 * (≈ 200 ms of CPU on the node: the biggest cost of expanding a node or of a periodic health
 * check). An answer is reused only while the binary looks the same — same path and the same
 * `stat` line (inode, size, change time to the nanosecond: an upgrade re-creates or rewrites the file) — and for at most
 * `ttlMs`, so a Node.js runtime changed under an unchanged binary is noticed within that time.
 * Only answers that parsed as a version are kept: a failing binary is asked again every time.
 *
 * Long-lived faces (the extension) share one cache between the tree and the health checks; the
 * operations that change a node (restore, migrate, restart) never pass one and always ask.
 */
export interface CachedVersion {
  bin: string;
  /** `stat -L -c '%i %s %z' -- <bin>` (BSD: `ls -ildcLT`) on the node when the version was read. */
  stamp: string;
  versionLine: string;
}

export const DEFAULT_VERSION_CACHE_TTL_MS = 10 * 60_000;

export class OpenclawVersionCache {
  private readonly entries = new Map<string, CachedVersion & { at: number }>();

  constructor(
    private readonly ttlMs = DEFAULT_VERSION_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get(nodeId: string): CachedVersion | undefined {
    const entry = this.entries.get(nodeId);
    if (!entry) return undefined;
    if (this.now() - entry.at > this.ttlMs) {
      this.entries.delete(nodeId);
      return undefined;
    }
    return { bin: entry.bin, stamp: entry.stamp, versionLine: entry.versionLine };
  }

  set(nodeId: string, value: CachedVersion): void {
    this.entries.set(nodeId, { ...value, at: this.now() });
  }

  /** Forget one node (its refresh) or every node. */
  forget(nodeId?: string): void {
    if (nodeId === undefined) this.entries.clear();
    else this.entries.delete(nodeId);
  }
}
