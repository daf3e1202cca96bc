import * as vscode from 'vscode';
import type { OcmError } from '../../core/errors';
import { lineRanges, type MixupFinding } from '../../core/guard';
import { backupCompareUri } from '../backups/uris';
import { historyUri } from '../fs/history-fs';
import { liveUri, parseLiveUri } from '../fs/uris';

/**
 * A save the mix-up guard stopped: what matched and where, then Compare (the other agent's file
 * beside this editor), Save Anyway, or Cancel. Nothing is written unless the user says so.
 */
export async function askMixup(uri: vscode.Uri, error: OcmError, incoming?: vscode.Uri): Promise<'save' | 'compare' | 'cancel'> {
  const { nodeId } = parseLiveUri(uri);
  const findings = (error.details.findings ?? []) as MixupFinding[];
  const file = String(error.details.relativePath ?? '');
  const agent = String(error.details.agentId ?? '');
  const compare = vscode.l10n.t('Compare');
  const save = vscode.l10n.t('Save Anyway');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t("{0} of agent {1} on {2}: this text looks like another agent's memory. Not saved yet.", file, agent, nodeId),
    { modal: true, detail: findings.map(describeMixupFinding).join('\n\n') },
    compare,
    save,
  );
  if (answer === save) return 'save';
  if (answer === compare) {
    const f = findings.find((x) => x.file) ?? findings[0];
    const other = f ? otherUri(f) : undefined;
    // `incoming`: the text about to be written when it is not the editor's (a version being restored).
    if (other && f)
      await vscode.commands.executeCommand(
        'vscode.diff',
        other,
        incoming ?? uri,
        vscode.l10n.t('{0} of {1} ({2}) ↔ yours', f.file?.relativePath ?? '', f.other.agentId, f.other.nodeId),
      );
    return 'compare';
  }
  return 'cancel';
}

/** One finding with a few of the matching lines (also used by Apply to Agents' confirmation). */
export function describeMixupFinding(f: MixupFinding): string {
  const who = f.other.name ? `${f.other.agentId} (${f.other.name})` : f.other.agentId;
  const head =
    f.kind === 'overlap'
      ? vscode.l10n.t(
          '{0} phrases match {1} of agent {2} on node {3} (lines {4})',
          f.matched ?? 0,
          f.file?.relativePath ?? '?',
          who,
          f.other.nodeId,
          lineRanges(f.lines),
        )
      : vscode.l10n.t(
          'the name "{0}" of agent {1} on node {2} appears where this agent\'s own name does not (lines {3})',
          f.name ?? '',
          who,
          f.other.nodeId,
          lineRanges(f.lines),
        );
  return [head, ...f.excerpt.slice(0, 3).map((l) => `  ${l}`)].join('\n');
}

/** The version of the other agent's file the guard matched (its history entry or snapshot). */
function otherUri(f: MixupFinding): vscode.Uri | undefined {
  if (!f.file) return undefined;
  if (f.file.from.historyId) return historyUri(f.file.from.historyId, f.file.remotePath);
  if (f.file.from.snapshotId) return backupCompareUri(f.other.nodeId, f.file.from.snapshotId, f.file.remotePath);
  return liveUri(f.other.nodeId, f.file.remotePath);
}
