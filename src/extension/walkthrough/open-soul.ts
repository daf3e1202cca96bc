import { posix } from 'node:path';
import * as vscode from 'vscode';
import type { CommandDeps } from '../commands/deps';
import { showError } from '../commands/show-error';
import { liveUri } from '../fs/uris';
import { resolveNodeArg } from './pick-node';

/**
 * "Open an Agent's SOUL.md": the walkthrough's last step and a quick way in. Picks the node and
 * the agent (only when there is a choice) and opens the live file (safe save applies).
 */
export function registerOpenSoul(context: vscode.ExtensionContext, deps: CommandDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.openSoul', async (arg?: unknown): Promise<vscode.Uri | undefined> => {
      try {
        const nodeId = await resolveNodeArg(deps.registry, arg, vscode.l10n.t('Open SOUL.md on which node?'));
        if (!nodeId) return undefined;
        const { agents } = await deps.model.describe(nodeId);
        if (agents.length === 0) {
          void vscode.window.showInformationMessage(vscode.l10n.t('No agents are configured on {0} yet.', nodeId));
          return undefined;
        }
        // An agent row of the tree (or { nodeId, agent: { id } } from code) names the agent.
        const named = (arg as { agent?: { id?: unknown } } | undefined)?.agent?.id;
        const agent =
          typeof named === 'string'
            ? agents.find((a) => a.id === named)
            : agents.length === 1
              ? agents[0]
              : (
                  await vscode.window.showQuickPick(
                    agents.map((a) => ({ label: a.id, description: a.isDefault ? vscode.l10n.t('default agent') : (a.name ?? ''), agent: a })),
                    { title: vscode.l10n.t('Open SOUL.md of which agent?'), ignoreFocusOut: true },
                  )
                )?.agent;
        if (!agent) {
          if (typeof named === 'string')
            void vscode.window.showWarningMessage(vscode.l10n.t('Agent "{0}" is not configured on {1}. Refresh the node.', named, nodeId));
          return undefined;
        }
        const uri = liveUri(nodeId, posix.join(agent.workspace, 'SOUL.md'));
        await vscode.window.showTextDocument(uri, { preview: false });
        return uri;
      } catch (e) {
        await showError(e);
        return undefined;
      }
    }),
  );
}
