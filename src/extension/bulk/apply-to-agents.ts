import * as vscode from 'vscode';
import {
  applyBulkPlan,
  findHeadings,
  flaggedFiles,
  guardPlan,
  planBulkApply,
  planCounts,
  resolveTargets,
  type ApplyOutcome,
  type BulkChange,
  type BulkPlan,
  type PlannedFile,
} from '../../core/bulk';
import { toOcmError } from '../../core/errors';
import type { CommandDeps } from '../commands/deps';
import type { PlanContentProvider } from '../fs/plan-content';
import { describeMixupFinding } from '../guard/mixup-prompt';
import { liveUri } from '../fs/uris';
import type { TreeNode } from '../tree/nodes-tree';
import { fromSelection, pickFileName, pickSelector, reachOf } from './targets';

/**
 * "Apply to Agents…": pick agents (tree selection or a quick pick), the mode and the source, see
 * every resulting file in one multi-diff editor, confirm, then apply with progress and cancel.
 * Nothing is written before the confirmation. Arguments let tests (and other commands) skip the
 * pickers; the preview is always shown.
 */

export interface ApplyToAgentsArgs {
  selector?: string;
  fileName?: string;
  mode?: BulkChange['mode'];
  heading?: string;
  /** The source text (instead of a file or editor). */
  content?: string;
  /**
   * Test hook: the answer to the confirmation (users get the modal dialog). `apply` on a batch
   * the mix-up guard flagged is refused (users are offered only Apply Anyway or Cancel there).
   */
  answer?: 'apply' | 'applyAnyway' | 'cancel';
}

export interface ApplyToAgentsResult {
  plan: BulkPlan;
  preview: 'changes' | 'none';
  outcome?: ApplyOutcome;
  /** The files the mix-up guard flagged, when the batch was not applied because of them. */
  refused?: PlannedFile[];
}

let previewCount = 0;

export function registerApplyToAgents(context: vscode.ExtensionContext, deps: CommandDeps, contents: PlanContentProvider): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.applyToAgents', async (clicked?: TreeNode | ApplyToAgentsArgs, selected?: TreeNode[]) => {
      try {
        const args: ApplyToAgentsArgs = clicked && !('kind' in clicked) ? clicked : {};
        const fromTree = clicked && 'kind' in clicked ? await fromSelection(deps, clicked, selected) : {};
        const selector = args.selector ?? fromTree.selector ?? (await pickSelector(deps));
        if (!selector) return undefined;
        const fileName = args.fileName ?? fromTree.fileName ?? (await pickFileName());
        if (!fileName) return undefined;
        const change = await pickChange(args);
        if (!change) return undefined;
        return await planPreviewApply(deps, contents, selector, fileName, change, args.answer);
      } catch (e) {
        void vscode.window.showErrorMessage(toOcmError(e).message);
        return undefined;
      }
    }),
  );
}

async function pickChange(args: ApplyToAgentsArgs): Promise<BulkChange | undefined> {
  type ModePick = vscode.QuickPickItem & { mode: BulkChange['mode'] };
  const mode =
    args.mode ??
    (
      await vscode.window.showQuickPick<ModePick>(
        [
          { label: vscode.l10n.t('Replace the whole file'), description: vscode.l10n.t('with a template'), mode: 'template' },
          { label: vscode.l10n.t('Replace a section'), description: vscode.l10n.t('found by its Markdown heading'), mode: 'replaceSection' },
          { label: vscode.l10n.t('Append lines'), description: vscode.l10n.t('at the end of the file'), mode: 'append' },
        ],
        { title: vscode.l10n.t('Apply to Agents: what to do') },
      )
    )?.mode;
  if (!mode) return undefined;
  const text = args.content ?? (await pickSource());
  if (text === undefined) return undefined;
  const content = Buffer.from(text, 'utf8');
  if (mode !== 'replaceSection') return { mode, content };
  const first = findHeadings(text)[0];
  const heading =
    args.heading ??
    (await vscode.window.showInputBox({
      title: vscode.l10n.t('Section to replace'),
      prompt: vscode.l10n.t('The Markdown heading, e.g. "## Tools" (that level) or "Tools" (any level)'),
      value: first ? `${'#'.repeat(first.level)} ${first.text}` : '',
    }));
  return heading ? { mode, heading, content } : undefined;
}

