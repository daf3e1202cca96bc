import * as vscode from 'vscode';
import { inspectUndo, undoBatch, type UndoOutcome } from '../../core/bulk';
import { toOcmError } from '../../core/errors';
import type { CommandDeps } from '../commands/deps';

/**
 * "Undo Last Bulk Apply": shows which files of the last batch changed since (an agent, a person)
 * and puts the batch back — without those, or with them when the user overrides.
 */
export function registerUndoBulk(context: vscode.ExtensionContext, deps: CommandDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.undoBulkApply', async (args?: { answer?: 'undo' | 'force' | 'cancel' }): Promise<UndoOutcome | undefined> => {
      try {
        const transport = (id: string) => deps.access.transport(id);
        const found = await inspectUndo(deps.home, transport);
        if (!found) {
          void vscode.window.showInformationMessage(vscode.l10n.t('No bulk apply to undo.'));
          return undefined;
        }
        const changed = found.checks.filter((c) => c.state !== 'ready');
        const undo = vscode.l10n.t('Undo');
        const force = vscode.l10n.t('Undo All, Including Changed Files');
        const detail = [
          vscode.l10n.t('{0} file(s) of "{1}" from {2}.', found.checks.length, found.batch.fileName, new Date(found.batch.createdAt).toLocaleString()),
          ...changed.map(
            (c) =>
              `• ${c.file.nodeId}/${c.file.agentId}: ${c.state === 'unreachable' ? vscode.l10n.t('cannot be read: {0}', c.message ?? '') : vscode.l10n.t('changed since the batch: left as it is unless you undo all')}`,
          ),
        ].join('\n');
        const answer =
          args?.answer ??
          ((await vscode.window
            .showWarningMessage(vscode.l10n.t('Undo the last bulk apply?'), { modal: true, detail }, undo, ...(changed.length ? [force] : []))
            .then((a) => (a === undo ? 'undo' : a === force ? 'force' : 'cancel'))) as 'undo' | 'force' | 'cancel');
        if (answer === 'cancel') return undefined;
        const result = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Undoing the last bulk apply') },
          () => undoBatch(found.batch, { home: deps.home, transport, force: answer === 'force' }),
        );
        for (const id of new Set(found.batch.files.map((f) => f.nodeId))) deps.tree.refresh(id);
        void deps.liveFs.pollWatched();
        if (result.refused.length)
          void vscode.window.showWarningMessage(
            vscode.l10n.t(
              'Put back {0} file(s); {1} left as they are (changed since): {2}',
              result.undone.length,
              result.refused.length,
              result.refused.map((r) => `${r.file.nodeId}/${r.file.agentId}`).join(', '),
            ),
          );
        else void vscode.window.showInformationMessage(vscode.l10n.t('Put back {0} file(s).', result.undone.length));
        return result;
      } catch (e) {
        void vscode.window.showErrorMessage(toOcmError(e).message);
        return undefined;
      }
    }),
  );
}
