import * as vscode from 'vscode';
import { restartGateway } from '../../core/operations';
import { locateOpenclaw } from '../../core/openclaw';
import { withCancellableProgress } from '../progress';
import type { TreeNode } from '../tree/nodes-tree';
import type { CommandDeps } from './deps';
import { showError } from './show-error';
import { formatTarget } from '../../core/registry/target';

/**
 * Restart Gateway (graceful: drains work where the version can) and Force Restart (a separate,
 * destructive action). Waits for /readyz through the SSH port forward and reports how long it took,
 * or the failing checks and the last log lines when the gateway does not come back.
 */
export function registerRestartGateway(context: vscode.ExtensionContext, deps: CommandDeps): void {
  const run = async (arg: TreeNode | string | undefined, force: boolean) => {
    try {
      const nodeId = typeof arg === 'string' ? arg : arg?.kind === 'node' ? arg.node.id : await pickNode(deps);
      if (!nodeId) return;
      if (force) {
        const confirm = vscode.l10n.t('Force Restart');
        const answer = await vscode.window.showWarningMessage(
          vscode.l10n.t('Force-restart the gateway on "{0}"? Running agent turns are cut off instead of finishing.', nodeId),
          { modal: true },
          confirm,
        );
        if (answer !== confirm) return;
      }
      const result = await withCancellableProgress(vscode.l10n.t('Restarting the gateway on {0}…', nodeId), async (report, signal) => {
        const transport = await deps.access.transport(nodeId);
        const node = await deps.access.node(nodeId);
        const location = await locateOpenclaw(transport, node, { signal });
        return restartGateway({ transport, location, node, force, signal, onProgress: (m) => report(m) });
      });
      deps.tree.refresh(nodeId);
      void deps.monitor.refresh();
      if (result.ok) {
        void vscode.window.showInformationMessage(
          vscode.l10n.t('Gateway on {0} is ready again after {1} s.', nodeId, ((result.readyAfterMs ?? result.totalMs) / 1000).toFixed(1)),
        );
      } else {
        const detail = [
          result.lastError,
          result.failing.length ? vscode.l10n.t('Failing checks: {0}', result.failing.join(', ')) : '',
          ...(result.logTail ?? []),
        ]
          .filter(Boolean)
          .join('\n');
        void vscode.window.showErrorMessage(vscode.l10n.t('The gateway on {0} did not come back ready.', nodeId), { modal: true, detail });
      }
    } catch (e) {
      await showError(e);
    }
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.restartGateway', (arg?: TreeNode | string) => run(arg, false)),
    vscode.commands.registerCommand('openclaw.forceRestartGateway', (arg?: TreeNode | string) => run(arg, true)),
  );
}

export async function pickNode(deps: CommandDeps, title = vscode.l10n.t('Choose a node')): Promise<string | undefined> {
  const nodes = await deps.registry.list({ includeRetired: false });
  const picked = await vscode.window.showQuickPick(
    nodes.map((n) => ({ label: n.id, description: formatTarget(n) })),
    { title, matchOnDescription: true },
  );
  return picked?.label;
}
