import * as vscode from 'vscode';
import { toOcmError } from '../../core/errors';
import type { NodeEntry } from '../../core/registry';
import { backupOneNode } from '../backups/run-backup';
import type { BackupUiDeps } from '../backups/deps';
import { formatBytes } from '../backups/tree';
import { withCancellableProgress } from '../progress';
import { showError } from './show-error';
import { formatTarget } from '../../core/registry/target';

/** Tree items that name a node: a node row, or its "Backups" group. */
type NodeArg = { kind: 'node'; node: NodeEntry } | { kind: 'backups'; nodeId: string };

export function registerBackupNodeCommands(context: vscode.ExtensionContext, deps: BackupUiDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.backupNode', async (item?: NodeArg, selected?: NodeArg[]) => {
      try {
        const nodes = await nodesFromArgs(deps, item, selected);
        return nodes.length > 0 ? await backupNodes(deps, nodes) : undefined;
      } catch (e) {
        void showError(e);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('openclaw.backupAllNodes', async () => {
      try {
        const nodes = (await deps.registry.list()).filter((n) => n.status === 'active');
        if (nodes.length === 0) {
          void vscode.window.showInformationMessage(vscode.l10n.t('There are no active nodes to back up.'));
          return undefined;
        }
        return await backupNodes(deps, nodes);
      } catch (e) {
        void showError(e);
        return undefined;
      }
    }),
  );
}

export interface BackupRunOutcome {
  succeeded: Array<{ nodeId: string; backupId: string; warnings: string[] }>;
  failed: Array<{ nodeId: string; message: string }>;
  cancelled: boolean;
}

/** Backs up nodes one after the other in a cancellable notification; refreshes each node's Backups group. */
export async function backupNodes(deps: BackupUiDeps, nodes: NodeEntry[]): Promise<BackupRunOutcome> {
  const outcome: BackupRunOutcome = { succeeded: [], failed: [], cancelled: false };
  const title = nodes.length === 1 ? vscode.l10n.t('Backing up {0}', nodes[0]!.id) : vscode.l10n.t('Backing up {0} nodes', nodes.length);
  await withCancellableProgress(title, async (report, signal) => {
    const step = 100 / nodes.length;
    for (const node of nodes) {
      if (signal.aborted) {
        outcome.cancelled = true;
        break;
      }
      let lastReport = 0;
      try {
        const result = await backupOneNode(node, {
          store: deps.catalog.store,
          connector: deps.connector,
          signal,
          onPhase: (phase, progress) => {
            const now = Date.now();
            if (phase === 'transferring' && now - lastReport < 250) return;
            lastReport = now;
            report(`${node.id}: ${phaseText(phase)}${progress && progress.bytes > 0 ? ` (${formatBytes(progress.bytes)})` : ''}`);
          },
        });
        outcome.succeeded.push({ nodeId: node.id, backupId: result.index.id, warnings: result.warnings });
        deps.backupsTree.refresh(node.id);
      } catch (e) {
        const err = toOcmError(e);
        if (err.kind === 'cancelled' || signal.aborted) {
          outcome.cancelled = true;
          break;
        }
        outcome.failed.push({ nodeId: node.id, message: err.message });
        deps.log?.(`Backup of ${node.id} failed: ${err.message}`);
      }
      report('', step);
    }
  });
  await reportOutcome(outcome);
  return outcome;
}

async function reportOutcome(outcome: BackupRunOutcome): Promise<void> {
  const warnings = outcome.succeeded.flatMap((s) => s.warnings.map((w) => `${s.nodeId}: ${w}`));
  if (outcome.failed.length > 0) {
    const lines = outcome.failed.map((f) => `${f.nodeId}: ${f.message}`).join(' ');
    void vscode.window.showErrorMessage(
      `${vscode.l10n.t('Backup failed for {0} of {1} nodes.', outcome.failed.length, outcome.failed.length + outcome.succeeded.length)} ${lines}`,
    );
  }
  if (outcome.cancelled) void vscode.window.showWarningMessage(vscode.l10n.t('Backup cancelled; no partial archive was kept.'));
  if (outcome.succeeded.length > 0) {
    const names = outcome.succeeded.map((s) => s.nodeId).join(', ');
    void vscode.window.showInformationMessage(vscode.l10n.t('Backed up: {0}', names) + (warnings.length ? ` — ${warnings.join('; ')}` : ''));
  }
}

function phaseText(phase: string): string {
  switch (phase) {
    case 'connecting':
      return vscode.l10n.t('connecting');
    case 'locating':
      return vscode.l10n.t('finding OpenClaw');
    case 'preparing':
      return vscode.l10n.t('preparing');
    case 'transferring':
      return vscode.l10n.t('transferring');
    case 'verifying':
      return vscode.l10n.t('verifying');
    default:
      return vscode.l10n.t('done');
  }
}

/** The nodes a command applies to: the multi-selection, else the clicked item, else a quick pick. */
async function nodesFromArgs(deps: BackupUiDeps, item: NodeArg | undefined, selected: NodeArg[] | undefined): Promise<NodeEntry[]> {
  const args = selected && selected.length > 0 ? selected : item ? [item] : [];
  const ids = [
    ...new Set(args.map((a) => (a.kind === 'node' ? a.node.id : a.kind === 'backups' ? a.nodeId : undefined)).filter((id): id is string => Boolean(id))),
  ];
  if (ids.length > 0) return Promise.all(ids.map((id) => deps.registry.get(id)));
  const active = (await deps.registry.list()).filter((n) => n.status === 'active');
  const picked = await vscode.window.showQuickPick(
    active.map((node) => ({ label: node.id, description: formatTarget(node), node })),
    { title: vscode.l10n.t('Back up nodes'), placeHolder: vscode.l10n.t('Choose the nodes to back up'), canPickMany: true },
  );
  return (picked ?? []).map((p) => p.node);
}
