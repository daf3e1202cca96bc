import { Option, type Command } from 'commander';
import { backupStoreFor } from '../../core/backup/store';
import {
  DEFAULT_CONTEXT_THRESHOLD_PCT,
  fleetSummary,
  formatDuration,
  gatewayLabel,
  pctLabel,
  reachabilityLabel,
  statusOfNodes,
  versionLabel,
  withLastBackups,
  type NodeStatus,
  type StatusDeps,
} from '../../core/status';
import { defaultTimeoutFor } from '../../core/status/node-status';
import { ocmHome } from '../../core/home';
import { roundHours } from '../../core/sessions/predict';
import { DEFAULT_WARN_HOURS } from '../../core/sessions/samples';
import { autoCompactAll, autoCompactLine, type AutoCompactReport } from './status-auto-compact';
import { EXIT_FAILURE, EXIT_OK, printJson, stderrIsTty, stdoutIsTty, type CliContext } from '../context';
import { withDiscoveryCache } from '../discovery-cache';
import { withNodeAccess } from '../node-connection';
import { cliError, knownWord, l10n } from '../l10n';
import { formatTable } from '../table';
import { acceptNewOption, intArg, jsonOption, numberArg } from '../options';
import { registryFor } from './registry';

/**
 * `ocm status [id...]`: reachability, OpenClaw version, gateway readiness, uptime, agents, load,
 * memory, disk and context-window usage of nodes, checked in parallel.
 *
 * Exit code: 1 when a checked node is unreachable, its gateway is down or not ready, or it has
 * another error-level anomaly (the report is printed all the same), and when the check itself
 * could not run (unknown node id, unreadable registry); 2 for usage errors; 0 otherwise
 * (warnings such as "not installed" or a disk almost full do not fail it). `--no-fail` exits 0
 * whenever the check ran, for scripts that read `--json` (`summary.unreachable`,
 * `summary.withAnomalies`) instead.
 *
 * `--json` prints `{ ok: true, checkedAt, thresholdPct, summary: { nodes, reachable, unreachable,
 * withAnomalies }, nodes: NodeStatus[] }` (NodeStatus: src/core/status/types.ts; fields are only
 * ever added). Each node's `lastBackup` (id, createdAt, ageMs) comes from the local backup
 * repository; the VS Code dashboard shows the same values (src/core/status/dashboard.ts).
 */

interface StatusCliOptions {
  all?: boolean;
  json?: boolean;
  acceptNew?: boolean;
  threshold?: number;
  /** `--sessions` true, `--no-sessions` false, neither: undefined (read where cheap). */
  sessions?: boolean;
  autoCompact?: number;
  warnHours?: number;
  /** Seconds. */
  timeout?: number;
  concurrency?: number;
  /** `--no-fail` sets it to false. */
  fail?: boolean;
}

