import * as vscode from 'vscode';
import { BackupStore, backupStoreFor } from '../core/backup';
import { ocmHome, registryPath } from '../core/home';
import { NodeAccess } from '../core/node-access';
import { NodeModel } from '../core/node-model';
import { DiscoveryCache } from '../core/openclaw/discovery-cache';
import { NodeRegistry } from '../core/registry';
import { VscodeAuthPrompt } from './auth-prompt';
import { registerBackupUi } from './backups';
import { registerCommands, type CommandDeps } from './commands';
import { askConflict } from './conflict-prompt';
import { GuardService } from './guard/guard-service';
import { askMixup } from './guard/mixup-prompt';
import { HISTORY_SCHEME, HistoryFileSystemProvider } from './fs/history-fs';
import { OpenclawFileSystemProvider } from './fs/openclaw-fs';
import { LIVE_SCHEME } from './fs/uris';
import { askHostKey } from './host-key-prompt';
import { log } from './log';
import { sshTransportFactory } from './ssh-factory';
import { createStatusBar } from './status/status-bar';
import { StatusMonitor } from './status/status-monitor';
import { NodesTreeProvider } from './tree/nodes-tree';
import { registerSessionsUi } from './sessions';

/**
 * Activation is cheap by design: no network I/O. Objects are created, providers registered; the
 * registry file is read when the tree first asks, and nodes are contacted only on demand.
 */
export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const activationStarted = performance.now();
  const home = configuredHome();
  const registry = new NodeRegistry(registryPath(home));
  const ssh = sshTransportFactory();
  const env = { ...process.env, OCM_HOME: home };
  const access = new NodeAccess({ registry, env, hostKeyPolicy: 'ask', ask: askHostKey, prompt: new VscodeAuthPrompt(context.secrets), ...ssh });
  // Background health checks never ask anything: strict host keys, no prompts, same SSH pool.
  const quietAccess = new NodeAccess({ registry, env, hostKeyPolicy: 'strict', ...(ssh.ssh ? { ssh: ssh.ssh } : {}) });
  // One version cache for the health checks and the tree: neither starts Node.js on a node whose
  // `openclaw` binary has not changed since it was last asked (restore, migrate, restart always ask).
  const discoveryCache = new DiscoveryCache();
  const monitor = new StatusMonitor(registry, quietAccess, discoveryCache);
  const model = new NodeModel(access, { confirmWithCli: true, discoveryCache });
  const tree = new NodesTreeProvider(registry, model);
  tree.setStatusSource((nodeId) => monitor.get(nodeId));
  const view = vscode.window.createTreeView('openclaw.nodes', { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true });
  context.subscriptions.push(view, tree, monitor, { dispose: () => void quietAccess.close().then(() => access.close()) });
  context.subscriptions.push(...watchHealth(view, monitor, tree));
  // Redraw only: refresh() would drop the answer the model just corrected and ask again, a loop
  // whenever openclaw.json and `openclaw agents list` disagree.
  context.subscriptions.push({ dispose: model.onDidChange(() => tree.redraw()) });

  // The mix-up guard (set once the backup store is known, below); saves ask it for their hook.
  // eslint-disable-next-line prefer-const -- assigned below, after the file system that reads it through a closure is made
  let guardService: GuardService | undefined;
  const liveFs = new OpenclawFileSystemProvider({
    access,
    home,
    guardFor: async (nodeId, path) => guardService?.hookFor(nodeId, path),
    askMixup,
    onSaved: (nodeId, path, content) => guardService?.noteSaved(content ? { nodeId, remotePath: path, content } : undefined),
    isManagedPath: (nodeId, path) => model.isManagedPath(nodeId, path),
    validatorFor: (nodeId) => model.validatorFor(nodeId),
    askConflict,
    onConfigSaved: (nodeId, remotePath, result) => void reportConfigSaved(nodeId, remotePath, result.warnings),
  });
  context.subscriptions.push(
    liveFs,
    vscode.workspace.registerFileSystemProvider(LIVE_SCHEME, liveFs, { isCaseSensitive: true }),
    vscode.workspace.registerFileSystemProvider(HISTORY_SCHEME, new HistoryFileSystemProvider(home), { isCaseSensitive: true, isReadonly: true }),
  );
  context.subscriptions.push(...watchOpenDocuments(liveFs));

  // nodes.json is shared with the CLI: refresh when anyone changes it.
  const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(home), 'nodes.json'));
  watcher.onDidChange(() => tree.refresh());
  watcher.onDidCreate(() => tree.refresh());
  watcher.onDidDelete(() => tree.refresh());
  context.subscriptions.push(watcher);

  const backupStore = configuredBackupStore(home);
  guardService = new GuardService(home, backupStore, registry, model, access);
  context.subscriptions.push(guardService, ...refreshGuardWhileVisible(view, guardService));
  monitor.setBackupStore(backupStore);
  monitor.setPredictionHome(home);
  const deps: CommandDeps = { registry, tree, access, model, home, backupStore, liveFs, view, monitor, guard: guardService };
  registerCommands(context, deps);
  // Backups: pooled transports from NodeAccess (released by the pool, not per backup).
  registerBackupUi(context, {
    registry,
    home,
    store: backupStore,
    tree,
    connector: { connect: (node) => access.transport(node.id), release: async () => undefined },
  });
  registerSessionsUi(context, { access, model, monitor, home, tree });
  log().info(
    `activated in ${(performance.now() - activationStarted).toFixed(1)} ms (ocm home ${home}, version ${String(context.extension?.packageJSON?.version ?? '?')})`,
  );
  return deps;
}

