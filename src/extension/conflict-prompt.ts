import * as vscode from 'vscode';
import type { OcmError } from '../core/errors';
import { historyUri } from './fs/history-fs';
import { parseLiveUri } from './fs/uris';

/**
 * A save refused because the file changed on the node since it was opened (usually the agent
 * itself rewrote MEMORY.md). The user chooses; nothing is overwritten silently. Compare shows the
 * node's version (kept in the file history by the refused save) next to the unsaved editor.
 */
export async function askConflict(uri: vscode.Uri, error: OcmError): Promise<'overwrite' | 'compare' | 'cancel'> {
  const { nodeId, remotePath } = parseLiveUri(uri);
  const name = remotePath.split('/').pop() ?? remotePath;
  const compare = vscode.l10n.t('Compare');
  const overwrite = vscode.l10n.t('Overwrite');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('{0} changed on node "{1}" since you opened it.', name, nodeId),
    {
      modal: true,
      detail: vscode.l10n.t(
        'Someone else (often the agent itself) wrote this file after you opened it. Compare shows the version on the node next to yours; Overwrite replaces it with yours (the node version is kept in the file history).',
      ),
    },
    compare,
    overwrite,
  );
  if (answer === overwrite) return 'overwrite';
  if (answer === compare) {
    const backupId = typeof error.details.backupId === 'string' ? error.details.backupId : undefined;
    if (backupId) {
      await vscode.commands.executeCommand('vscode.diff', historyUri(backupId, remotePath), uri, vscode.l10n.t('{0} (on node) ↔ yours', name));
    }
    return 'compare';
  }
  return 'cancel';
}
