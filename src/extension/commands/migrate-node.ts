import * as vscode from 'vscode';
import { applyMigration, planMigration, redactedPlan, type MigrationPlan } from '../../core/operations/migrate';
import type { PlanContentProvider } from '../fs/plan-content';
import { confirmPlan } from '../operations/preview';
import { withCancellableProgress } from '../progress';
import type { TreeNode } from '../tree/nodes-tree';
import type { CommandDeps } from './deps';
import { reportResult } from './restore-backup';
import { showError } from './show-error';
import { formatTarget } from '../../core/registry/target';

/**
 * The four answers of the flow, for callers that already know them (tests, keybindings with args):
 * the questions are then skipped, the preview and the confirmation are not.
 */
export interface MigrateAnswers {
  to: string;
  stateDir?: string;
  port?: number;
  newToken?: boolean;
}

/**
 * Migrate a node's setup to another registered node: a fresh backup of the source (which is never
 * changed), paths/port/token adapted for the target, the adapted openclaw.json shown as a diff
 * against the source's (and the target's current one) before anything is applied, and the target
 * rolled back if any step fails.
 */
export function registerMigrateNode(context: vscode.ExtensionContext, deps: CommandDeps, contents: PlanContentProvider): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.migrateNode', async (item?: TreeNode, preset?: MigrateAnswers) => {
      try {
        const fromId = item?.kind === 'node' ? item.node.id : undefined;
        if (!fromId) {
          void vscode.window.showInformationMessage(vscode.l10n.t('Right-click the node to migrate in the Nodes view and choose "Migrate to…".'));
          return;
        }
        const others = (await deps.registry.list({ includeRetired: false })).filter((n) => n.id !== fromId);
        if (others.length === 0) {
          void vscode.window.showInformationMessage(vscode.l10n.t('Add the target machine as a node first (Add Node…), then migrate to it.'));
          return;
        }
        const target = preset?.to
          ? others.map((n) => ({ label: n.id })).find((n) => n.label === preset.to)
          : await vscode.window.showQuickPick(
              others.map((n) => ({ label: n.id, description: formatTarget(n) })),
              { title: vscode.l10n.t('Migrate {0} to which node? (1/4)', fromId) },
            );
        if (!target) return;
        const stateDir = preset
          ? (preset.stateDir ?? '')
          : await vscode.window.showInputBox({
              title: vscode.l10n.t('State dir on {0} (2/4)', target.label),
              prompt: vscode.l10n.t('Leave empty to use the target’s current OpenClaw state dir. "~/" is the target user’s home.'),
              placeHolder: '~/.openclaw',
              ignoreFocusOut: true,
            });
        if (stateDir === undefined) return;
        const portText = preset
          ? preset.port === undefined
            ? ''
            : String(preset.port)
          : await vscode.window.showInputBox({
              title: vscode.l10n.t('Gateway port on {0} (3/4)', target.label),
              prompt: vscode.l10n.t('Leave empty to keep the target’s current port.'),
              placeHolder: '18789',
              ignoreFocusOut: true,
              validateInput: (v) =>
                v === '' || (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 65535) ? undefined : vscode.l10n.t('A port number from 1 to 65535'),
            });
        if (portText === undefined) return;
        const keep = vscode.l10n.t('Keep the gateway token');
        const fresh = vscode.l10n.t('Generate a new gateway token');
        const token = preset
          ? preset.newToken
            ? fresh
            : keep
          : await vscode.window.showQuickPick([keep, fresh], { title: vscode.l10n.t('Gateway token (4/4)') });
        if (!token) return;

        const plan = await withCancellableProgress(vscode.l10n.t('Planning the migration {0} → {1}…', fromId, target.label), async (_report, signal) =>
          planMigration({
            from: { node: await deps.access.node(fromId), transport: await deps.access.transport(fromId) },
            to: { node: await deps.access.node(target.label), transport: await deps.access.transport(target.label) },
            ...(stateDir.trim() ? { stateDir: stateDir.trim() } : {}),
            ...(portText ? { port: Number(portText) } : {}),
            newToken: token === fresh,
            signal,
          }),
        );
        await previewMigration(plan, contents);
        const detail = [
          vscode.l10n.t('{0} agent(s), state dir {1} → {2}, port {3}.', plan.agents.length, plan.from.stateDir, plan.to.stateDir, plan.to.gatewayPort),
          ...plan.symlinks.map((s) => `⚠ ${s.message}`),
          vscode.l10n.t('The source node is not changed.'),
        ];
        if (!(await (deps.operations?.confirm ?? confirmPlan)(plan, vscode.l10n.t('Migrate'), detail))) return;
        const result = await withCancellableProgress(vscode.l10n.t('Migrating {0} → {1}…', fromId, target.label), async (report, signal) =>
          applyMigration(plan, {
            from: { node: await deps.access.node(fromId), transport: await deps.access.transport(fromId) },
            to: { node: await deps.access.node(target.label), transport: await deps.access.transport(target.label) },
            store: deps.backupStore,
            registry: deps.registry,
            signal,
            onProgress: (p) => {
              if (p.phase === 'sourceBackup') report(vscode.l10n.t('Backing up {0}…', fromId));
              else if (p.phase === 'safetyBackup') report(vscode.l10n.t('Taking a safety backup…'));
              else if (p.phase === 'step') report(`${p.index + 1}/${p.total} ${p.description}`);
              else if (p.phase === 'rollback') report(vscode.l10n.t('Rolling back: {0}', p.description));
            },
          }),
        );
        deps.tree.refresh(target.label);
        reportResult(result, target.label);
      } catch (e) {
        await showError(e);
      }
    }),
  );
}

/** The adapted openclaw.json (secrets redacted) as a diff against the source's, and the target's current one. */
export async function previewMigration(plan: MigrationPlan, contents: PlanContentProvider): Promise<void> {
  const shown = redactedPlan(plan);
  const key = `migrate-${Date.now().toString(36)}`;
  const changes: [vscode.Uri, vscode.Uri, vscode.Uri][] = [];
  for (const f of shown.config.files) {
    const name = f.targetPath.split('/').pop() ?? f.targetPath;
    const source = contents.put(key, `${plan.from.nodeId}${f.sourcePath}`, f.before);
    const adapted = contents.put(key, `${plan.to.nodeId}${f.targetPath}`, f.after);
    changes.push([adapted, source, adapted]);
    if (f.targetCurrent !== undefined) {
      const current = contents.put(key, `${plan.to.nodeId}-now${f.targetPath}`, f.targetCurrent);
      changes.push([contents.put(key, `${plan.to.nodeId}-vs-now${f.targetPath}`, f.after), current, adapted]);
    }
    void name;
  }
  const title = vscode.l10n.t('Migration preview: {0} → {1}', plan.from.nodeId, plan.to.nodeId);
  try {
    await vscode.commands.executeCommand('vscode.changes', title, changes);
  } catch {
    const first = changes[0];
    if (first) await vscode.commands.executeCommand('vscode.diff', first[1], first[2], title);
  }
}
