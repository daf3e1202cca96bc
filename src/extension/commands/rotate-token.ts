import * as vscode from 'vscode';
import {
  applyTokenRotation,
  maskedDiff,
  prepareTokenRotation,
  rotationNoticeText,
  rotationStepText,
  type TokenRotationPlan,
  type TokenRotationResult,
} from '../../core/token';
import { confirmPlan } from '../operations/preview';
import { withCancellableProgress } from '../progress';
import type { TreeNode } from '../tree/nodes-tree';
import type { CommandDeps } from './deps';
import { pickNode } from './restart-gateway';
import { showError } from './show-error';

/**
 * "Rotate Gateway Token…" on a node: the plan (every node and file that carries the token, the
 * dependants, the steps; tokens masked) opens as a Markdown preview, a modal asks, then the core
 * applies it and verifies every dependant; a failure is rolled back there and reported here.
 */
export function registerRotateToken(context: vscode.ExtensionContext, deps: CommandDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.rotateToken', async (arg?: TreeNode | string): Promise<TokenRotationResult | undefined> => {
      try {
        const nodeId = typeof arg === 'string' ? arg : arg?.kind === 'node' ? arg.node.id : await pickNode(deps);
        if (!nodeId) return undefined;
        const nodes = await deps.registry.list({ includeRetired: false });
        const prepared = await withCancellableProgress(vscode.l10n.t('Planning the token rotation of {0}…', nodeId), (_report, signal) =>
          prepareTokenRotation({ gatewayId: nodeId, nodes, transportFor: (n) => deps.access.transport(n.id), signal }),
        );
        const { plan } = prepared;
        await showPlanPreview(plan);
        if (plan.places.length === 0) {
          void vscode.window.showInformationMessage(vscode.l10n.t('Nothing carries the token of {0}: nothing to change.', nodeId));
          return undefined;
        }
        const action = vscode.l10n.t('Rotate Token');
        const detail = [
          plan.summary,
          ...plan.steps.map((s) => `• ${rotationStepText(plan, s, vscode.l10n)}`),
          ...plan.notices.map((n) => `⚠ ${rotationNoticeText(n, vscode.l10n)}`),
          vscode.l10n.t(
            'Each file is saved with the safe save (its old content kept in the history); if any step fails, every node is put back on the old token.',
          ),
        ].join('\n');
        // Tests answer through deps.operations.confirm (as for restore and migrate); people get this modal.
        const hook = deps.operations?.confirm;
        const yes =
          hook && hook !== confirmPlan
            ? await hook(plan, action, [])
            : (await vscode.window.showWarningMessage(vscode.l10n.t('Rotate the gateway token of "{0}"?', nodeId), { modal: true, detail }, action)) === action;
        if (!yes) return undefined;
        const result = await withCancellableProgress(vscode.l10n.t('Rotating the gateway token of {0}…', nodeId), (report, signal) =>
          applyTokenRotation({
            plan,
            nodes: prepared.nodes,
            home: deps.home,
            signal,
            onProgress: (p) => {
              if (p.phase === 'step') report(p.description);
              else if (p.phase === 'rollback') report(vscode.l10n.t('rolling back: {0}', p.description));
            },
          }),
        );
        for (const id of new Set(plan.places.map((p) => p.nodeId))) deps.tree.refresh(id);
        if (result.ok) {
          const verified =
            result.verified
              .filter((v) => v.ok)
              .map((v) => v.nodeId)
              .join(', ') || vscode.l10n.t('none');
          void vscode.window.showInformationMessage(
            vscode.l10n.t('The gateway token of {0} was rotated; dependants verified with the new token: {1}.', nodeId, verified),
          );
        } else {
          const detailLines = [result.error?.message ?? '', ...result.rollbackErrors, ...result.notes].filter(Boolean).join('\n');
          const message =
            result.rollbackErrors.length === 0
              ? vscode.l10n.t('The token rotation of {0} failed; every node was put back on the old token.', nodeId)
              : vscode.l10n.t('The token rotation of {0} failed and could NOT be rolled back completely.', nodeId);
          void vscode.window.showErrorMessage(message, { modal: true, detail: detailLines });
        }
        return result;
      } catch (e) {
        await showError(e);
        return undefined;
      }
    }),
  );
}

/** The plan as Markdown (masked), shown in the Markdown preview beside the editor. */
export function rotationPlanMarkdown(plan: TokenRotationPlan): string {
  const lines = [`# ${vscode.l10n.t('Rotate the gateway token of {0}', plan.nodeId)}`, '', `${plan.gateway.oldToken} → ${plan.gateway.newToken}`, ''];
  lines.push(`## ${vscode.l10n.t('Dependants')}`, '');
  if (plan.dependants.length === 0) lines.push(vscode.l10n.t('No registered node points at this gateway.'));
  for (const d of plan.dependants)
    lines.push(`- **${d.nodeId}** ${d.remoteUrl ? `(${d.remoteUrl})` : ''}${d.stale ? ` — ${vscode.l10n.t('already on a stale token')}` : ''}`);
  lines.push('', `## ${vscode.l10n.t('Files')}`, '');
  for (const place of plan.places) {
    lines.push(`### ${place.nodeId}: \`${place.path}\``, '', '```diff', ...maskedDiff(plan, place), '```', '');
  }
  lines.push(`## ${vscode.l10n.t('Steps')}`, '');
  plan.steps.forEach((s, i) => lines.push(`${i + 1}. ${rotationStepText(plan, s, vscode.l10n)}`));
  if (plan.notices.length) lines.push('', `## ${vscode.l10n.t('Warnings')}`, '', ...plan.notices.map((n) => `- ${rotationNoticeText(n, vscode.l10n)}`));
  return lines.join('\n') + '\n';
}

async function showPlanPreview(plan: TokenRotationPlan): Promise<void> {
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: rotationPlanMarkdown(plan) });
  try {
    await vscode.commands.executeCommand('markdown.showPreview', doc.uri);
  } catch {
    await vscode.window.showTextDocument(doc, { preview: true });
  }
}
