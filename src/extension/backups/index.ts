import * as vscode from 'vscode';
import { BackupStore } from '../../core/backup';
import type { NodeRegistry } from '../../core/registry';
import { transportForNode } from '../../core/transport/for-node';
import { registerBackupActionCommands } from '../commands/backup-actions';
import { registerBackupNodeCommands } from '../commands/backup-node';
import { registerCompareCommands } from '../commands/compare-backups';
import { log } from '../log';
import { BackupFileSystemProvider } from './backup-fs';
import { BackupCatalog } from './catalog';
import type { BackupUiDeps } from './deps';
import type { NodeConnector } from './run-backup';
import { BackupScheduler } from './schedule';
import { BackupsTreeContributor } from './tree';

export { BackupsTreeContributor, isBackupTreeNode, type BackupTreeNode } from './tree';
export type { NodeConnector } from './run-backup';

export interface BackupUiOptions {
  registry: NodeRegistry;
  /** The ocm home. */
  home: string;
  /** Where backups live (the `openclaw.backup.folder` setting, `$OCM_BACKUP_DIR` or `<home>/backups`). */
  store: BackupStore;
  /** The Nodes tree: shows the contributor's groups and refreshes them when backups change. */
  tree: { setBackups(backups: BackupsTreeContributor): vscode.Disposable };
  /**
   * How to reach a node. Default: transportForNode (local nodes; SSH once the core has a pool),
   * closed after each use. Pass a pooled connector (e.g. the shared NodeAccess) to reuse connections.
   */
  connector?: NodeConnector;
}

export interface BackupUi extends BackupUiDeps {
  scheduler: BackupScheduler;
  fileSystem: BackupFileSystemProvider;
}

/** Registers everything about backups: tree group, openclaw-backup:// provider, commands, scheduler. */
export function registerBackupUi(context: vscode.ExtensionContext, options: BackupUiOptions): BackupUi {
  const catalog = new BackupCatalog(options.store);
  const backupsTree = new BackupsTreeContributor(catalog);
  context.subscriptions.push(backupsTree, options.tree.setBackups(backupsTree));
  const fileSystem = BackupFileSystemProvider.register(context, catalog);
  const deps: BackupUiDeps = {
    registry: options.registry,
    catalog,
    backupsTree,
    connector: options.connector ?? {
      connect: (node) => transportForNode(node),
      release: (transport) => transport.close(),
    },
    log: (message) => log().warn(message),
  };
  registerBackupNodeCommands(context, deps);
  registerBackupActionCommands(context, deps);
  registerCompareCommands(context, deps);
  const scheduler = new BackupScheduler(deps, context.globalState);
  context.subscriptions.push(scheduler);
  return { ...deps, scheduler, fileSystem };
}
