import type { Command } from 'commander';
import { isAbsolute } from 'node:path';
import { backupStoreFor, type BackupIndex } from '../../core/backup';
import { ocmHome } from '../../core/home';
import { applyRestore, planRestore, resolveRestorePath, type ApplyResult, type RestorePlan, type RestoreScope } from '../../core/operations';
import { printJson, type CliContext } from '../context';
import { decideDestructive } from '../confirm';
import { cliError, l10n } from '../l10n';
import { interruptSignal } from '../interrupt';
import { acceptNewOption, jsonOption, timeoutOption } from '../options';
import { cliGuardFor } from '../mixup-guard';
import { withLocatedNode } from './restart';

/**
 * `ocm restore <backup> [--to <id>] [--agent A] [--file PATH] [--dry-run] [--yes] [--json]`:
 * shows the plan (backup vs live node), then — only with --yes or a "y" on a terminal (the
 * destructive-verb convention of confirm.ts) — takes a safety backup and applies it; any failure
 * rolls the node back.
 */

interface RestoreOptions {
  to?: string;
  agent?: string;
  file?: string;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  acceptNew?: boolean;
  /** Milliseconds (parsed by timeoutOption). */
  timeout?: number;
  keepOld?: boolean;
  force?: boolean;
}

/**
 * A backup reference as the backup commands take it (id, <node>/<id>, <node>/latest). An archive
 * file is not restored directly: "ocm import-archive FILE --node ID" brings it in after the
 * hostile-archive scan, then it is a backup like any other.
 */
export async function resolveBackupRef(ctx: CliContext, ref: string): Promise<{ index: BackupIndex; repositoryRoot: string }> {
  if (/\.tar\.gz$|\.tgz$|\.index\.json$/.test(ref) || isAbsolute(ref)) {
    throw cliError('invalidInput', l10n.both('{0} is a file, not a backup in the repository. Import it first: ocm import-archive {0} --node <id>', ref), {
      usage: true,
    });
  }
  const store = backupStoreFor(ctx.env);
  return { index: await store.resolve(ref), repositoryRoot: store.repositoryRoot };
}

