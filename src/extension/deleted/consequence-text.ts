import * as vscode from 'vscode';
import type { Consequence } from '../../core/deletes';

/** What breaks, in the user's language (the same sentences as the CLI's, one translation each). */
export function consequenceText(c: Consequence): string {
  switch (c.code) {
    case 'gatewayWontStart':
      return vscode.l10n.t('the gateway will not start (openclaw.json is its configuration; a running gateway stops working at its next restart)');
    case 'nodeLosesState':
      return vscode.l10n.t("the node loses its whole OpenClaw state: config, every agent's sessions, memory index and credentials");
    case 'agentLosesWorkspace':
      return vscode.l10n.t('agent {0} loses its workspace: its memory, persona and rules', c.agentId ?? '');
    case 'agentLosesState':
      return vscode.l10n.t('agent {0} loses its state: sessions, memory index and credentials', c.agentId ?? '');
    case 'agentLosesMemory':
      return vscode.l10n.t('agent {0} loses its memory', c.agentId ?? '');
    case 'agentLosesIdentity':
      return vscode.l10n.t('agent {0} loses who it is (persona / identity)', c.agentId ?? '');
    case 'gatewayLosesSecrets':
      return vscode.l10n.t('the gateway loses the API keys and tokens kept in .env');
  }
}

/** The modal question before a delete or rename that breaks something; true = go ahead. */
export async function askBeforeBreaking(what: 'delete' | 'rename', path: string, nodeId: string, consequences: Consequence[]): Promise<boolean> {
  const go = what === 'delete' ? vscode.l10n.t('Delete Anyway') : vscode.l10n.t('Rename Anyway');
  const question = what === 'delete' ? vscode.l10n.t('Delete {0} on node "{1}"?', path, nodeId) : vscode.l10n.t('Rename {0} on node "{1}"?', path, nodeId);
  const detail = [
    ...consequences.map((c) => '• ' + consequenceText(c)),
    '',
    vscode.l10n.t('Its content is kept in the history first: restore it from Recently Deleted.'),
  ].join('\n');
  return (await vscode.window.showWarningMessage(question, { modal: true, detail }, go)) === go;
}
