import * as vscode from 'vscode';
import { isMixupError } from '../../core/guard';
import { buildTimeline, restoreTimelineVersion, type Timeline, type TimelineReader, type TimelineVersion } from '../../core/timeline';
import { backupCompareUri } from '../backups/uris';
import { historyUri } from '../fs/history-fs';
import { LIVE_SCHEME, liveUri, parseLiveUri } from '../fs/uris';
import { askMixup } from '../guard/mixup-prompt';
import type { GuardService } from '../guard/guard-service';
import type { FileItem } from '../tree/nodes-tree';
import type { CommandDeps } from './deps';
import { showError } from './show-error';

/**
 * "Show Timeline" on an agent file: every version ocm knows (backups and saves), newest first,
 * with who changed it and by how many lines; then open one read-only, compare it with the
 * previous version, the file on the node or any other version, or restore it (safe save).
 * VS Code's own Timeline view API is final only from VS Code 1.145 (proposed before), outside
 * our engine range ^1.99, so this is a quick pick.
 */
export function registerShowTimeline(context: vscode.ExtensionContext, deps: CommandDeps & { guard?: GuardService }): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.showTimeline', async (arg?: FileItem | vscode.Uri) => {
      try {
        const target = targetOf(arg);
        if (!target) {
          void vscode.window.showInformationMessage(vscode.l10n.t('Open a file from the OpenClaw tree first, or pick one in the tree.'));
          return;
        }
        const timeline = await buildTimeline({ home: deps.home, store: deps.backupStore, ...target });
        if (timeline.versions.length === 0) {
          void vscode.window.showInformationMessage(
            vscode.l10n.t('ocm knows no version of {0} yet: back up the node or save the file once.', target.remotePath),
          );
          return;
        }
        const picked = await pickVersion(
          timeline,
          vscode.l10n.t('Timeline of {0} on {1}', target.remotePath.split('/').pop() ?? target.remotePath, target.nodeId),
        );
        if (picked) await act(deps, timeline, picked.version);
      } catch (e) {
        await showError(e);
      }
    }),
  );
}

type VersionPick = vscode.QuickPickItem & { version: TimelineVersion };

function pickVersion(timeline: Timeline, title: string, except?: TimelineVersion): Thenable<VersionPick | undefined> {
  const items: VersionPick[] = timeline.versions
    .filter((v) => v !== except)
    .map((v) => ({
      label: `#${v.n}  ${new Date(v.timeMs).toLocaleString()}`,
      description: `${originLabel(v)}${v.diff ? ` · +${v.diff.added} −${v.diff.removed}` : ''}`,
      detail: `${v.size} B · sha256 ${v.sha256.slice(0, 12)} · ${sourcesLabel(v)}`,
      version: v,
    }));
  return vscode.window.showQuickPick(items, { title, matchOnDescription: true, matchOnDetail: true });
}

async function act(deps: CommandDeps & { guard?: GuardService }, timeline: Timeline & TimelineReader, v: TimelineVersion): Promise<void> {
  const name = timeline.remotePath.split('/').pop() ?? timeline.remotePath;
  const open = vscode.l10n.t('Open (read-only)');
  const previous = vscode.l10n.t('Compare with the previous version');
  const live = vscode.l10n.t('Compare with the file on the node');
  const other = vscode.l10n.t('Compare with another version…');
  const restore = vscode.l10n.t('Restore this version…');
  const older = timeline.versions.find((x) => x.n === v.n - 1);
  const choices = [open, ...(older ? [previous] : []), live, ...(timeline.versions.length > 1 ? [other] : []), restore];
  const action = await vscode.window.showQuickPick(choices, { title: `#${v.n} · ${new Date(v.timeMs).toLocaleString()} · ${originLabel(v)}` });
  const uri = versionUri(timeline, v);
  const label = (x: TimelineVersion) => `${name} #${x.n}`;
  if (action === open) await vscode.window.showTextDocument(uri, { preview: true });
  else if (action === previous && older) await vscode.commands.executeCommand('vscode.diff', versionUri(timeline, older), uri, `${label(older)} ↔ #${v.n}`);
  else if (action === live)
    await vscode.commands.executeCommand('vscode.diff', uri, liveUri(timeline.nodeId, timeline.remotePath), vscode.l10n.t('{0} ↔ on node', label(v)));
  else if (action === other) {
    const second = await pickVersion(timeline, vscode.l10n.t('Compare #{0} with…', v.n), v);
    if (second) {
      const [a, b] = second.version.n < v.n ? [second.version, v] : [v, second.version];
      await vscode.commands.executeCommand('vscode.diff', versionUri(timeline, a), versionUri(timeline, b), `${label(a)} ↔ #${b.n}`);
    }
  } else if (action === restore) await restoreVersion(deps, timeline, v);
}

