import * as vscode from 'vscode';
import { findDeleted, restoreDeleted, type DeletedEntry } from '../../core/deletes';
import { isOcmError, toOcmError } from '../../core/errors';
import { isMixupError } from '../../core/guard';
import { askMixup } from '../guard/mixup-prompt';
import type { CommandDeps } from '../commands/deps';
import { historyUri } from '../fs/history-fs';
import { liveUri } from '../fs/uris';
import type { DeletedEntryItem, DeletedTreeContributor } from './tree';

/** Arguments a test (or another command) can pass instead of a tree item. */
export interface RestoreDeletedArgs {
  nodeId: string;
  /** Entry id or the deleted path. */
  ref: string;
  /** Answer to "it exists again": replace it (test hook; users get the dialog). */
  overwrite?: boolean;
}

/** "Restore" on a Recently Deleted entry, and "Delete (Keep a Copy)" on a file in the tree. */
export function registerDeletedCommands(context: vscode.ExtensionContext, deps: CommandDeps, tree: DeletedTreeContributor): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.restoreDeleted', async (arg?: DeletedEntryItem | RestoreDeletedArgs) => {
      try {
        if (!arg) return;
        const entry = 'entry' in arg ? arg.entry : await findDeleted(deps.home, arg.nodeId, arg.ref);
        return await restore(deps, tree, entry, 'overwrite' in arg ? arg.overwrite : undefined);
      } catch (e) {
        void vscode.window.showErrorMessage(toOcmError(e).message);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('openclaw.deleteFile', async (arg?: { nodeId: string; remotePath: string }) => {
      if (!arg?.nodeId || !arg.remotePath) return;
      try {
        await vscode.workspace.fs.delete(liveUri(arg.nodeId, arg.remotePath), { recursive: true, useTrash: false });
        deps.tree.refresh(arg.nodeId);
      } catch (e) {
        if (e instanceof vscode.FileSystemError && e.code === 'NoPermissions' && /cancelled/i.test(e.message)) return;
        void vscode.window.showErrorMessage(e instanceof Error ? e.message : String(e));
      }
    }),
  );
}

async function restore(deps: CommandDeps, tree: DeletedTreeContributor, entry: DeletedEntry, overwrite: boolean | undefined): Promise<string[] | undefined> {
  const transport = await deps.access.transport(entry.nodeId);
  // The mix-up guard checks every MEMORY/SOUL/IDENTITY/USER.md of the entry before the first
  // write; when it finds another agent's text it asks (Compare / Save Anyway / Cancel).
  const guardFor = deps.guard ? (path: string) => deps.guard!.hookFor(entry.nodeId, path).catch(() => undefined) : undefined;
  const put = async (replace: boolean): Promise<{ restored: string[] } | undefined> => {
    try {
      return await restoreDeleted(transport, entry, { home: deps.home, ...(replace ? { overwrite: true } : {}), ...(guardFor ? { guardFor } : {}) });
    } catch (e) {
      if (!isMixupError(e)) throw e;
      const path = String(e.details.remotePath);
      const file = entry.files.find((f) => (f.rel ? `${entry.path}/${f.rel}` : entry.path) === path);
      if ((await askMixup(liveUri(entry.nodeId, path), e, file ? historyUri(file.historyId, path) : undefined)) !== 'save') return undefined;
      return restoreDeleted(transport, entry, { home: deps.home, ...(replace ? { overwrite: true } : {}) });
    }
  };
  try {
    const result = await put(Boolean(overwrite));
    if (!result) return undefined;
    const { restored } = result;
    deps.guard?.noteSaved();
    done(deps, tree, entry, restored);
    return restored;
  } catch (e) {
    if (!isOcmError(e, 'exists') || overwrite === false) throw e;
    const existing = (e.details.existing as string[] | undefined) ?? [];
    const replace = vscode.l10n.t('Replace');
    const compare = vscode.l10n.t('Compare');
    const answer =
      overwrite === true
        ? replace
        : await vscode.window.showWarningMessage(
            vscode.l10n.t('{0} exists again on node "{1}".', existing.join(', '), entry.nodeId),
            { modal: true, detail: vscode.l10n.t('Replace it with the deleted version? Its current content is kept in the history first.') },
            replace,
            ...(entry.kind === 'file' ? [compare] : []),
          );
    if (answer === compare && entry.files[0]) {
      await vscode.commands.executeCommand(
        'vscode.diff',
        historyUri(entry.files[0].historyId, entry.path),
        liveUri(entry.nodeId, entry.path),
        vscode.l10n.t('{0}: deleted version ↔ on the node', entry.path.split('/').pop() ?? entry.path),
      );
      return undefined;
    }
    if (answer !== replace) return undefined;
    const result = await put(true);
    if (!result) return undefined;
    deps.guard?.noteSaved();
    done(deps, tree, entry, result.restored);
    return result.restored;
  }
}

function done(deps: CommandDeps, tree: DeletedTreeContributor, entry: DeletedEntry, restored: string[]): void {
  tree.refresh(entry.nodeId);
  deps.tree.refresh(entry.nodeId);
  void deps.liveFs.pollWatched();
  void vscode.window.showInformationMessage(vscode.l10n.t('Restored {0} on {1} ({2} file(s)).', entry.path, entry.nodeId, restored.length));
}
