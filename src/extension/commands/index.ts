import * as vscode from 'vscode';
import { PLAN_SCHEME, PlanContentProvider } from '../fs/plan-content';
import { confirmPlan } from '../operations/preview';
import type { CommandDeps } from './deps';
import { registerDashboard } from '../dashboard';
import { registerBulkUi } from '../bulk';
import { registerDeletedUi } from '../deleted';
import { registerAddNode } from './add-node';
import { registerFileHistory } from './file-history';
import { registerShowTimeline } from './show-timeline';
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

export type { CommandDeps } from './deps';

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
