import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { withFileLock } from '../file-lock';
import { writeFileAtomic } from '../fs-atomic';
import { zod } from '../vendor';
import { DiscoveryCache, type CachedLoginEnv, type CachedVersion } from './discovery-cache';

/**
 * The CLI's DiscoveryCache between runs: `<ocm home>/cache/discovery.json`, owner-only, written
 * atomically, read-merge-written under its lock (core/file-lock.ts). Each node's entries are tagged with where the node was (`user@host:port`) and are
 * dropped when the registry points the id somewhere else. The file is only a shortcut: a missing,
 * unreadable, malformed or foreign one is ignored (discovery then asks the node), and saving it
 * never fails a command.
 */

export function discoveryCachePath(home: string): string {
  return join(home, 'cache', 'discovery.json');
}

interface Tagged<T> {
  value: T;
  at: number;
  /** targetKey() of the node when the entry was learnt. */
  target: string;
}

interface CacheFile {
  version: 1;
  versions: Record<string, Tagged<CachedVersion>>;
  logins: Record<string, Tagged<CachedLoginEnv>>;
}

/** The file, when it is there and well-formed (else empty). */
async function readCacheFile(file: string): Promise<CacheFile> {
  const empty: CacheFile = { version: 1, versions: {}, logins: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch {
    return empty;
  }
  const z = zod();
  const tagged = <T extends import('zod').ZodTypeAny>(value: T) => z.object({ value, at: z.number(), target: z.string() });
  const schema = z.object({
    version: z.literal(1),
    versions: z.record(z.string(), tagged(z.object({ bin: z.string(), stamp: z.string(), versionLine: z.string() }))),
    logins: z.record(z.string(), tagged(z.object({ stamp: z.string(), bin: z.string().optional(), vars: z.record(z.string(), z.string()) }))),
  });
  const parsed = schema.safeParse(raw);
  return parsed.success ? (parsed.data as CacheFile) : empty;
}

function untagged<T>(entries: Record<string, Tagged<T>>, targets: ReadonlyMap<string, string>): Record<string, { value: T; at: number }> {
  const out: Record<string, { value: T; at: number }> = {};
  for (const [id, e] of Object.entries(entries)) if (targets.get(id) === e.target) out[id] = { value: e.value, at: e.at };
  return out;
}

/**
 * A cache filled from the file. `targets` maps each node id the command will contact to
 * `user@host:port` (targetKey); entries of other ids or other targets are left out.
 */
export async function loadDiscoveryCache(file: string, targets: ReadonlyMap<string, string>, cache = new DiscoveryCache()): Promise<DiscoveryCache> {
  const data = await readCacheFile(file);
  cache.restore({ versions: untagged(data.versions, targets), logins: untagged(data.logins, targets) });
  return cache;
}

/**
 * Writes the cache's fresh entries of the nodes in `targets` (what this run knows replaces what the
 * file said of them, also when the cache forgot them); other nodes' entries stay while fresh.
 */
export async function saveDiscoveryCache(file: string, cache: DiscoveryCache, targets: ReadonlyMap<string, string>): Promise<void> {
  try {
    // Read-merge-write under the file's lock: two commands saving at once (a status run from cron,
    // one by hand, the keeper) each keep their nodes' entries instead of the last one winning.
    await fs.mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await withFileLock(file, () => mergeInto(file, cache, targets), { timeoutMs: 5_000 });
  } catch {
    // Only a shortcut: the next run asks the nodes again.
  }
}

async function mergeInto(file: string, cache: DiscoveryCache, targets: ReadonlyMap<string, string>): Promise<void> {
  const previous = await readCacheFile(file);
  const others = new Map(Object.entries(previous.versions).map(([id, e]) => [id, e.target]));
  for (const [id, e] of Object.entries(previous.logins)) others.set(id, e.target);
  for (const id of targets.keys()) others.delete(id);
  const merged = new DiscoveryCache();
  merged.restore({ versions: untagged(previous.versions, others), logins: untagged(previous.logins, others) });
  const now = cache.snapshot();
  merged.restore({ versions: pick(now.versions, targets), logins: pick(now.logins, targets) });
  const all = new Map([...others, ...targets]);
  const fresh = merged.snapshot();
  const out: CacheFile = { version: 1, versions: tag(fresh.versions, all), logins: tag(fresh.logins, all) };
  await writeFileAtomic(file, JSON.stringify(out) + '\n', 0o600);
}

function pick<T>(entries: Record<string, T>, ids: ReadonlyMap<string, string>): Record<string, T> {
  return Object.fromEntries(Object.entries(entries).filter(([id]) => ids.has(id)));
}

function tag<T>(entries: Record<string, { value: T; at: number }>, targets: ReadonlyMap<string, string>): Record<string, Tagged<T>> {
  const out: Record<string, Tagged<T>> = {};
  for (const [id, e] of Object.entries(entries)) out[id] = { ...e, target: targets.get(id)! };
  return out;
}

/** How the cache file tells nodes apart: where the registry says the node is. */
export function targetKey(node: { host: string; port?: number | undefined; user?: string | undefined }): string {
  return `${node.user ?? ''}@${node.host}:${node.port ?? 22}`;
}