export function registerStatusCommands(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description(l10n.t('check nodes: reachable, OpenClaw version, gateway ready, uptime, agents, load, memory, disk, context usage'))
    .argument('[id...]', l10n.t('node ids (default: every active node)'))
    .option('--all', l10n.t('include retired nodes'))
    .addOption(jsonOption())
    .addOption(acceptNewOption())
    .addOption(
      new Option(
        '--threshold <pct>',
        l10n.t('flag sessions using more than this percent of their context window (default {0})', DEFAULT_CONTEXT_THRESHOLD_PCT),
      ).argParser(numberArg(1, 100)),
    )
    .option('--sessions', l10n.t('also read sessions on nodes that keep them in SQLite (runs "openclaw sessions" there, 1.5–8 s per node)'))
    .option('--no-sessions', l10n.t('do not read sessions (by default they are read from sessions.json or the running gateway)'))
    .addOption(
      new Option(
        '--warn-hours <hours>',
        l10n.t('warn about sessions predicted to reach their context window within this many hours (default {0})', DEFAULT_WARN_HOURS),
      ).argParser(numberArg(0, 10_000)),
    )
    .addOption(
      new Option(
        '--auto-compact <pct>',
        l10n.t('compact sessions at or over this percent of their window (once per session per 6 h, never mid-turn; for cron)'),
      ).argParser(numberArg(1, 100)),
    )
    .addOption(new Option('--timeout <seconds>', l10n.t('give up on a node after this long (default 15, 45 with --sessions)')).argParser(numberArg(1, 600)))
    .addOption(new Option('--concurrency <n>', l10n.t('nodes checked at once (default 8)')).argParser(intArg(1, 64)))
    .option('--no-fail', l10n.t('exit 0 even when a node is unreachable, not ready or has an error (default: exit 1 then)'))
    .action(async (ids: string[], opts: StatusCliOptions) => {
      ctx.json = Boolean(opts.json);
      const thresholdPct = opts.threshold ?? DEFAULT_CONTEXT_THRESHOLD_PCT;
      const timeoutSec = opts.timeout;
      const concurrency = opts.concurrency ?? 8;
      const warnHours = opts.warnHours ?? DEFAULT_WARN_HOURS;
      const autoCompactPct = opts.autoCompact;
      if (autoCompactPct !== undefined && opts.sessions === false)
        throw cliError('invalidInput', l10n.both('--auto-compact needs sessions: drop --no-sessions.'), { usage: true });
      if (ids.length > 0 && opts.all) {
        throw cliError('invalidInput', l10n.both('Give node ids or --all, not both.'), { usage: true });
      }
      const registry = registryFor(ctx);
      const nodes = ids.length > 0 ? await Promise.all(unique(ids).map((id) => registry.get(id))) : await registry.list({ includeRetired: Boolean(opts.all) });
      if (nodes.length === 0) {
        if (opts.json) return printJson(ctx, { ok: true, checkedAt: new Date().toISOString(), thresholdPct, summary: fleetSummary([]), nodes: [] });
        ctx.out(l10n.t('No nodes to check. Add one with: ocm add <id> <[user@]host[:port]>') + '\n');
        return;
      }
      const perNodeTimeoutMs = defaultTimeoutFor({
        ...(timeoutSec !== undefined ? { timeoutMs: timeoutSec * 1000 } : {}),
        ...(opts.sessions ? { includeSessions: true } : {}),
      });
      const showProgress = !opts.json && stderrIsTty(ctx) && nodes.length > 1;
      const checkedAt = new Date().toISOString();
      let autoCompacted: AutoCompactReport[] = [];
      // The CLI's one way to nodes; a handshake never needs longer than the node's whole budget.
      const pool = { readyTimeoutMs: Math.min(20_000, perNodeTimeoutMs), keepaliveIntervalMs: 1000, keepaliveCountMax: 3 };
      let results = await withNodeAccess(ctx, { acceptNew: Boolean(opts.acceptNew), pool }, async (access) => {
        const deps: StatusDeps = { transportFor: (node) => access.transport(node.id) };
        const checked = await withDiscoveryCache(ctx, nodes, (discoveryCache) =>
          statusOfNodes(nodes, deps, {
            discoveryCache,
            concurrency,
            perNodeTimeoutMs,
            thresholdPct,
            includeSessions: opts.sessions === true,
            ...(opts.sessions === false ? { readSessions: false } : {}),
            predict: { home: ocmHome(ctx.env), warnHours },
            ...(ctx.signal ? { signal: ctx.signal } : {}),
            ...(showProgress
              ? { onProgress: (p) => ctx.err(`\r${l10n.t('checking nodes: {0}/{1}', p.done, p.total)}${p.done === p.total ? '\r\x1b[K' : ''}`) }
              : {}),
          }),
        );
        if (autoCompactPct !== undefined)
          autoCompacted = await autoCompactAll(nodes, checked, deps, {
            home: ocmHome(ctx.env),
            pct: autoCompactPct,
            thresholdPct,
            ...(ctx.signal ? { signal: ctx.signal } : {}),
          });
        return checked;
      });
      results = await withLastBackups(results, backupStoreFor(ctx.env));
      if (opts.json) {
        printJson(ctx, {
          ok: true,
          checkedAt,
          thresholdPct,
          summary: fleetSummary(results),
          nodes: results,
          ...(autoCompactPct !== undefined ? { autoCompacted } : {}),
        });
      } else {
        ctx.out(renderStatusTable(results, { color: useColor(ctx) }));
        for (const a of autoCompacted) ctx.out(autoCompactLine(a) + '\n');
      }
      ctx.exitCode = opts.fail !== false && results.some(isFailing) ? EXIT_FAILURE : EXIT_OK;
    });
}

/** A node that fails `ocm status`: unreachable, gateway down or not ready, or any other error-level anomaly. */
export function isFailing(s: NodeStatus): boolean {
  return !s.reachable || s.anomalies.some((a) => a.severity === 'error');
}

const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const RESET = '\x1b[0m';

