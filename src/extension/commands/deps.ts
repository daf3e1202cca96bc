import type * as vscode from 'vscode';
import type { BackupStore } from '../../core/backup';
import type { NodeAccess } from '../../core/node-access';
import type { NodeModel } from '../../core/node-model';
import type { NodeRegistry } from '../../core/registry';
import type { OpenclawFileSystemProvider } from '../fs/openclaw-fs';
import type { GuardService } from '../guard/guard-service';
import type { confirmPlan } from '../operations/preview';
import type { StatusMonitor } from '../status/status-monitor';
import type { NodesTreeProvider, TreeNode } from '../tree/nodes-tree';

/**
 * What every command gets from the extension. In a file of its own: commands/index.ts imports each
 * command to register it, so a command importing this type from index.ts made an import circle.
 */
export interface CommandDeps {
  registry: NodeRegistry;
  tree: NodesTreeProvider;
  access: NodeAccess;
  model: NodeModel;
  home: string;
  /** The backup store every backup, restore and migrate uses. */
  backupStore: BackupStore;
  liveFs: OpenclawFileSystemProvider;
  view: vscode.TreeView<TreeNode>;
  monitor: StatusMonitor;
  /** The mix-up guard (fingerprints of every agent's memory), checked before saves and restores. */
  guard?: GuardService;
  /** How operations ask for confirmation (replaceable: tests answer without a modal dialog). */
  operations?: {
    confirm: typeof confirmPlan;
    /** A restore the mix-up guard stopped: true = Restore Anyway (default: a modal warning). */
    restoreAnyway?: (message: string) => Promise<boolean>;
  };
}
