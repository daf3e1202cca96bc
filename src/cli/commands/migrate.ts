import type { Command } from 'commander';
import { backupStoreFor } from '../../core/backup';
import { OcmError } from '../../core/errors';
import { applyMigration, migrationConfigDiff, planMigration, redactedPlan, type MigrationPlan, type MigrationResult } from '../../core/operations/migrate';
import { EXIT_FAILURE, printJson, type CliContext } from '../context';
import { withNodeAccess } from '../node-connection';
import { registryFor } from './registry';
import { interruptSignal } from './restart';

interface MigrateOptions {
  stateDir?: string;
  port?: string;
  newToken?: boolean;
  replace?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  acceptNew?: boolean;
  timeout?: string;
}

/**
 * `ocm migrate <from> <to>`: moves a node's OpenClaw (state, agents, workspaces, config) to another
 * registered node. Always prints the plan first (the config diff with secrets masked); `--dry-run`
 * stops there, `--yes` applies it. The source is never changed; the target is rolled back on failure.
 */
export function registerMigrateCommands(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description("move a node's OpenClaw to another registered node: fresh backup, staged copy, paths/port/token adapted, gateway started and checked; the target is rolled back on failure")
    .argument('<from>', 'source node id (only read)')
    .argument('<to>', 'target node id')
    .option('--state-dir <dir>', "target state dir (default: the target's current one; ~/x is the target user's home)")
    .option('--port <n>', "target gateway port (default: the target's current one)")
    .option('--new-token', 'give the target a new random gateway token (default: keep the source token)')
    .option('--replace', 'replace a target state dir that holds files (a safety backup of it is taken first)')
    .option('--dry-run', 'show the plan and the config diff; change nothing')
    .option('--yes', 'apply the plan (required: the CLI does not prompt)')
    .option('--timeout <seconds>', 'how long to wait for the migrated gateway to get ready (default 300)')
    .option('--json', 'print {"ok","plan",...} (secrets masked); with --yes also "result" {steps, rolledBack, rollbackErrors, sourceBackup, safetyBackup, agents, error}')
    .option('--accept-new', 'trust unknown SSH host keys on first contact (default: refuse; see "ocm trust")')
    .action(async (fromId: string, toId: string, opts: MigrateOptions) => {
      ctx.json = Boolean(opts.json);
      const port = opts.port !== undefined ? Number(opts.port) : undefined;
      if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new OcmError('invalidInput', `--port ${opts.port} is not a TCP port (1-65535).`, { usage: true });
      const timeoutS = opts.timeout !== undefined ? Number(opts.timeout) : undefined;
      if (timeoutS !== undefined && !(timeoutS > 0)) throw new OcmError('invalidInput', `--timeout ${opts.timeout} must be a number of seconds.`, { usage: true });
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
          if (opts.dryRun || !opts.yes) {
            if (opts.json) return printJson(ctx, { ok: true, applied: false, plan: redactedPlan(plan) });
            ctx.out(renderPlan(plan));
            ctx.out(opts.dryRun ? 'Dry run: nothing was changed.\n' : 'Nothing was changed. Add --yes to apply this plan.\n');
            return;
          }
          if (!opts.json) ctx.out(renderPlan(plan));
          const result = await applyMigration(plan, {
            from: { node: from, transport: ft },
            to: { node: to, transport: tt },
            store: backupStoreFor(ctx.env),
            registry,
            signal,
            ...(timeoutS !== undefined ? { readyTimeoutMs: timeoutS * 1000 } : {}),
            onProgress: (p) => {
              if (ctx.json) return;
              if (p.phase === 'sourceBackup') ctx.err(`backing up ${fromId}...\n`);
              else if (p.phase === 'safetyBackup') ctx.err(`safety backup of ${toId}...\n`);
              else if (p.phase === 'step') ctx.err(`[${p.index + 1}/${p.total}] ${p.description}\n`);
              else if (p.phase === 'rollback') ctx.err(`rolling back: ${p.description}\n`);
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
  lines.push(`Plan: ${plan.summary}`);
  lines.push(`  from ${plan.from.nodeId}: OpenClaw ${plan.from.version}, ${plan.from.stateDir}, port ${plan.from.gatewayPort}${plan.from.gatewayRunning ? ' (gateway running, stays running)' : ''}`);
  lines.push(`  to   ${plan.to.nodeId}: OpenClaw ${plan.to.version}, ${plan.to.stateDir}, port ${plan.to.gatewayPort}${plan.to.stateDirInUse ? ' (REPLACES what is there; safety backup first)' : ''}`);
  lines.push('  folders:');
  for (const r of plan.roots) lines.push(`    ${r.from} → ${r.to}`);
  lines.push('  agents:');
  for (const a of plan.agents) lines.push(`    ${a.id}${a.isDefault ? ' (default)' : ''}: ${a.to.workspace}`);
  lines.push('  steps:');
  plan.steps.forEach((s, i) => lines.push(`    ${i + 1}. ${s.description}`));
  for (const w of plan.warnings) lines.push(`  ! ${w}`);
  lines.push('', `Config changes (${plan.configRewrites.length}; secrets masked):`);
  lines.push(migrationConfigDiff(plan, 'source').trimEnd());
  const againstTarget = migrationConfigDiff(plan, 'target');
  if (againstTarget) lines.push('', `Against what ${plan.to.nodeId} has there now:`, againstTarget.trimEnd());
  return lines.join('\n') + '\n';
}

function renderResult(r: MigrationResult): string {
  const lines: string[] = [];
  for (const s of r.steps) lines.push(`  ${s.status.padEnd(10)} ${s.description} (${(s.durationMs / 1000).toFixed(1)} s)${s.error ? `: ${s.error}` : ''}`);
  if (r.sourceBackup) lines.push(`Source backup: ${r.sourceBackup.archivePath}`);
  if (r.safetyBackup) lines.push(`Safety backup of ${r.safetyBackup.nodeId}: ${r.safetyBackup.archivePath}`);
  for (const n of r.notes) lines.push(`Note: ${n}`);
  if (r.ok) {
    lines.push(`Migrated ${r.plan.from.nodeId} → ${r.plan.to.nodeId} in ${(r.durationMs / 1000).toFixed(0)} s: gateway ready on port ${r.plan.to.gatewayPort}${r.readyAfterMs !== undefined ? ` after ${(r.readyAfterMs / 1000).toFixed(1)} s` : ''}; agents ${(r.agents ?? []).map((a) => a.id).join(', ')}.`);
    if (r.plan.newToken) lines.push(`The target has a NEW gateway token (in ${r.plan.config.mainPath}); clients need it.`);
  } else {
    lines.push(`Migration FAILED at ${r.error?.step ?? '?'}: ${r.error?.message ?? 'unknown error'}`);
    if (r.logTail?.length) lines.push('Gateway log:', ...r.logTail.map((l) => `  ${l}`));
    lines.push(r.rollbackErrors.length === 0 ? `${r.plan.to.nodeId} was rolled back to its previous state.` : `Rollback was NOT complete:\n${r.rollbackErrors.map((e) => `  - ${e}`).join('\n')}`);
  }
  return lines.join('\n') + '\n';
}
