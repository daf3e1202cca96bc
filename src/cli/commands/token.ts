import { Option, type Command } from 'commander';
import { ocmHome } from '../../core/home';
import {
  applyTokenRotation,
  maskedDiff,
  prepareTokenRotation,
  rotationNoticeText,
  rotationStepText,
  type TokenRotationPlan,
  type TokenRotationResult,
} from '../../core/token';
import { decideDestructive, willAsk } from '../confirm';
import { EXIT_FAILURE, printJson, type CliContext } from '../context';
import { interruptSignal } from '../interrupt';
import { l10n } from '../l10n';
import { withNodeAccess } from '../node-connection';
import { acceptNewOption, jsonOption, secondsArg } from '../options';
import { registryFor } from './registry';

/**
 * `ocm token rotate <id> [--dry-run] [--yes] [--json]`: a new random gateway token for a node,
 * written everywhere the old one is (its openclaw.json, .env, systemd unit, and the
 * gateway.remote.token of every registered node that points at it), then the gateway reloads and
 * every dependant is checked; any failure puts the old token back everywhere. The plan is always
 * shown first; --dry-run stops there, --yes applies, a terminal is asked, anything else exits 2.
 * Tokens are shown masked only, also in --json.
 */

interface RotateOptions {
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  acceptNew?: boolean;
  /** Milliseconds (secondsArg). */
  reloadTimeout?: number;
}

export function registerTokenCommands(program: Command, ctx: CliContext): void {
  const token = program.command('token').description(l10n.t("gateway tokens: rotate a node's token and every place that carries it"));
  token
    .command('rotate')
    .description(
      l10n.t(
        'give a gateway a new random token, update every dependant node, the .env and the systemd unit, check everyone authenticates, roll back on failure',
      ),
    )
    .argument('<id>', l10n.t('node id of the gateway'))
    .option('--dry-run', l10n.t('show the plan; change nothing'))
    .option('--yes', l10n.t('apply without asking (required when not on a terminal)'))
    .addOption(jsonOption())
    .addOption(
      new Option('--reload-timeout <seconds>', l10n.t('how long the gateway may take to accept the new token before it is restarted (default 20)')).argParser(
        secondsArg,
      ),
    )
    .addOption(acceptNewOption())
    .action(async (id: string, opts: RotateOptions) => {
      ctx.json = Boolean(opts.json);
      const reload = opts.reloadTimeout;
      const registry = registryFor(ctx);
      await registry.get(id);
      const nodes = await registry.list();
      const { signal, dispose } = interruptSignal();
      try {
        await withNodeAccess(ctx, { acceptNew: Boolean(opts.acceptNew) }, async (access) => {
          const prepared = await prepareTokenRotation({ gatewayId: id, nodes, transportFor: (n) => access.transport(n.id), signal });
          const { plan } = prepared;
          if (opts.dryRun) {
            if (opts.json) return printJson(ctx, { ok: true, applied: false, dryRun: true, plan });
            ctx.out(renderRotationPlan(plan) + l10n.t('Dry run: nothing was changed.') + '\n');
            return;
          }
          if (plan.places.length === 0) {
            if (opts.json) return printJson(ctx, { ok: true, applied: false, plan });
            ctx.out(renderRotationPlan(plan) + l10n.t('Nothing to change.') + '\n');
            return;
          }
          // The one destructive-verb decision (--dry-run was answered above with the plan).
          const hint = l10n.both(
            'Rotating the token of {0} changes {1} file(s) on {2} node(s). Review the plan with --dry-run, then add --yes to apply it.',
            id,
            plan.places.length,
            new Set(plan.places.map((p) => p.nodeId)).size,
          );
          if (!opts.json && (opts.yes || willAsk(ctx, opts))) ctx.out(renderRotationPlan(plan));
          if ((await decideDestructive(ctx, { ...opts, dryRun: false }, l10n.t('Rotate the gateway token of {0} now? [y/N] ', id), hint)) === 'declined') {
            ctx.out(l10n.t('Nothing was changed.') + '\n');
            return;
          }
          const result = await applyTokenRotation({
            plan,
            nodes: prepared.nodes,
            home: ocmHome(ctx.env),
            ...(reload !== undefined ? { reloadTimeoutMs: reload } : {}),
            signal,
            onProgress: (p) => {
              if (ctx.json) return;
              if (p.phase === 'step') ctx.err(`[${p.index + 1}/${p.total}] ${p.description}\n`);
              else if (p.phase === 'rollback') ctx.err(l10n.t('rolling back: {0}', p.description) + '\n');
            },
          });
          if (!result.ok) ctx.exitCode = EXIT_FAILURE;
          if (opts.json) {
            const { plan: _plan, ...rest } = result;
            return printJson(ctx, { ok: result.ok, applied: true, plan, result: rest });
          }
          ctx.out(renderRotationResult(result));
        });
      } finally {
        dispose();
      }
    });
}

export function renderRotationPlan(plan: TokenRotationPlan): string {
  const lines = [l10n.t('Plan: rotate the gateway token of {0} ({1} → {2})', plan.nodeId, plan.gateway.oldToken, plan.gateway.newToken)];
  const gateway = l10n.t(
    'gateway: port {0}, {1}, {2}',
    plan.gateway.port,
    plan.gateway.supervisor,
    plan.gateway.running ? l10n.t('running') : l10n.t('not running'),
  );
  lines.push(`  ${gateway}`);
  lines.push(
    `  ${l10n.t('dependants:')} ${plan.dependants.length ? plan.dependants.map((d) => `${d.nodeId}${d.stale ? ` ${l10n.t('(was already on a stale token)')}` : ''}`).join(', ') : l10n.t('none')}`,
  );
  lines.push(`  ${l10n.t('files:')}`);
  for (const place of plan.places) {
    lines.push(`    ${place.nodeId}: ${place.path} (${place.keys.join(', ')})`);
    for (const d of maskedDiff(plan, place)) lines.push(`      ${d}`);
  }
  lines.push(`  ${l10n.t('steps:')}`);
  plan.steps.forEach((s, i) => lines.push(`    ${i + 1}. ${rotationStepText(plan, s, l10n)}`));
  for (const n of plan.notices) lines.push(`  ! ${rotationNoticeText(n, l10n)}`);
  return lines.join('\n') + '\n';
}

function renderRotationResult(r: TokenRotationResult): string {
  const lines: string[] = [];
  for (const s of r.steps) lines.push(`  ${s.status.padEnd(10)} ${s.description}${s.error ? `: ${s.error}` : ''}`);
  for (const n of r.notes) lines.push(l10n.t('Note: {0}', n));
  if (r.ok) {
    const ok = r.verified.filter((v) => v.ok).map((v) => v.nodeId);
    lines.push(
      l10n.t(
        'The gateway token of {0} was rotated{1}; dependants verified with the new token: {2}.',
        r.plan.nodeId,
        r.restarted ? l10n.t(' (the gateway was restarted)') : '',
        ok.length ? ok.join(', ') : l10n.t('none'),
      ),
    );
  } else {
    lines.push(l10n.t('Token rotation FAILED at {0}: {1}', r.error?.step ?? '?', r.error?.message ?? l10n.t('unknown error')));
    lines.push(
      r.rollbackErrors.length === 0
        ? l10n.t('Every node was put back on the old token.')
        : `${l10n.t('Rollback was NOT complete:')}\n${r.rollbackErrors.map((e) => `  - ${e}`).join('\n')}`,
    );
  }
  return lines.join('\n') + '\n';
}
