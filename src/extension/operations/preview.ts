import * as vscode from 'vscode';
import { readPlannedAfter, type OperationPlan } from '../../core/operations';
import type { PlanContentProvider } from '../fs/plan-content';
import { liveUri } from '../fs/uris';

/** Files previewed at most (the rest are counted in the summary). */
const MAX_PREVIEW_FILES = 200;

/**
 * Shows what a plan will change — before anything changes: every planned file in the multi-file
 * diff editor (the live file, read from the node now, on the left; the planned content on the
 * right), falling back to one diff
 * per file when the multi-diff editor is unavailable.
 */
export async function previewPlanFiles(plan: OperationPlan, contents: PlanContentProvider, title: string): Promise<void> {
  if (plan.files.length === 0) return;
  const key = `${plan.operation}-${Date.now().toString(36)}`;
  const changes: [vscode.Uri, vscode.Uri, vscode.Uri][] = [];
  for (const file of plan.files.slice(0, MAX_PREVIEW_FILES)) {
    const left = file.action === 'create' ? contents.put(key, `before${file.path}`, '') : liveUri(plan.nodeId, file.path);
    let right: vscode.Uri;
    if (file.action === 'delete') right = contents.put(key, `after${file.path}`, '');
    else {
      const bytes = await readPlannedAfter(plan.source, file.path);
      right = contents.put(key, `after${file.path}`, bytes ? bytes.toString('utf8') : '');
    }
    changes.push([liveUri(plan.nodeId, file.path), left, right]);
  }
  try {
    await vscode.commands.executeCommand('vscode.changes', title, changes);
  } catch {
    // The multi-diff editor is still marked experimental: one diff per file instead.
    const first = changes[0]!;
    await vscode.commands.executeCommand('vscode.diff', first[1], first[2], `${title} — ${first[0].path.split('/').pop()}`);
  }
}

/** One modal question with the plan's summary; resolves true only on the explicit action. */
export async function confirmPlan(plan: OperationPlan, action: string, detailLines: string[] = []): Promise<boolean> {
  const counts = {
    create: plan.files.filter((f) => f.action === 'create').length,
    update: plan.files.filter((f) => f.action === 'update').length,
    delete: plan.files.filter((f) => f.action === 'delete').length,
  };
  const detail = [
    plan.summary,
    plan.files.length ? vscode.l10n.t('{0} added, {1} changed, {2} removed ({3} unchanged).', counts.create, counts.update, counts.delete, plan.unchanged) : '',
    ...plan.steps.map((s) => `• ${s.description}`),
    ...plan.warnings.map((w) => `⚠ ${w}`),
    ...detailLines,
    vscode.l10n.t('A safety backup is taken before anything changes; if a step fails, the node is put back as it was.'),
  ]
    .filter(Boolean)
    .join('\n');
  const answer = await vscode.window.showWarningMessage(vscode.l10n.t('Apply this plan to node "{0}"?', plan.nodeId), { modal: true, detail }, action);
  return answer === action;
}
