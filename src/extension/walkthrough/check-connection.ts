import * as vscode from 'vscode';
import { log } from '../log';
import { withCancellableProgress } from '../progress';
import type { CommandDeps } from '../commands/deps';
import { showError } from '../commands/show-error';
import { resolveNodeArg } from './pick-node';

export interface ConnectionCheck {
  nodeId: string;
  agents: string[];
  stateDir: string;
}

/**
 * "Check Connection": connects the way opening a file would (so an unknown host key is asked
 * about now, through the usual modal), reads the node's agents, and refreshes its status.
 */
export function registerCheckConnection(context: vscode.ExtensionContext, deps: CommandDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.checkConnection', async (arg?: unknown): Promise<ConnectionCheck | undefined> => {
      try {
        const nodeId = await resolveNodeArg(deps.registry, arg, vscode.l10n.t('Check the connection to which node?'));
        if (!nodeId) return undefined;
        const started = Date.now();
        const described = await withCancellableProgress(vscode.l10n.t('Connecting to {0}…', nodeId), async () => {
          await deps.access.transport(nodeId);
          deps.model.invalidate(nodeId);
          return deps.model.describe(nodeId);
        });
        const agents = described.agents.map((a) => a.id);
        log().info(`check connection ${nodeId}: ok in ${Date.now() - started} ms, ${agents.length} agent(s), state dir ${described.location.stateDir}`);
        deps.tree.refresh(nodeId);
        void deps.monitor.refresh().catch(() => undefined);
        void vscode.window.showInformationMessage(
          agents.length
            ? vscode.l10n.t('Connected to {0}: {1} agent(s) ({2}).', nodeId, agents.length, agents.join(', '))
            : vscode.l10n.t('Connected to {0}, but no agents are configured there yet.', nodeId),
        );
        return { nodeId, agents, stateDir: described.location.stateDir };
      } catch (e) {
        await showError(e);
        return undefined;
      }
    }),
  );
}
