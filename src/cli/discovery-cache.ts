import { ocmHome } from '../core/home';
import { DiscoveryCache } from '../core/openclaw/discovery-cache';
import { discoveryCachePath, loadDiscoveryCache, saveDiscoveryCache, targetKey } from '../core/openclaw/discovery-cache-file';
import type { NodeEntry } from '../core/registry';
import type { CliContext } from './context';

/**
 * Runs read-only discovery work (`ocm status`, `ocm agents`) with the DiscoveryCache kept in the
 * ocm home: a node whose `openclaw` binary and login files did not change is not asked for its
 * version or its login shell again (each run is a new process; the extension keeps its cache in
 * memory instead). Commands that change nodes never use it.
 */
export async function withDiscoveryCache<T>(ctx: CliContext, nodes: readonly NodeEntry[], work: (cache: DiscoveryCache) => Promise<T>): Promise<T> {
  const file = discoveryCachePath(ocmHome(ctx.env));
  const targets = new Map(nodes.map((n) => [n.id, targetKey(n)]));
  const cache = await loadDiscoveryCache(file, targets);
  try {
    return await work(cache);
  } finally {
    await saveDiscoveryCache(file, cache, targets);
  }
}