/** The active editor's text, or a file chosen on this machine. */
async function pickSource(): Promise<string | undefined> {
  const editor = vscode.window.activeTextEditor;
  const useEditor = editor ? vscode.l10n.t('The active editor ({0})', editor.document.fileName.split(/[\\/]/).pop() ?? '') : undefined;
  const chooseFile = vscode.l10n.t('Choose a file…');
  const picked = useEditor
    ? await vscode.window.showQuickPick([useEditor, chooseFile], { title: vscode.l10n.t('Apply to Agents: the new content') })
    : chooseFile;
  if (!picked) return undefined;
  if (picked === useEditor) return editor!.document.getText();
  const files = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: vscode.l10n.t('Use This File') });
  if (!files?.[0]) return undefined;
  return Buffer.from(await vscode.workspace.fs.readFile(files[0])).toString('utf8');
}

function blockedText(f: PlannedFile): string {
  switch (f.reason) {
    case 'headingMissing':
      return vscode.l10n.t('the heading is not in this file: nothing replaced, nothing appended');
    case 'headingAmbiguous':
      return vscode.l10n.t('the heading is there more than once: name it with its level (e.g. "## Tools")');
    case 'fileMissing':
      return vscode.l10n.t('the file does not exist');
    case 'notText':
      return vscode.l10n.t('the file is not UTF-8 text');
    case 'noWorkspace':
      return vscode.l10n.t('the agent has no workspace folder yet');
    default:
      return vscode.l10n.t('cannot be read: {0}', f.message ?? '');
  }
}

async function planPreviewApply(
  deps: CommandDeps,
  contents: PlanContentProvider,
  selector: string,
  fileName: string,
  change: BulkChange,
  answer: ApplyToAgentsArgs['answer'],
): Promise<ApplyToAgentsResult | undefined> {
  const reach = reachOf(deps);
  const plan = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Computing every resulting file…'), cancellable: true },
    async (_p, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      const targets = await resolveTargets(selector, await deps.registry.list(), reach);
      const planned = await planBulkApply(reach, targets, fileName, change, ac.signal);
      // The mix-up guard on every planned write, on the bytes the plan read (no round trip).
      return deps.guard ? guardPlan(planned, deps.guard.guard, reach.agents) : planned;
    },
  );
  const c = planCounts(plan);
  const writes = plan.files.filter((f) => f.action === 'update' || f.action === 'create');
  const blocked = plan.files.filter((f) => f.action === 'blocked');
  const summary = vscode.l10n.t('{0} to change, {1} to create, {2} already like this, {3} left out.', c.update, c.create, c.unchanged, c.blocked);
  const left = blocked.map((f) => `• ${f.nodeId}/${f.agentId}: ${blockedText(f)}`);
  if (!writes.length) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Nothing to apply.') + ' ' + summary, { detail: left.join('\n') });
    return { plan, preview: 'none' };
  }
  // The preview: one multi-diff editor, node's current file on the left, the result on the right.
  const key = `bulk${++previewCount}`;
  contents.clear(`${key}b`);
  contents.clear(`${key}a`);
  const resources = writes.map((f) => {
    const label = `/${f.nodeId}/${f.agentId}/${plan.fileName}`;
    const before = f.before ? contents.put(`${key}b`, label, f.before.toString('utf8')) : undefined;
    const after = contents.put(`${key}a`, label, f.after!.toString('utf8'));
    return [liveUri(f.nodeId, f.path), before, after] as const;
  });
  // VS Code adds the file count to a multi-diff editor's title.
  const title = vscode.l10n.t('Apply to Agents: {0}', plan.fileName);
  await vscode.commands.executeCommand('vscode.changes', title, resources);

  const nodes = new Set(writes.map((f) => f.nodeId)).size;
  const flagged = flaggedFiles(plan);
  const confirmed = flagged.length ? await confirmFlagged(plan, flagged, summary, answer) : await confirmPlain(writes.length, nodes, summary, left, answer);
  if (!confirmed) return { plan, preview: 'changes', ...(flagged.length ? { refused: flagged } : {}) };

  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Applying to agents'), cancellable: true },
    async (progress, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      return applyBulkPlan(plan, {
        home: deps.home,
        allowMixups: flagged.length > 0, // reached only through Apply Anyway
        transport: reach.transport,
        signal: ac.signal,
        onProgress: (p) =>
          progress.report({
            increment: p.phase === 'write' ? 100 / p.total : 0,
            message: `${p.phase === 'write' ? '' : vscode.l10n.t('putting back') + ' '}${p.file.nodeId}/${p.file.agentId}`,
          }),
      });
    },
  );
  for (const id of new Set(writes.map((f) => f.nodeId))) deps.tree.refresh(id);
  void deps.liveFs.pollWatched();
  if (outcome.ok) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('Applied to {0} file(s). "Undo Last Bulk Apply" puts the whole batch back.', outcome.written.length),
    );
  } else {
    const f = outcome.failure!;
    const back =
      outcome.rollbackErrors.length === 0
        ? vscode.l10n.t('The {0} file(s) already changed were put back; nothing else was touched.', outcome.written.length)
        : vscode.l10n.t(
            'Could not put back: {0}. Their earlier versions are in the file history.',
            outcome.rollbackErrors.map((e) => `${e.nodeId}:${e.path}`).join(', '),
          );
    void vscode.window.showErrorMessage(vscode.l10n.t('Apply to Agents stopped at {0} on {1}: {2}', f.file.path, f.file.nodeId, f.error.message) + ' ' + back);
  }
  return { plan, preview: 'changes', outcome };
}

