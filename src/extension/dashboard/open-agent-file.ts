import { posix } from 'node:path';
import * as vscode from 'vscode';
import type { CommandDeps } from '../commands/deps';
import { showError } from '../commands/show-error';
import { liveUri } from '../fs/uris';
import { resolveNodeArg } from '../walkthrough/pick-node';

/**
 * "Open Agent File…" (the dashboard cards' action, also in the palette): node → agent (asked only
 * when there is a choice) → one of the agent's workspace files or daily notes, opened live (safe
 * save applies). From code: `(nodeId, agentId?, fileName?)` skips the questions answered.
 */
export function registerOpenAgentFile(context: vscode.ExtensionContext, deps: CommandDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.openAgentFile', async (arg?: unknown, agentArg?: unknown, fileArg?: unknown): Promise<vscode.Uri | undefined> => {
      try {
        const nodeId = await resolveNodeArg(deps.registry, arg, vscode.l10n.t('Open an agent file on which node?'));
        if (!nodeId) return undefined;
        const { agents } = await deps.model.describe(nodeId);
        if (agents.length === 0) {
          void vscode.window.showInformationMessage(vscode.l10n.t('No agents are configured on {0} yet.', nodeId));
          return undefined;
        }
        const named = typeof agentArg === 'string' ? agentArg : (arg as { agent?: { id?: unknown } } | undefined)?.agent?.id;
        const agent =
          typeof named === 'string'
            ? agents.find((a) => a.id === named)
            : agents.length === 1
              ? agents[0]
              : (
                  await vscode.window.showQuickPick(
                    agents.map((a) => ({ label: a.id, description: a.isDefault ? vscode.l10n.t('default agent') : (a.name ?? ''), agent: a })),
                    { title: vscode.l10n.t('Open a file of which agent on {0}?', nodeId) },
                  )
                )?.agent;
        if (!agent) {
          if (typeof named === 'string')
            void vscode.window.showWarningMessage(vscode.l10n.t('Agent "{0}" is not configured on {1}. Refresh the node.', named, nodeId));
          return undefined;
        }
        const files = await deps.model.agentFiles(nodeId, agent.id);
        const choices = [
          ...files.files.map((f) => ({ label: f.name, path: f.path })),
          ...files.memoryNotes.map((n) => ({ label: `memory/${n.name}`, path: n.path })),
        ];
        const path =
          typeof fileArg === 'string'
            ? posix.join(agent.workspace, fileArg)
            : (
                await vscode.window.showQuickPick(
                  choices.map((c) => ({ label: c.label, description: c.path, path: c.path })),
                  { title: vscode.l10n.t('Open which file of {0} on {1}?', agent.id, nodeId), matchOnDescription: true },
                )
              )?.path;
        if (!path) return undefined;
        const uri = liveUri(nodeId, path);
        await vscode.window.showTextDocument(uri, { preview: false });
        return uri;
      } catch (e) {
        await showError(e);
        return undefined;
      }
    }),
  );
}
