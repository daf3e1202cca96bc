import type * as vscode from 'vscode';
import type { CommandDeps } from '../commands/deps';
import type { PlanContentProvider } from '../fs/plan-content';
import { registerApplyToAgents } from './apply-to-agents';
import { registerUndoBulk } from './undo-bulk';

export type { ApplyToAgentsArgs, ApplyToAgentsResult } from './apply-to-agents';

/** "Apply to Agents…" and "Undo Last Bulk Apply" (issue 15). */
export function registerBulkUi(context: vscode.ExtensionContext, deps: CommandDeps, contents: PlanContentProvider): void {
  registerApplyToAgents(context, deps, contents);
  registerUndoBulk(context, deps);
}