async function confirmPlain(files: number, nodes: number, summary: string, left: string[], answer: ApplyToAgentsArgs['answer']): Promise<boolean> {
  if (answer !== undefined) return answer === 'apply';
  const go = vscode.l10n.t('Apply');
  const picked = await vscode.window.showWarningMessage(
    vscode.l10n.t('Change {0} file(s) on {1} node(s)?', files, nodes),
    {
      modal: true,
      detail: [
        summary,
        ...left,
        '',
        vscode.l10n.t('Each file goes through the safe save. A failure puts back the files already changed; "Undo Last Bulk Apply" undoes the whole batch.'),
      ].join('\n'),
    },
    go,
  );
  return picked === go;
}

/**
 * The mix-up guard flagged files of the batch: each with what matched, of which agent, where.
 * Only Apply Anyway (the whole batch, this once) or Cancel: the batch is refused whole rather
 * than applied without the flagged files, because a template that brings one agent's memory into
 * another is the wrong template for every target (see core/bulk/guard-plan.ts).
 */
async function confirmFlagged(plan: BulkPlan, flagged: PlannedFile[], summary: string, answer: ApplyToAgentsArgs['answer']): Promise<boolean> {
  if (answer !== undefined) return answer === 'applyAnyway';
  const anyway = vscode.l10n.t('Apply Anyway');
  const lines = flagged.map((f) =>
    [`⚠ ${f.nodeId}/${f.agentId} ${plan.fileName}`, ...f.mixup!.map((m) => describeMixupFinding(m).replace(/^/gm, '    '))].join('\n'),
  );
  const picked = await vscode.window.showWarningMessage(
    vscode.l10n.t("{0} file(s) would bring another agent's text into a guarded file. Nothing has been written.", flagged.length),
    {
      modal: true,
      detail: [
        ...lines,
        '',
        summary,
        vscode.l10n.t('Check the template and the agents chosen. Apply Anyway writes every file of the batch, these too (this batch only).'),
      ].join('\n'),
    },
    anyway,
  );
  return picked === anyway;
}
