import { Option, type Command } from 'commander';
import { backupStoreFor } from '../../core/backup/store';
import { DEFAULT_BACKUP_MAX_AGE_MS, doctorMarkdown, findingText, runDoctor, severityText, type DoctorReport } from '../../core/doctor';
import { ocmHome } from '../../core/home';
import { EXIT_FAILURE, EXIT_OK, printJson, type CliContext } from '../context';
import { withDiscoveryCache } from '../discovery-cache';
import { l10n } from '../l10n';
import { withNodeAccess } from '../node-connection';
import { acceptNewOption, intArg, jsonOption, positiveArg, secondsArg } from '../options';
import { registryFor } from './registry';

/**
 * `ocm doctor [id...] [--json] [--markdown]`: one report for the fleet (default: every active
 * node) — gateways down or not ready, tokens that no longer match between nodes or sit in a
 * systemd unit, missing or shared workspaces, MEMORY.md longer than OpenClaw injects, sessions
 * predicted to overflow, nodes without a recent backup, differing OpenClaw versions — each with
 * its severity and the command that fixes it. Exit 1 when any finding is an error (for cron),
 * 2 for usage errors, 0 otherwise. `--json` prints the DoctorReport (src/core/doctor/types.ts).
 */

interface DoctorCliOptions {
  json?: boolean;
  markdown?: boolean;
  acceptNew?: boolean;
  /** Days. */
  backupAge?: number;
  /** Milliseconds (secondsArg). */
  timeout?: number;
  concurrency?: number;
}

export function registerDoctorCommands(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description(l10n.t('one report for the fleet: what is wrong on which node, how bad, and the command that fixes it (exit 1 on any error)'))
    .argument('[id...]', l10n.t('node ids (default: every active node)'))
    .addOption(jsonOption())
    .option('--markdown', l10n.t('print the report as a Markdown table'))
    .addOption(new Option('--backup-age <days>', l10n.t('report nodes whose newest backup is older than this (default 7)')).argParser(positiveArg()))
    .addOption(new Option('--timeout <seconds>', l10n.t('give up on a node after this long (default 15)')).argParser(secondsArg))
    .addOption(new Option('--concurrency <n>', l10n.t('nodes checked at once (default 8)')).argParser(intArg(1)))
    .addOption(acceptNewOption())
    .action(async (ids: string[], opts: DoctorCliOptions) => {
      ctx.json = Boolean(opts.json);
      const days = opts.backupAge;
      const timeoutMs = opts.timeout;
      const concurrency = opts.concurrency;
      const registry = registryFor(ctx);
      const nodes = ids.length ? await Promise.all([...new Set(ids)].map((id) => registry.get(id))) : await registry.list();
      const report = await withNodeAccess(
        ctx,
        {
          acceptNew: Boolean(opts.acceptNew),
          pool: { readyTimeoutMs: Math.min(20_000, timeoutMs ?? 15_000), keepaliveIntervalMs: 1000, keepaliveCountMax: 3 },
        },
        (access) =>
          withDiscoveryCache(ctx, nodes, (discoveryCache) =>
            runDoctor({
              nodes,
              deps: { transportFor: (n) => access.transport(n.id) },
              store: backupStoreFor(ctx.env),
              discoveryCache,
              backupMaxAgeMs: days !== undefined ? days * 24 * 3600_000 : DEFAULT_BACKUP_MAX_AGE_MS,
              ...(timeoutMs !== undefined ? { perNodeTimeoutMs: timeoutMs } : {}),
              ...(concurrency !== undefined ? { concurrency } : {}),
              ...(ctx.signal ? { signal: ctx.signal } : {}),
              // Session growth samples and the overflow prediction (src/core/sessions), when the status check has them.
              ...({ predict: { home: ocmHome(ctx.env), warnHours: 6 } } as Record<string, unknown>),
            }),
          ),
      );
      ctx.exitCode = report.ok ? EXIT_OK : EXIT_FAILURE;
      if (opts.json) return printJson(ctx, report);
      ctx.out(opts.markdown ? doctorMarkdown(report, l10n) : renderDoctor(report));
    });
}

export function renderDoctor(r: DoctorReport): string {
  const lines: string[] = [];
  for (const f of r.findings) {
    lines.push(`${severityText(f.severity, l10n).padEnd(8)} ${findingText(f, l10n)}`);
    if (f.fix) lines.push(`         ${l10n.t('fix: {0}', f.fix)}`);
  }
  if (r.findings.length === 0) lines.push(l10n.t('No problems found on {0} node(s).', r.nodes.length));
  else lines.push('', l10n.t('{0} node(s): {1} error(s), {2} warning(s).', r.nodes.length, r.summary.errors, r.summary.warnings));
  return lines.join('\n') + '\n';
}
