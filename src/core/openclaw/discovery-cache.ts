/**
 * What discovery learnt on each node that is expensive to learn again, kept while the node shows
 * it is unchanged:
 *
 * - `openclaw --version` (≈ 200 ms of CPU on the node: Node.js starts): reused while the binary
 *   looks the same — same path and the same `stat` line (inode, size, change time to the
 *   nanosecond: an upgrade re-creates or rewrites the file);
 * - the login shell's answer (PATH, OPENCLAW_* and where it finds `openclaw`; ≈ 45 ms of CPU and
 *   4 processes per node, the biggest part of an `ocm status` of many nodes): reused while the
 *   shell and its startup files (/etc/profile and profile.d, ~/.profile, ~/.bash_profile,
 *   ~/.bashrc, zsh's and fish's files, nvm's default alias) have the same `stat` lines.
 *
 * Either answer is reused for at most `ttlMs`, so what the stamps cannot see (a Node.js runtime
 * changed under an unchanged binary, a file a profile sources) is noticed within that time. Only
 * answers that worked are kept: a failing binary is asked again every time. Nothing secret is
 * kept: the login answer holds PATH and the OPENCLAW_* variables discovery reads, not the
 * environment.
 *
 * Long-lived faces (the extension) share one cache between the tree and the health checks; the
 * CLI keeps it in the ocm home between runs (discovery-cache-file.ts); the operations that change
 * a node (restore, migrate, restart) never pass one and always ask.
 */
export interface CachedVersion {
  bin: string;
  /** `stat -L -c '%i %s %z' -- <bin>` (BSD: `ls -ildcLT`) on the node when the version was read. */
  stamp: string;
  versionLine: string;
}

export interface CachedLoginEnv {
  /** `stat` lines of the login shell and its startup files that exist (see buildLocateScript). */
  stamp: string;
  /** The login shell's `command -v openclaw` (absolute), when it found one. */
  bin?: string;
  /** PATH and OPENCLAW_* as the login shell set them (only those discovery reads). */
  vars: Record<string, string>;
}

export const DEFAULT_DISCOVERY_CACHE_TTL_MS = 10 * 60_000;

interface Timed<T> {
  value: T;
  /** When it was learnt (ms since the epoch). */
  at: number;
}

/** The cache's content, for keeping it in a file (entries carry the time they were learnt). */
export interface DiscoveryCacheSnapshot {
  versions: Record<string, Timed<CachedVersion>>;
  logins: Record<string, Timed<CachedLoginEnv>>;
}

export class DiscoveryCache {
  private readonly versions = new Map<string, Timed<CachedVersion>>();
  private readonly logins = new Map<string, Timed<CachedLoginEnv>>();

  constructor(
    private readonly ttlMs = DEFAULT_DISCOVERY_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  getVersion(nodeId: string): CachedVersion | undefined {
    return this.fresh(this.versions, nodeId);
  }

  setVersion(nodeId: string, value: CachedVersion): void {
    this.versions.set(nodeId, { value: { ...value }, at: this.now() });
  }

  forgetVersion(nodeId: string): void {
    this.versions.delete(nodeId);
  }

  getLogin(nodeId: string): CachedLoginEnv | undefined {
    return this.fresh(this.logins, nodeId);
  }

  setLogin(nodeId: string, value: CachedLoginEnv): void {
    this.logins.set(nodeId, { value: { ...value, vars: { ...value.vars } }, at: this.now() });
  }

  forgetLogin(nodeId: string): void {
    this.logins.delete(nodeId);
  }

  /** Forget everything about one node (its refresh) or about every node. */
  forget(nodeId?: string): void {
    if (nodeId === undefined) {
      this.versions.clear();
      this.logins.clear();
    } else {
      this.versions.delete(nodeId);
      this.logins.delete(nodeId);
    }
  }

  /** The entries still fresh, to keep in a file. */
  snapshot(): DiscoveryCacheSnapshot {
    const out: DiscoveryCacheSnapshot = { versions: {}, logins: {} };
    for (const [id, e] of this.versions) if (this.isFresh(e)) out.versions[id] = e;
    for (const [id, e] of this.logins) if (this.isFresh(e)) out.logins[id] = e;
    return out;
  }

  /** Takes entries from a snapshot (their own times kept, so the TTL counts from when they were learnt). */
  restore(snapshot: DiscoveryCacheSnapshot): void {
    for (const [id, e] of Object.entries(snapshot.versions)) if (this.isFresh(e)) this.versions.set(id, e);
    for (const [id, e] of Object.entries(snapshot.logins)) if (this.isFresh(e)) this.logins.set(id, e);
  }

  private isFresh(entry: Timed<unknown>): boolean {
    const age = this.now() - entry.at;
    return age >= 0 && age <= this.ttlMs;
  }

  private fresh<T>(map: Map<string, Timed<T>>, nodeId: string): T | undefined {
    const entry = map.get(nodeId);
    if (!entry) return undefined;
    if (!this.isFresh(entry)) {
      map.delete(nodeId);
      return undefined;
    }
    return entry.value;
  }
}
