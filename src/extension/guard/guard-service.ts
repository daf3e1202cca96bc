import type { BackupStore } from '../../core/backup/store';
import { MixupGuard, type GuardRoster } from '../../core/guard';
import type { NodeAccess } from '../../core/node-access';
import type { NodeModel } from '../../core/node-model';
import { readFileBounded } from '../../core/transport/read-bounded';
import type { NodeRegistry } from '../../core/registry';
import { log } from '../log';

/** Rebuilt in the background when older than this, or soon after a save of a memory file. */
const MAX_AGE_MS = 10 * 60_000;
const AFTER_SAVE_MS = 20_000;
/** Guarded files read from a node in the background are memories, not logs: 4 MiB is plenty. */
const LIVE_READ_MAX = 4 * 1024 * 1024;

/**
 * The extension's mix-up guard: one index in memory, refreshed in the background from the local
 * snapshots and history with the agents the tree already knows (NodeModel's cached answers). A
 * save asks for its hook: the node's agents from the model, the check against the index in
 * memory. The first save to a node the index has never seen waits for that node's fingerprints
 * (built from local files, no round trip beyond the model's own answer).
 */
export class GuardService {
  readonly guard: MixupGuard;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    home: string,
    store: BackupStore,
    private readonly registry: NodeRegistry,
    private readonly model: NodeModel,
    /** For background reads of guarded files no backup or history holds yet. */
    private readonly access?: NodeAccess,
  ) {
    this.guard = new MixupGuard(home, store);
  }

  async hookFor(nodeId: string, remotePath: string): Promise<((content: Uint8Array, current: Buffer | undefined) => void) | undefined> {
    const agents = (await this.model.describe(nodeId)).agents;
    const index = await this.guard.ready();
    if (!index.agents.some((a) => a.nodeId === nodeId)) {
      // Local snapshots and history now (no round trip); the node's files not held there, in the background.
      await this.guard.refresh([{ nodeId, agents }]);
      void this.refreshAll();
    } else if (this.guard.ageMs() > MAX_AGE_MS) void this.refreshAll();
    return this.guard.hookFor(nodeId, agents, remotePath);
  }

  /**
   * After a save: the saved text counts as this agent's own at once (when the save is known), and
   * a refresh follows soon (debounced) for everything else that changed.
   */
  noteSaved(saved?: { nodeId: string; remotePath: string; content: Uint8Array }): void {
    if (saved) {
      void this.model
        .describe(saved.nodeId)
        .then(({ agents }) => this.guard.noteWritten(saved.nodeId, agents, saved.remotePath, saved.content))
        .catch((e: unknown) => log().warn(`mix-up guard: could not note the save of ${saved.remotePath}: ${String(e)}`));
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refreshAll(), AFTER_SAVE_MS);
    this.timer.unref?.();
  }

  /** Every active node whose agents the model can tell (unreachable nodes keep their fingerprints). */
  async refreshAll(): Promise<void> {
    try {
      const nodes = (await this.registry.list()).filter((n) => n.status === 'active');
      const rosters: GuardRoster[] = [];
      await Promise.all(
        nodes.map(async (n) => {
          try {
            rosters.push({ nodeId: n.id, agents: (await this.model.describe(n.id)).agents });
          } catch {
            // kept from the previous index
          }
        }),
      );
      const access = this.access;
      const readLive = access
        ? async (nodeId: string, path: string) =>
            readFileBounded(await access.transport(nodeId), path, LIVE_READ_MAX, { timeoutMs: 10_000 }).catch(() => undefined)
        : undefined;
      const index = await this.guard.refresh(rosters, readLive ? { readLive } : {});
      log().info(`mix-up guard: fingerprints of ${index.agents.length} agents, ${index.files.length} files`);
    } catch (e) {
      log().warn(`mix-up guard refresh failed: ${(e as Error).message}`);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
