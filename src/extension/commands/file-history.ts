import * as vscode from 'vscode';
import { isMixupError } from '../../core/guard';
import { getHistoryEntry, listHistory, type HistoryEntry } from '../../core/history';
import { restoreHistoryEntry } from '../../core/safe-write';
import { historyUri } from '../fs/history-fs';
import { askMixup } from '../guard/mixup-prompt';
import { LIVE_SCHEME, liveUri, parseLiveUri } from '../fs/uris';
import type { FileItem } from '../tree/nodes-tree';
import type { CommandDeps } from './deps';
import { showError } from './show-error';

/**
 * File history: every pre-edit backup of a remote file, newest first. Open one read-only, compare
 * it with the live file, or restore it (through the safe save, which backs up the live file first).
 */
export function registerFileHistory(context: vscode.ExtensionContext, deps: CommandDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.showFileHistory', async (arg?: FileItem | vscode.Uri) => {
      try {
        const target = targetOf(arg);
        if (!target) {
          void vscode.window.showInformationMessage(vscode.l10n.t('Open a file from the OpenClaw tree first, or pick one in the tree.'));
          return;
        }
        const entries = await listHistory(deps.home, target.nodeId, target.remotePath);
        if (entries.length === 0) {
          void vscode.window.showInformationMessage(vscode.l10n.t('No earlier versions of {0} yet: one is kept each time you save it.', target.remotePath));
          return;
        }
        const picked = await vscode.window.showQuickPick(
          entries.map((entry) => ({
            label: new Date(entry.timeMs).toLocaleString(),
            description: describe(entry),
            detail: `sha256 ${entry.sha256.slice(0, 16)}…`,
            entry,
          })),
          { title: vscode.l10n.t('History of {0} on {1}', target.remotePath, target.nodeId), matchOnDescription: true },
        );
        if (!picked) return;
        await actOnEntry(deps, picked.entry);
      } catch (e) {
        await showError(e);
      }
    }),
    vscode.commands.registerCommand('openclaw.restoreHistoryEntry', async (historyId: string) => {
      try {
        await restore(deps, historyId);
      } catch (e) {
        await showError(e);
      }
    }),
  );
}

async function actOnEntry(deps: CommandDeps, entry: HistoryEntry): Promise<void> {
  const open = vscode.l10n.t('Open (read-only)');
  const compare = vscode.l10n.t('Compare with the file on the node');
  const restoreLabel = vscode.l10n.t('Restore this version…');
  const action = await vscode.window.showQuickPick([open, compare, restoreLabel], { title: new Date(entry.timeMs).toLocaleString() });
  const old = historyUri(entry.id, entry.remotePath);
  const name = entry.remotePath.split('/').pop() ?? entry.remotePath;
  if (action === open) await vscode.window.showTextDocument(old, { preview: true });
  else if (action === compare) {
    await vscode.commands.executeCommand(
      'vscode.diff',
      old,
      liveUri(entry.nodeId, entry.remotePath),
      vscode.l10n.t('{0} ({1}) ↔ on node', name, new Date(entry.timeMs).toLocaleString()),
    );
  } else if (action === restoreLabel) await restore(deps, entry.id);
}

async function restore(deps: CommandDeps, historyId: string): Promise<void> {
  const nodeId = historyId.split('/')[0]!;
  const confirm = vscode.l10n.t('Restore');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('Put this earlier version back on node "{0}"? The current file is backed up first.', nodeId),
    { modal: true },
    confirm,
  );
  if (answer !== confirm) return;
  const transport = await deps.access.transport(nodeId);
  const validator = await deps.model.validatorFor(nodeId).catch(() => undefined);
  const entry = await getHistoryEntry(deps.home, historyId);
  // The mix-up guard: a version holding another agent's text (a pasted-in copy saved once) asks
  // first — Compare / Save Anyway / Cancel — like a save would.
  const guard = await deps.guard?.hookFor(nodeId, entry.remotePath).catch(() => undefined);
  const run = (beforeWrite?: typeof guard) =>
    restoreHistoryEntry(transport, { home: deps.home, id: historyId, ...(validator ? { validator } : {}), ...(beforeWrite ? { beforeWrite } : {}) });
  let result;
  try {
    result = await run(guard);
  } catch (e) {
    if (!isMixupError(e)) throw e;
    if ((await askMixup(liveUri(nodeId, entry.remotePath), e, historyUri(historyId, entry.remotePath))) !== 'save') return;
    result = await run(undefined);
  }
  void vscode.window.showInformationMessage(vscode.l10n.t('Restored {0} on {1}.', result.restored.remotePath, nodeId));
  deps.guard?.noteSaved();
  await deps.liveFs.pollWatched();
}

function describe(entry: HistoryEntry): string {
  const reasons: Record<HistoryEntry['reason'], string> = {
    'pre-edit': vscode.l10n.t('before a save'),
    'pre-restore': vscode.l10n.t('before a restore'),
    'changed-during-save': vscode.l10n.t('changed during a save'),
    saved: vscode.l10n.t('as saved'),
    'pre-delete': vscode.l10n.t('before a delete'),
    'pre-rename': vscode.l10n.t('before a rename'),
  };
  const reason = reasons[entry.reason];
  return `${entry.size} B · ${reason}`;
}

function targetOf(arg: FileItem | vscode.Uri | undefined): { nodeId: string; remotePath: string } | undefined {
  if (arg instanceof vscode.Uri) return arg.scheme === LIVE_SCHEME ? parseLiveUri(arg) : undefined;
  if (arg && arg.kind === 'file') return { nodeId: arg.nodeId, remotePath: arg.remotePath };
  const active = vscode.window.activeTextEditor?.document.uri;
  return active?.scheme === LIVE_SCHEME ? parseLiveUri(active) : undefined;
}
