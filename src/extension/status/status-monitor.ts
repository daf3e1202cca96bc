import * as vscode from 'vscode';
import type { NodeAccess } from '../../core/node-access';
import type { NodeRegistry } from '../../core/registry';
import type { DiscoveryCache } from '../../core/openclaw/discovery-cache';
import { DEFAULT_WARN_HOURS } from '../../core/sessions/samples';
import { statusOfNodes, withLastBackups, type BackupLister, type NodeStatus } from '../../core/status';

/**
 * Health of every active node, checked in parallel (bounded) without asking the user anything:
 * it uses a non-interactive NodeAccess (strict host keys, no prompts) sharing the SSH pool, so a
 * node the user already connected to is checked over that connection. Checks run when asked and
 * on a timer only while someone is looking (the Nodes view or the dashboard is visible). Each
 * status carries the node's last backup from the local repository (as `ocm status --json`).
 */
export class StatusMonitor implements vscode.Disposable {
  private readonly statuses = new Map<string, NodeStatus>();
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watchers = 0;
  private backups: BackupLister | undefined;
  private predictionHome: string | undefined;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly access: NodeAccess,
    /** Shared with the tree's NodeModel: a periodic check does not start Node.js on every node. */
    private readonly discoveryCache?: DiscoveryCache,
  ) {}

  /** Where `lastBackup` comes from (the backup store every face uses). */
  setBackupStore(store: BackupLister): void {
    this.backups = store;
  }

  /**
   * Where each check records its session samples (the ocm home, shared with the CLI): the check
   * then predicts overflow, so the problems, the tree and the dashboard have it on first draw.
   */
  setPredictionHome(home: string): void {
    this.predictionHome = home;
  }

  /** Re-reads the last backups (no node is contacted): after a backup, its age shows at once. */
  async refreshBackups(): Promise<void> {
    if (!this.backups || this.statuses.size === 0) return;
    for (const status of await withLastBackups([...this.statuses.values()], this.backups)) this.statuses.set(status.nodeId, status);
    this.emitter.fire();
  }

  get(nodeId: string): NodeStatus | undefined {
    return this.statuses.get(nodeId);
  }

  all(): NodeStatus[] {
    return [...this.statuses.values()];
  }

  /** Checks all active nodes (a check already running is joined, not repeated). */
  refresh(): Promise<void> {
    this.running ??= this.check().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Someone started looking: check now and keep checking until `release`. */
  watch(): vscode.Disposable {
    this.watchers += 1;
    if (this.watchers === 1) {
      void this.refresh();
      this.schedule();
    }
    return new vscode.Disposable(() => {
      this.watchers = Math.max(0, this.watchers - 1);
      if (this.watchers === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    });
  }

  reschedule(): void {
    if (this.watchers > 0) this.schedule();
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.emitter.dispose();
  }

  private schedule(): void {
    if (this.timer) clearInterval(this.timer);
    const seconds = Math.max(10, vscode.workspace.getConfiguration('openclaw').get<number>('statusInterval', 60));
    this.timer = setInterval(() => void this.refresh(), seconds * 1000);
  }

  private async check(): Promise<void> {
    let nodes;
    try {
      nodes = await this.registry.list({ includeRetired: false });
    } catch {
      return; // the tree shows the registry problem
    }
    const config = vscode.workspace.getConfiguration('openclaw');
    const threshold = config.get<number>('contextThreshold', 80);
    const predict = this.predictionHome
      ? { predict: { home: this.predictionHome, warnHours: config.get<number>('sessions.warnHours', DEFAULT_WARN_HOURS) } }
      : {};
    const checked = await statusOfNodes(
      nodes,
      { transportFor: (node) => this.access.transport(node.id) },
      { thresholdPct: threshold, concurrency: 8, ...predict, ...(this.discoveryCache ? { discoveryCache: this.discoveryCache } : {}) },
    );
    const results = this.backups ? await withLastBackups(checked, this.backups) : checked;
    const ids = new Set(nodes.map((n) => n.id));
    for (const id of [...this.statuses.keys()]) if (!ids.has(id)) this.statuses.delete(id);
    for (const status of results) this.statuses.set(status.nodeId, status);
    this.emitter.fire();
  }
}
