import * as vscode from 'vscode';
import { doctorMarkdown, runDoctor, type DoctorReport } from '../../core/doctor';
import { withCancellableProgress } from '../progress';
import type { TreeNode } from '../tree/nodes-tree';
import type { CommandDeps } from './deps';
import { showError } from './show-error';

/**
 * "Run Doctor": the fleet report of src/core/doctor (every active node, or the node it was run
 * on) as a Markdown preview — severity, node, finding, the command that fixes it — plus one
 * notification that says whether anything is an error.
 */
export function registerRunDoctor(context: vscode.ExtensionContext, deps: CommandDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.runDoctor', async (arg?: TreeNode | string): Promise<DoctorReport | undefined> => {
      try {
        const only = typeof arg === 'string' ? arg : arg?.kind === 'node' ? arg.node.id : undefined;
        const nodes = only ? [await deps.registry.get(only)] : await deps.registry.list({ includeRetired: false });
        const report = await withCancellableProgress(vscode.l10n.t('Running the doctor on {0} node(s)…', nodes.length), (_report, signal) =>
          runDoctor({
            nodes,
            deps: { transportFor: (n) => deps.access.transport(n.id) },
            store: deps.backupStore,
            signal,
            ...({ predict: { home: deps.home, warnHours: 6 } } as Record<string, unknown>),
          }),
        );
        const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: doctorMarkdown(report, vscode.l10n) });
        try {
          await vscode.commands.executeCommand('markdown.showPreview', doc.uri);
        } catch {
          await vscode.window.showTextDocument(doc, { preview: true });
        }
        const summary = vscode.l10n.t(
          'Doctor: {0} error(s), {1} warning(s) on {2} node(s).',
          report.summary.errors,
          report.summary.warnings,
          report.nodes.length,
        );
        if (report.summary.errors > 0) void vscode.window.showErrorMessage(summary);
        else if (report.summary.warnings > 0) void vscode.window.showWarningMessage(summary);
        else void vscode.window.showInformationMessage(vscode.l10n.t('Doctor: no problems found on {0} node(s).', report.nodes.length));
        return report;
      } catch (e) {
        await showError(e);
        return undefined;
      }
    }),
  );
}
