import * as vscode from 'vscode';
import { applyRestore, planRestore, type ApplyResult, type RestoreScope } from '../../core/operations';
import { locateOpenclaw } from '../../core/openclaw';
import type { PlanContentProvider } from '../fs/plan-content';
import { confirmPlan, previewPlanFiles } from '../operations/preview';
import { withCancellableProgress } from '../progress';
import type { BackupEntryItem, BackupItem } from '../backups/tree';
import type { CommandDeps } from './deps';
import { showError } from './show-error';

/**
 * Restore from a backup — one file, one agent, or the whole node. The plan (the difference between
 * the backup and the live node) is shown in the multi-file diff editor first; nothing changes until
 * the user confirms. Apply takes a safety backup and rolls back on any failure.
 */
export function registerRestoreBackup(context: vscode.ExtensionContext, deps: CommandDeps, contents: PlanContentProvider): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.restoreBackup', async (item?: BackupItem | BackupEntryItem) => {
      try {
        if (!item || (item.kind !== 'backup' && item.kind !== 'backupEntry')) {
          void vscode.window.showInformationMessage(vscode.l10n.t('Choose a backup (or a file inside one) in the Backups group of a node.'));
          return;
        }
        const nodeId = item.nodeId;
        const backupId = item.kind === 'backup' ? item.summary.id : item.backupId;
        const scope = item.kind === 'backupEntry' ? ({ kind: 'file', path: item.entry.path } as RestoreScope) : await pickScope(deps, nodeId);
        if (!scope) return;
        await restore(deps, contents, nodeId, backupId, scope);
      } catch (e) {
        await showError(e);
      }
    }),
  );
}

async function pickScope(deps: CommandDeps, nodeId: string): Promise<RestoreScope | undefined> {
  const whole = {
    label: vscode.l10n.t('$(server) Whole node'),
    detail: vscode.l10n.t('State dir, config and every workspace; the gateway is stopped, swapped and started again.'),
    scope: { kind: 'node' } as RestoreScope,
  };
  const agents = await deps.model
    .describe(nodeId)
    .then((d) => d.agents)
    .catch(() => []);
  const agentItems = agents.map((a) => ({
    label: `$(hubot) ${a.id}`,
    description: a.isDefault ? vscode.l10n.t('default') : undefined,
    detail: vscode.l10n.t("Only this agent's workspace: {0}", a.workspace),
    scope: { kind: 'agent', agentId: a.id } as RestoreScope,
  }));
  const picked = await vscode.window.showQuickPick([whole, ...agentItems], { title: vscode.l10n.t('Restore what from this backup?'), matchOnDetail: true });
  return picked?.scope;
}

async function restore(
  deps: CommandDeps,
  contents: PlanContentProvider,
  nodeId: string,
  backupId: string,
  scope: RestoreScope,
): Promise<ApplyResult | undefined> {
  const store = deps.backupStore;
  const planned = await withCancellableProgress(vscode.l10n.t('Comparing the backup with node {0}…', nodeId), async (_report, signal) => {
    const index = await store.resolve(`${nodeId}/${backupId}`);
    const transport = await deps.access.transport(nodeId);
    const node = await deps.access.node(nodeId);
    const location = await locateOpenclaw(transport, node, { signal });
    const plan = await planRestore({ transport, location, nodeId, index, repositoryRoot: store.repositoryRoot, scope, signal });
    return { plan, transport, node, location };
  });
  const { plan } = planned;
  if (plan.files.length === 0 && scope.kind !== 'node') {
    void vscode.window.showInformationMessage(vscode.l10n.t('Nothing to restore: the node already matches the backup.'));
    return undefined;
  }
  await previewPlanFiles(plan, contents, vscode.l10n.t('Restore preview: {0}', plan.summary));
  if (!(await (deps.operations?.confirm ?? confirmPlan)(plan, vscode.l10n.t('Restore')))) return undefined;
  const guard = deps.guard;
  const apply = (guarded: boolean): Promise<ApplyResult> =>
    withCancellableProgress(vscode.l10n.t('Restoring on {0}…', nodeId), (report, signal) =>
      applyRestore({
        ...planned,
        store,
        home: deps.home,
        // A memory file whose restored text looks like another agent's stops the restore (rolled back) unless the user says Restore Anyway.
        ...(guarded && guard ? { guardFor: (path: string) => guard.hookFor(nodeId, path).catch(() => undefined) } : {}),
        signal,
        onProgress: (p) => {
          if (p.phase === 'safetyBackup') report(vscode.l10n.t('Taking a safety backup…'));
          else if (p.phase === 'step') report(`${p.index + 1}/${p.total} ${p.description}`);
          else if (p.phase === 'rollback') report(vscode.l10n.t('Rolling back: {0}', p.description));
        },
      }),
    );
  let result = await apply(true);
  if (!result.ok && result.error?.mixup && result.rolledBack) {
    const message = vscode.l10n.t(
      "This backup's {0} looks like another agent's memory: {1}",
      (result.error.step ?? '').replace(/^[a-z]+:/, ''),
      result.error.message,
    );
    if (await (deps.operations?.restoreAnyway ?? askRestoreAnyway)(message)) result = await apply(false);
  }
  deps.tree.refresh(nodeId);
  await deps.liveFs.pollWatched();
  reportResult(result, nodeId);
  return result;
}

export function reportResult(result: ApplyResult, nodeId: string): void {
  const notes = [...result.notes, ...result.rollbackErrors].join('\n');
  if (result.ok) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Done on {0}: {1}', nodeId, result.plan.summary), { detail: notes });
  } else {
    const state = result.rolledBack ? vscode.l10n.t('The node was put back as it was.') : vscode.l10n.t('Rollback was incomplete: read the details below.');
    void vscode.window.showErrorMessage(vscode.l10n.t('Failed on {0}: {1}', nodeId, result.error?.message ?? ''), {
      modal: true,
      detail: [state, notes].filter(Boolean).join('\n'),
    });
  }
}

/** The guard stopped a restore (and it was rolled back): Restore Anyway, or leave the node as it is. */
async function askRestoreAnyway(message: string): Promise<boolean> {
  const anyway = vscode.l10n.t('Restore Anyway');
  return (await vscode.window.showWarningMessage(message, { modal: true }, anyway)) === anyway;
}