export function deactivate(): void {}

/**
 * Health at a glance: the status bar and node icons. Checked while the Nodes view is visible (on
 * a timer, `openclaw.statusInterval`), never at activation and never while nobody is looking.
 */
function watchHealth(view: vscode.TreeView<unknown>, monitor: StatusMonitor, tree: NodesTreeProvider): vscode.Disposable[] {
  const automatic = () => vscode.workspace.getConfiguration('openclaw').get<boolean>('status.checkAutomatically', true);
  let watching: vscode.Disposable | undefined;
  const update = () => {
    if (view.visible && automatic()) watching ??= monitor.watch();
    else {
      watching?.dispose();
      watching = undefined;
    }
  };
  update();
  return [
    view.onDidChangeVisibility(update),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('openclaw.status')) update();
      if (e.affectsConfiguration('openclaw.statusInterval')) monitor.reschedule();
    }),
    monitor.onDidChange(() => tree.redraw()),
    createStatusBar(monitor),
    { dispose: () => watching?.dispose() },
  ];
}

/** The guard's fingerprints are rebuilt in the background while the Nodes view is shown, at most every 10 minutes. */
function refreshGuardWhileVisible(view: vscode.TreeView<unknown>, guard: GuardService): vscode.Disposable[] {
  let last = 0;
  const maybe = () => {
    if (!view.visible || Date.now() - last < 10 * 60_000) return;
    last = Date.now();
    void guard.refreshAll();
  };
  const timer = setInterval(maybe, 60_000);
  return [view.onDidChangeVisibility(maybe), { dispose: () => clearInterval(timer) }];
}

export type ExtensionApi = CommandDeps;

/** `openclaw.backup.folder`, else what the CLI uses (`$OCM_BACKUP_DIR`, else `<home>/backups`). */
function configuredBackupStore(home: string): BackupStore {
  const folder = vscode.workspace.getConfiguration('openclaw').get<string>('backup.folder')?.trim();
  return folder ? new BackupStore(folder) : backupStoreFor({ ...process.env, OCM_HOME: home });
}

function configuredHome(): string {
  const setting = vscode.workspace.getConfiguration('openclaw').get<string>('home');
  return setting && setting.trim() !== '' ? setting : ocmHome();
}

/**
 * Agents rewrite their own files: an open, unmodified editor should show the node's current
 * content. Open openclaw:// documents are re-checked when the window gains focus and on a modest
 * timer (only while such documents are open).
 */
function watchOpenDocuments(liveFs: OpenclawFileSystemProvider): vscode.Disposable[] {
  const hasLiveDocs = () => vscode.workspace.textDocuments.some((d) => d.uri.scheme === LIVE_SCHEME);
  const poll = () => {
    if (hasLiveDocs()) void liveFs.pollWatched();
  };
  const seconds = () => Math.max(2, vscode.workspace.getConfiguration('openclaw').get<number>('refreshInterval', 10));
  let timer = setInterval(poll, seconds() * 1000);
  return [
    vscode.window.onDidChangeWindowState((state) => state.focused && poll()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('openclaw.refreshInterval')) return;
      clearInterval(timer);
      timer = setInterval(poll, seconds() * 1000);
    }),
    { dispose: () => clearInterval(timer) },
  ];
}

async function reportConfigSaved(nodeId: string, remotePath: string, warnings: string[]): Promise<void> {
  const restart = vscode.l10n.t('Restart Gateway');
  const commands = await vscode.commands.getCommands(true);
  const canRestart = commands.includes('openclaw.restartGateway');
  const answer = await vscode.window.showInformationMessage(
    vscode.l10n.t(
      'Saved {0} on {1}. The gateway reloads a valid config by itself; some settings need a restart.',
      remotePath.split('/').pop() ?? remotePath,
      nodeId,
    ),
    { detail: warnings.join('\n') },
    ...(canRestart ? [restart] : []),
  );
  if (answer === restart) await vscode.commands.executeCommand('openclaw.restartGateway', nodeId);
}