async function restoreVersion(deps: CommandDeps & { guard?: GuardService }, timeline: Timeline & TimelineReader, v: TimelineVersion): Promise<void> {
  const confirm = vscode.l10n.t('Restore');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t(
      'Put version #{0} of {1} back on node "{2}"? The current file is kept in the history first.',
      v.n,
      timeline.remotePath.split('/').pop() ?? '',
      timeline.nodeId,
    ),
    { modal: true },
    confirm,
  );
  if (answer !== confirm) return;
  const transport = await deps.access.transport(timeline.nodeId);
  const guard = await deps.guard?.hookFor(timeline.nodeId, timeline.remotePath).catch(() => undefined);
  const run = (beforeWrite?: typeof guard) =>
    restoreTimelineVersion(transport, { home: deps.home, timeline, version: v, via: 'vscode', ...(beforeWrite ? { beforeWrite } : {}) });
  try {
    await run(guard);
  } catch (e) {
    if (!isMixupError(e)) throw e;
    if ((await askMixup(liveUri(timeline.nodeId, timeline.remotePath), e)) !== 'save') return;
    await run(undefined);
  }
  void vscode.window.showInformationMessage(vscode.l10n.t('Restored version #{0} of {1} on {2}.', v.n, timeline.remotePath, timeline.nodeId));
  deps.guard?.noteSaved();
  await deps.liveFs.pollWatched();
}

/** A version's bytes, read-only: its history entry, else the snapshot that holds it. */
export function versionUri(timeline: Timeline, v: TimelineVersion): vscode.Uri {
  const h = v.sources.find((s) => s.historyId);
  if (h?.historyId) return historyUri(h.historyId, timeline.remotePath);
  const s = v.sources.find((x) => x.snapshotId)!;
  return backupCompareUri(timeline.nodeId, s.snapshotId!, timeline.remotePath);
}

function originLabel(v: TimelineVersion): string {
  const via = v.via === 'vscode' ? ' (VS Code)' : v.via === 'cli' ? ' (CLI)' : '';
  const word =
    v.origin === 'saved'
      ? vscode.l10n.t('saved')
      : v.origin === 'agent'
        ? vscode.l10n.t('changed by the agent')
        : v.origin === 'pre-edit'
          ? vscode.l10n.t('found before a save')
          : vscode.l10n.t('backup');
  return `${word}${via}${v.sameAs ? ' ' + vscode.l10n.t('= #{0}', v.sameAs) : ''}`;
}

function sourcesLabel(v: TimelineVersion): string {
  const snaps = v.sources.filter((s) => s.kind === 'snapshot').length;
  const hist = v.sources.length - snaps;
  return [snaps ? vscode.l10n.t('{0} backup(s)', snaps) : '', hist ? vscode.l10n.t('{0} history entr(ies)', hist) : ''].filter(Boolean).join(', ');
}

function targetOf(arg: FileItem | vscode.Uri | undefined): { nodeId: string; remotePath: string } | undefined {
  if (arg instanceof vscode.Uri) return arg.scheme === LIVE_SCHEME ? parseLiveUri(arg) : undefined;
  if (arg && arg.kind === 'file') return { nodeId: arg.nodeId, remotePath: arg.remotePath };
  const active = vscode.window.activeTextEditor?.document.uri;
  return active?.scheme === LIVE_SCHEME ? parseLiveUri(active) : undefined;
}