export function registerRestoreCommands(program: Command, ctx: CliContext): void {
  program
    .command('restore')
    .description(
      l10n.t("restore a backup to a node: one file, one agent's workspace, or the whole node (previewed; safety backup first; rolled back on failure)"),
    )
    .argument('<backup>', l10n.t('<nodeId>/<id>, an id, or <nodeId>/latest'))
    .option('--to <id>', l10n.t('node to restore to (default: the node the backup was taken of)'))
    .option('--agent <agent>', l10n.t("only this agent's workspace"))
    .option('--file <path>', l10n.t('only this file (absolute, or relative to the agent workspace with --agent, else to the state dir)'))
    .option('--dry-run', l10n.t('print the plan and change nothing'))
    .option('--yes', l10n.t('apply without asking (required when not on a terminal)'))
    .addOption(timeoutOption(l10n.t('whole node: how long the gateway may take to be ready (default 120)')))
    .option('--keep-old', l10n.t('whole node: keep the replaced state dir beside the restored one'))
    .option('--force', l10n.t("file or agent: restore even when the mix-up guard finds another agent's text in a memory file of the backup"))
    .addOption(jsonOption())
    .addOption(acceptNewOption())
    .action(async (ref: string, opts: RestoreOptions) => {
      ctx.json = Boolean(opts.json);
      const readyTimeoutMs = opts.timeout ?? 120_000;
      const { index, repositoryRoot } = await resolveBackupRef(ctx, ref);
      const nodeId = opts.to ?? index.nodeId;
      const { signal, dispose } = interruptSignal();
      try {
        await withLocatedNode(ctx, nodeId, Boolean(opts.acceptNew), async (transport, node, location) => {
          const scope: RestoreScope = opts.file
            ? { kind: 'file', path: resolveRestorePath(location, opts.file, opts.agent) }
            : opts.agent
              ? { kind: 'agent', agentId: opts.agent }
              : { kind: 'node' };
          const plan = await planRestore({ transport, location, nodeId, index, repositoryRoot, scope, signal });
          if (opts.dryRun || plan.files.length === 0) {
            if (opts.json) return printJson(ctx, { plan, dryRun: Boolean(opts.dryRun) });
            ctx.out(renderPlan(plan));
            if (plan.files.length === 0) ctx.out(l10n.t('Nothing to restore: the node already matches the backup.') + '\n');
            return;
          }
          if (!opts.json) ctx.out(renderPlan(plan));
          const decision = await decideDestructive(
            ctx,
            opts,
            l10n.t('Apply this restore to {0}? [y/N] ', nodeId),
            l10n.both('Restoring changes {0} file(s) on {1}. Review the plan with --dry-run, then add --yes to apply it.', plan.files.length, nodeId),
          );
          if (decision === 'declined') {
            ctx.out(l10n.t('Nothing was changed.') + '\n');
            return;
          }
          const result = await applyRestore({
            transport,
            location,
            node,
            plan,
            store: backupStoreFor(ctx.env),
            home: ocmHome(ctx.env),
            readyTimeoutMs,
            keepOld: Boolean(opts.keepOld),
            ...(opts.force ? {} : { guardFor: cliGuardFor(ctx, transport, node) }),
            signal,
            onProgress: (p) => {
              if (ctx.json) return;
              if (p.phase === 'safetyBackup') ctx.err(l10n.t('{0}: safety backup...', nodeId) + '\n');
              else if (p.phase === 'step') ctx.err(`${nodeId}: ${p.description}\n`);
              else if (p.phase === 'rollback') ctx.err(l10n.t('{0}: undo: {1}', nodeId, p.description) + '\n');
            },
          });
          if (!result.ok) ctx.exitCode = 1;
          if (opts.json) return printJson(ctx, { plan, result });
          ctx.out(renderResult(nodeId, result));
          if (result.error?.mixup)
            ctx.err(l10n.t("A memory file in this backup looks like another agent's memory (above). Compare it first; restore it anyway with --force.") + '\n');
        });
      } finally {
        dispose();
      }
    });
}

function size(n: number | undefined): string {
  return n === undefined ? '-' : n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`;
}

export function renderPlan(plan: RestorePlan): string {
  const lines = [l10n.t('Plan: {0}', plan.summary)];
  for (const w of plan.warnings) lines.push(l10n.t('warning: {0}', w));
  for (const f of plan.files) {
    const tag = f.action === 'create' ? 'A' : f.action === 'delete' ? 'D' : 'M';
    const detail =
      f.action === 'create'
        ? size(f.after?.size)
        : f.action === 'delete'
          ? size(f.before?.size)
          : f.modeOnly
            ? l10n.t('mode {0} → {1}', f.before?.mode.toString(8) ?? '', f.after?.mode.toString(8) ?? '')
            : `${size(f.before?.size)} → ${size(f.after?.size)}`;
    lines.push(`  ${tag}  ${f.path} (${detail})`);
  }
  lines.push(l10n.t('Steps:'), ...plan.steps.map((s, i) => `  ${i + 1}. ${s.description}`));
  return lines.join('\n') + '\n';
}

function renderResult(nodeId: string, r: ApplyResult): string {
  const lines: string[] = [];
  if (r.safetyBackup) lines.push(l10n.t('Safety backup: {0}', `${r.safetyBackup.nodeId}/${r.safetyBackup.backupId}`));
  if (r.ok) lines.push(l10n.t('{0}: restored ({1} steps, {2} s).', nodeId, r.steps.length, (r.durationMs / 1000).toFixed(1)));
  else {
    lines.push(l10n.t('{0}: restore FAILED at "{1}": {2}', nodeId, r.error?.step ?? '?', r.error?.message ?? l10n.t('unknown error')));
    lines.push(r.rolledBack ? l10n.t('{0} was rolled back to how it was.', nodeId) : l10n.t('Rollback incomplete:'));
    for (const e of r.rollbackErrors) lines.push(`  ${e}`);
  }
  for (const n of r.notes) lines.push(n);
  return lines.join('\n') + '\n';
}
