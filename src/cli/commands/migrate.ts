import { Option, type Command } from 'commander';
import { backupStoreFor } from '../../core/backup';
import { applyMigration, migrationConfigDiff, planMigration, redactedPlan, type MigrationPlan, type MigrationResult } from '../../core/operations/migrate';
import { EXIT_FAILURE, printJson, type CliContext } from '../context';
import { decideDestructive } from '../confirm';
import { knownWord, l10n } from '../l10n';
import { acceptNewOption, intArg, jsonOption, timeoutOption } from '../options';
import { withNodeAccess } from '../node-connection';
import { displayWidth } from '../table';
import { registryFor } from './registry';
import { interruptSignal } from '../interrupt';

interface MigrateOptions {
  stateDir?: string;
  port?: number;
  newToken?: boolean;
  replace?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  acceptNew?: boolean;
  /** Milliseconds (parsed by timeoutOption). */
  timeout?: number;
}

/**
 * `ocm migrate <from> <to>`: moves a node's OpenClaw (state, agents, workspaces, config) to another
 * registered node. Always prints the plan first (the config diff with secrets masked); `--dry-run`
 * stops there, `--yes` applies it, a terminal is asked, and without one the verb exits 2 (confirm.ts). The source is never changed; the target is rolled back on failure.
 */
export function registerMigrateCommands(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description(
      l10n.t(
        "move a node's OpenClaw to another registered node: fresh backup, staged copy, paths/port/token adapted, gateway started and checked; the target is rolled back on failure",
      ),
    )
    .argument('<from>', l10n.t('source node id (only read)'))
    .argument('<to>', l10n.t('target node id'))
    .option('--state-dir <dir>', l10n.t("target state dir (default: the target's current one; ~/x is the target user's home)"))
    .addOption(new Option('--port <n>', l10n.t("target gateway port (default: the target's current one)")).argParser(intArg(1, 65535)))
    .option('--new-token', l10n.t('give the target a new random gateway token (default: keep the source token)'))
    .option('--replace', l10n.t('replace a target state dir that holds files (a safety backup of it is taken first)'))
    .option('--dry-run', l10n.t('show the plan and the config diff; change nothing'))
    .option('--yes', l10n.t('apply without asking (required when not on a terminal)'))
    .addOption(timeoutOption(l10n.t('how long to wait for the migrated gateway to get ready (default 300)')))
    .addOption(jsonOption())
    .addOption(acceptNewOption())
    .action(async (fromId: string, toId: string, opts: MigrateOptions) => {
      ctx.json = Boolean(opts.json);
      const port = opts.port;
      const registry = registryFor(ctx);
      // Ctrl-C cancels: apply then undoes what it did on the target.
      const { signal, dispose } = interruptSignal();
      try {
        await withNodeAccess(ctx, { acceptNew: Boolean(opts.acceptNew) }, async (access) => {
          const [from, to] = await Promise.all([access.node(fromId), access.node(toId)]);
          const ft = await access.transport(fromId);
          const tt = await access.transport(toId);
          const plan = await planMigration({
            from: { node: from, transport: ft },
            to: { node: to, transport: tt },
            ...(opts.stateDir ? { stateDir: opts.stateDir } : {}),
            ...(port !== undefined ? { port } : {}),
            newToken: Boolean(opts.newToken),
            replace: Boolean(opts.replace),
            signal,
          });
          if (opts.dryRun) {
            if (opts.json) return printJson(ctx, { ok: true, applied: false, plan: redactedPlan(plan) });
            ctx.out(renderPlan(plan));
            ctx.out(l10n.t('Dry run: nothing was changed.') + '\n');
            return;
          }
          if (!opts.json) ctx.out(renderPlan(plan));
          const decision = await decideDestructive(
            ctx,
            opts,
            l10n.t('Migrate {0} to {1} now? [y/N] ', fromId, toId),
            l10n.both('Migrating changes {0}. Review the plan with --dry-run, then add --yes to apply it.', toId),
          );
          if (decision === 'declined') {
            ctx.out(l10n.t('Nothing was changed.') + '\n');
            return;
          }
          const result = await applyMigration(plan, {
            from: { node: from, transport: ft },
            to: { node: to, transport: tt },
            store: backupStoreFor(ctx.env),
            registry,
            signal,
            ...(opts.timeout !== undefined ? { readyTimeoutMs: opts.timeout } : {}),
            onProgress: (p) => {
              if (ctx.json) return;
              if (p.phase === 'sourceBackup') ctx.err(l10n.t('backing up {0}...', fromId) + '\n');
              else if (p.phase === 'safetyBackup') ctx.err(l10n.t('safety backup of {0}...', toId) + '\n');
              else if (p.phase === 'step') ctx.err(`[${p.index + 1}/${p.total}] ${p.description}\n`);
              else if (p.phase === 'rollback') ctx.err(l10n.t('rolling back: {0}', p.description) + '\n');
            },
          });
          if (!result.ok) ctx.exitCode = EXIT_FAILURE;
          if (opts.json) return printJson(ctx, { ok: result.ok, applied: true, plan: redactedPlan(plan), result: resultJson(result) });
          ctx.out(renderResult(result));
        });
      } finally {
        dispose();
      }
    });
}

