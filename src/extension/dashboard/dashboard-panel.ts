import * as vscode from 'vscode';
import { dashboardData, type DashboardData } from '../../core/status/dashboard';
import type { NodeRegistry } from '../../core/registry';
import { log } from '../log';
import type { StatusMonitor } from '../status/status-monitor';
import { dashboardHtml, newNonce } from './html';
import { parseWebviewMessage, type DashboardAction, type FromWebview, type RenderedCard, type ToWebview } from './messages';
import { dashboardStrings } from './strings';

export interface DashboardDeps {
  registry: NodeRegistry;
  monitor: StatusMonitor;
}

export interface RenderedReport {
  cards: RenderedCard[];
  ms: number;
}

/**
 * The dashboard panel (one per window): a webview with a card per active node, fed from the
 * status monitor. While the panel is visible the monitor keeps checking (its timer,
 * `openclaw.statusInterval`); hidden, the panel stops asking, and its page is rebuilt from the
 * latest data when shown again. Card buttons run the existing commands.
 */
export class DashboardPanel implements vscode.Disposable {
  private static current: DashboardPanel | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly renderedEmitter = new vscode.EventEmitter<RenderedReport>();
  /** Fires each time the webview has drawn the cards (what it shows, after the paint). */
  readonly onDidRender = this.renderedEmitter.event;
  lastRendered: RenderedReport | undefined;
  private watching: vscode.Disposable | undefined;
  private nodeIds = new Set<string>();
  private disposed = false;

  /** The open dashboard, if any. */
  static get open(): DashboardPanel | undefined {
    return DashboardPanel.current;
  }

  /** Opens the dashboard, or brings the open one to the front. */
  static show(deps: DashboardDeps): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal();
      return DashboardPanel.current;
    }
    const panel = vscode.window.createWebviewPanel('openclaw.dashboard', vscode.l10n.t('OpenClaw Dashboard'), vscode.ViewColumn.Active, {
      enableScripts: true,
      // Nothing is loaded from disk: the page is one inline document.
      localResourceRoots: [],
      retainContextWhenHidden: false,
    });
    DashboardPanel.current = new DashboardPanel(panel, deps);
    return DashboardPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly deps: DashboardDeps,
  ) {
    // The first page carries the cards it opens with (no round trip before the first paint).
    void this.data().then(
      (initialData) =>
        this.disposed ||
        (panel.webview.html = dashboardHtml({
          nonce: newNonce(),
          cspSource: panel.webview.cspSource,
          strings: dashboardStrings(),
          lang: vscode.env.language,
          initialData,
        })),
    );
    this.subscriptions.push(
      panel.webview.onDidReceiveMessage((m: unknown) => void this.handleMessage(m)),
      panel.onDidChangeViewState(() => this.updateWatching()),
      panel.onDidDispose(() => this.dispose()),
      deps.monitor.onDidChange(() => void this.post()),
    );
    this.updateWatching();
    if (deps.monitor.all().length === 0) void deps.monitor.refresh();
  }

  /** A message from the webview: validated, then acted on. Resolves when the action finished. */
  async handleMessage(raw: unknown): Promise<void> {
    const message = parseWebviewMessage(raw);
    if (!message) {
      log().warn(`dashboard: ignored a message the page may not send: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    switch (message.type) {
      case 'ready':
        return this.post();
      case 'refresh':
        return this.deps.monitor.refresh();
      case 'rendered':
        this.lastRendered = { cards: message.cards, ms: message.ms };
        this.renderedEmitter.fire(this.lastRendered);
        return;
      case 'action':
        return this.runAction(message);
    }
  }

  /** True while the panel keeps the status monitor checking (it is visible). */
  get refreshing(): boolean {
    return this.watching !== undefined;
  }

  /** The view-model the page is given (also what tests compare with `ocm status --json`). */
  async data(): Promise<DashboardData> {
    let nodes: Awaited<ReturnType<NodeRegistry['list']>> = [];
    try {
      nodes = await this.deps.registry.list({ includeRetired: false });
    } catch {
      // The tree shows why the registry cannot be read; the page shows no cards.
    }
    this.nodeIds = new Set(nodes.map((n) => n.id));
    const thresholdPct = vscode.workspace.getConfiguration('openclaw').get<number>('contextThreshold', 80);
    return dashboardData({ nodes, statuses: this.deps.monitor.all(), now: Date.now(), thresholdPct });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    this.watching?.dispose();
    for (const s of this.subscriptions) s.dispose();
    this.renderedEmitter.dispose();
    this.panel.dispose();
  }

  private async runAction(message: Extract<FromWebview, { type: 'action' }>): Promise<void> {
    const { action, nodeId, agentId } = message;
    // Only nodes the page was shown (a stale page cannot name another one).
    if (!this.nodeIds.has(nodeId)) {
      log().warn(`dashboard: ${action} for ${nodeId} ignored: not an active node`);
      return;
    }
    await this.send({ type: 'busy', nodeId, action, busy: true });
    try {
      await vscode.commands.executeCommand(COMMAND_OF[action], ...argumentsOf(action, nodeId, agentId));
      if (action === 'backup') await this.deps.monitor.refreshBackups();
    } finally {
      await this.send({ type: 'busy', nodeId, action, busy: false });
    }
  }

  private updateWatching(): void {
    if (this.disposed) return;
    if (this.panel.visible) this.watching ??= this.deps.monitor.watch();
    else {
      this.watching?.dispose();
      this.watching = undefined;
    }
  }

  private async post(): Promise<void> {
    if (this.disposed || !this.panel.visible) return;
    await this.send({ type: 'data', data: await this.data() });
  }

  private async send(message: ToWebview): Promise<void> {
    if (this.disposed) return;
    await this.panel.webview.postMessage(message);
  }
}

const COMMAND_OF: Record<DashboardAction, string> = {
  backup: 'openclaw.backupNode',
  restart: 'openclaw.restartGateway',
  openAgentFile: 'openclaw.openAgentFile',
  showLogs: 'openclaw.showLogs',
};

function argumentsOf(action: DashboardAction, nodeId: string, agentId: string | undefined): unknown[] {
  switch (action) {
    case 'backup':
      return [{ kind: 'backups', nodeId }];
    case 'restart':
      return [nodeId];
    case 'openAgentFile':
      return agentId ? [nodeId, agentId] : [nodeId];
    case 'showLogs':
      return [];
  }
}