/** The table plus one line per anomaly below it. Rows with errors are red, with warnings yellow (colour only when asked). */
export function renderStatusTable(results: NodeStatus[], options: { color: boolean }): string {
  const headers = [
    l10n.t('NODE'),
    l10n.t('REACHABLE'),
    l10n.t('VERSION'),
    l10n.t('GATEWAY'),
    l10n.t('UPTIME'),
    l10n.t('AGENTS'),
    l10n.t('LOAD'),
    l10n.t('MEM'),
    l10n.t('DISK'),
    l10n.t('BACKUP'),
    l10n.t('NOTES'),
  ];
  const rows = results.map((s) => [
    s.nodeId,
    statusWord(reachabilityLabel(s)),
    s.openclaw && !s.openclaw.installed && s.gateway?.version ? l10n.t('{0} (no cli)', s.gateway.version) : statusWord(versionLabel(s)),
    statusWord(gatewayLabel(s)),
    s.gateway?.live ? formatDuration(s.gateway.uptimeMs) : '-',
    s.agents ? (s.agents.configError ? l10n.t('config!') : String(s.agents.count)) : '-',
    s.hostFacts?.load1 !== undefined ? `${s.hostFacts.load1.toFixed(2)}${s.hostFacts.cpus ? `/${s.hostFacts.cpus}` : ''}` : '-',
    pctLabel(s.hostFacts?.memUsedPct),
    pctLabel(s.hostFacts?.disk?.usedPct),
    s.lastBackup ? formatDuration(s.lastBackup.ageMs) : '-',
    notesOf(s) || '-',
  ]);
  const lines = formatTable(headers, rows).split('\n');
  const paint = (text: string, s: NodeStatus): string => {
    if (!options.color || s.anomalies.length === 0) return text;
    return `${s.anomalies.some((a) => a.severity === 'error') ? RED : YELLOW}${text}${RESET}`;
  };
  const out = [lines[0]!, ...results.map((s, i) => paint(lines[i + 1]!, s))];
  const details: string[] = [];
  for (const s of results) {
    for (const a of s.anomalies) details.push(paint(`${s.nodeId}: ${a.message}`, { ...s, anomalies: [a] }));
  }
  return `${out.join('\n')}\n${details.length ? `\n${details.join('\n')}\n` : ''}`;
}

/** The words of src/core/status/format.ts's labels in the CLI's locale (versions, error kinds and the like pass through). */
function statusWord(label: string): string {
  return knownWord(label, {
    yes: l10n.t('yes'),
    no: l10n.t('no'),
    'auth failed': l10n.t('auth failed'),
    'host key unknown': l10n.t('host key unknown'),
    'HOST KEY CHANGED': l10n.t('HOST KEY CHANGED'),
    timeout: l10n.t('timeout'),
    unreachable: l10n.t('unreachable'),
    down: l10n.t('down'),
    ready: l10n.t('ready'),
    'not ready': l10n.t('not ready'),
    'not installed': l10n.t('not installed'),
  });
}

/** The NOTES column (as core's shortNotes, in the CLI's locale); the full anomaly messages are listed below the table. */
function notesOf(s: NodeStatus): string {
  const notes: string[] = [];
  for (const a of s.anomalies) {
    if (a.kind === 'gatewayDown') notes.push(l10n.t('gateway down'));
    else if (a.kind === 'gatewayNotReady') notes.push(s.gateway?.failing.length ? l10n.t('failing: {0}', s.gateway.failing.join(',')) : l10n.t('not ready'));
    else if (a.kind === 'configBroken') notes.push(l10n.t('config broken'));
    else if (a.kind === 'diskAlmostFull') notes.push(l10n.t('disk {0} full', pctLabel(s.hostFacts?.disk?.usedPct)));
    else if (a.kind === 'checkIncomplete') notes.push(l10n.t('incomplete'));
    // unreachable / notInstalled: the REACHABLE and VERSION columns say it; context: summarised below.
  }
  const soon = s.sessions?.rows.filter((r) => r.predictedOverflow && r.hoursToWindow !== undefined && !r.overThreshold) ?? [];
  if (soon.length) notes.push(l10n.t('{0} full in ~{1} h', soon[0]!.key, roundHours(soon[0]!.hoursToWindow!)));
  const over = s.sessions?.rows.filter((r) => r.overThreshold) ?? [];
  if (over.length)
    notes.push(
      over.length > 1
        ? l10n.t('context {0} {1} (+{2})', pctLabel(over[0]!.usedPct), over[0]!.key, over.length - 1)
        : l10n.t('context {0} {1}', pctLabel(over[0]!.usedPct), over[0]!.key),
    );
  return notes.join('; ');
}

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
function useColor(ctx: CliContext): boolean {
  return ctx.env.NO_COLOR === undefined && stdoutIsTty(ctx);
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}