function resultJson(r: MigrationResult): Record<string, unknown> {
  const { plan: _plan, ...rest } = r;
  return rest;
}

export function renderPlan(plan: MigrationPlan): string {
  const lines: string[] = [];
  lines.push(l10n.t('Plan: {0}', plan.summary));
  const from = l10n.t('from {0}: OpenClaw {1}, {2}, port {3}', plan.from.nodeId, String(plan.from.version), plan.from.stateDir, plan.from.gatewayPort);
  lines.push(`  ${from}${plan.from.gatewayRunning ? ` ${l10n.t('(gateway running, stays running)')}` : ''}`);
  const to = l10n.t('to   {0}: OpenClaw {1}, {2}, port {3}', plan.to.nodeId, String(plan.to.version), plan.to.stateDir, plan.to.gatewayPort);
  lines.push(`  ${to}${plan.to.stateDirInUse ? ` ${l10n.t('(REPLACES what is there; safety backup first)')}` : ''}`);
  lines.push(`  ${l10n.t('folders:')}`);
  for (const r of plan.roots) lines.push(`    ${r.from} → ${r.to}`);
  lines.push(`  ${l10n.t('agents:')}`);
  for (const a of plan.agents) lines.push(`    ${a.id}${a.isDefault ? ` ${l10n.t('(default)')}` : ''}: ${a.to.workspace}`);
  lines.push(`  ${l10n.t('steps:')}`);
  plan.steps.forEach((s, i) => lines.push(`    ${i + 1}. ${s.description}`));
  for (const w of plan.warnings) lines.push(`  ! ${w}`);
  lines.push('', l10n.t('Config changes ({0}; secrets masked):', plan.configRewrites.length));
  lines.push(migrationConfigDiff(plan, 'source').trimEnd());
  const againstTarget = migrationConfigDiff(plan, 'target');
  if (againstTarget) lines.push('', l10n.t('Against what {0} has there now:', plan.to.nodeId), againstTarget.trimEnd());
  return lines.join('\n') + '\n';
}

function renderResult(r: MigrationResult): string {
  const lines: string[] = [];
  const width = Math.max(10, ...r.steps.map((s) => displayWidth(stepStatus(s.status))));
  for (const s of r.steps) {
    const status = stepStatus(s.status);
    lines.push(
      `  ${status}${' '.repeat(width - displayWidth(status))} ${s.description} (${l10n.t('{0} s', (s.durationMs / 1000).toFixed(1))})${s.error ? `: ${s.error}` : ''}`,
    );
  }
  if (r.sourceBackup) lines.push(l10n.t('Source backup: {0}', r.sourceBackup.backupId));
  if (r.safetyBackup) lines.push(l10n.t('Safety backup of {0}: {1}', r.safetyBackup.nodeId, `${r.safetyBackup.nodeId}/${r.safetyBackup.backupId}`));
  for (const n of r.notes) lines.push(l10n.t('Note: {0}', n));
  if (r.ok) {
    const agents = (r.agents ?? []).map((a) => a.id).join(', ');
    const seconds = (r.durationMs / 1000).toFixed(0);
    lines.push(
      r.readyAfterMs !== undefined
        ? l10n.t(
            'Migrated {0} → {1} in {2} s: gateway ready on port {3} after {4} s; agents {5}.',
            r.plan.from.nodeId,
            r.plan.to.nodeId,
            seconds,
            r.plan.to.gatewayPort,
            (r.readyAfterMs / 1000).toFixed(1),
            agents,
          )
        : l10n.t(
            'Migrated {0} → {1} in {2} s: gateway ready on port {3}; agents {4}.',
            r.plan.from.nodeId,
            r.plan.to.nodeId,
            seconds,
            r.plan.to.gatewayPort,
            agents,
          ),
    );
    if (r.plan.newToken) lines.push(l10n.t('The target has a NEW gateway token (in {0}); clients need it.', r.plan.config.mainPath));
  } else {
    lines.push(l10n.t('Migration FAILED at {0}: {1}', r.error?.step ?? '?', r.error?.message ?? l10n.t('unknown error')));
    if (r.logTail?.length) lines.push(l10n.t('Gateway log:'), ...r.logTail.map((l) => `  ${l}`));
    lines.push(
      r.rollbackErrors.length === 0
        ? l10n.t('{0} was rolled back to its previous state.', r.plan.to.nodeId)
        : `${l10n.t('Rollback was NOT complete:')}\n${r.rollbackErrors.map((e) => `  - ${e}`).join('\n')}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** A step's status word (MigrationResult step status) in the CLI's locale. */
function stepStatus(status: string): string {
  return knownWord(status, {
    done: l10n.t('done'),
    failed: l10n.t('failed'),
    undone: l10n.t('undone'),
    undoFailed: l10n.t('undo failed'),
    notUndone: l10n.t('not undone'),
  });
}
