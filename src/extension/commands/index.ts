import * as vscode from 'vscode';
import type { BackupStore } from '../../core/backup';
import type { NodeAccess } from '../../core/node-access';
import type { NodeModel } from '../../core/node-model';
import type { NodeRegistry } from '../../core/registry';
import type { OpenclawFileSystemProvider } from '../fs/openclaw-fs';
import { PLAN_SCHEME, PlanContentProvider } from '../fs/plan-content';
import { confirmPlan } from '../operations/preview';
import type { StatusMonitor } from '../status/status-monitor';
import type { NodesTreeProvider, TreeNode } from '../tree/nodes-tree';
import { registerBulkUi } from '../bulk';
import { registerDeletedUi } from '../deleted';
import { registerDashboard } from '../dashboard';
import { registerAddNode } from './add-node';
import { registerFileHistory } from './file-history';
import { registerShowTimeline } from './show-timeline';
import type { GuardService } from '../guard/guard-service';
import { registerImportRegistry } from './import-registry';
import { registerMigrateNode } from './migrate-node';
import { registerRestartGateway } from './restart-gateway';
import { registerRestoreBackup } from './restore-backup';
import { registerRetireNode } from './retire-node';
import { registerRotateToken } from './rotate-token';
import { registerRunDoctor } from './run-doctor';
import { registerShowLogs } from './show-logs';
import { registerShowStatus } from './show-status';
import { registerTryDemo } from './try-demo';
import { registerWalkthroughCommands } from '../walkthrough';
import { registerViewCommands } from './view-commands';

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
  operations?: { confirm: typeof confirmPlan };
}

/** One file per command (or small family); this only wires them up. */
export function registerCommands(context: vscode.ExtensionContext, deps: CommandDeps): void {
  registerAddNode(context, deps);
  registerImportRegistry(context, deps);
  registerRetireNode(context, deps);
  registerViewCommands(context, deps);
  registerFileHistory(context, deps);
  registerShowTimeline(context, deps);
  registerShowStatus(context, deps);
  registerDashboard(context, deps);
  registerShowLogs(context);
  registerWalkthroughCommands(context, deps);
  registerTryDemo(context, deps);
  // Operations: previews of planned content are read-only virtual documents.
  deps.operations = { confirm: confirmPlan };
  const planContents = new PlanContentProvider();
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(PLAN_SCHEME, planContents));
  registerRestartGateway(context, deps);
  registerRestoreBackup(context, deps, planContents);
  registerMigrateNode(context, deps, planContents);
  registerBulkUi(context, deps, planContents);
  registerDeletedUi(context, deps);
  registerRotateToken(context, deps);
  registerRunDoctor(context, deps);
}
