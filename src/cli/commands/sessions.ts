import { Option, type Command } from 'commander';
import { formatBytes } from '../../core/format-bytes';
import { locateOpenclaw, type OpenclawLocation } from '../../core/openclaw';
import { ocmHome } from '../../core/home';
import {
  hasSessionRpc,
  listNodeSessions,
  runSessionAction,
  SESSION_ACTIONS,
  unsupportedActionError,
  type SessionAction,
  type SessionActionResult,
} from '../../core/sessions';
import { DEFAULT_CONTEXT_THRESHOLD_PCT, pctLabel, type SessionUsage } from '../../core/status';
import { agentsStatus } from '../../core/status/node-status';
import type { Transport } from '../../core/transport/types';
import { decideDestructive } from '../confirm';
import { printJson, type CliContext } from '../context';
import { cliError, l10n } from '../l10n';
import { withNodeTransport } from '../node-connection';
import { formatTable } from '../table';
import { acceptNewOption, jsonOption, numberArg } from '../options';

/**
 * `ocm sessions <id> [--agent A] [--json]`: a node's sessions (key, last activity, context use —
 * only when OpenClaw's count is fresh —, transcript size, over-threshold marked).
 * `ocm sessions compact|reset|archive <id> <key> [--agent A] [--dry-run] [--yes] [--json]`: the
 * action through the running gateway, after the transcript was captured into the local history
 * (src/core/sessions/actions.ts). Destructive-verb convention: --dry-run shows, --yes applies, a
 * terminal asks, no terminal and no --yes exits 2 with a hint. Versions without a way (before
 * 2026.9) exit 1 naming the manual step.
 */

interface SessionsCliOptions {
  agent?: string;
  json?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  acceptNew?: boolean;
  threshold?: number;
}

export function registerSessionsCommands(program: Command, ctx: CliContext): void {
  program
    .command('sessions')
    .description(l10n.t("list a node's sessions, or compact, reset or archive one (ocm sessions compact|reset|archive <id> <key>)"))
    .argument('<id-or-action>', l10n.t('node id, or compact | reset | archive'))
    .argument('[id]', l10n.t('node id (after an action)'))
    .argument('[key]', l10n.t('session key (after an action), e.g. agent:main:main'))
    .option('--agent <id>', l10n.t('only this agent (default for actions: the agent named in the key, else main)'))
    .addOption(jsonOption())
    .option('--dry-run', l10n.t('show what the action would do, change nothing'))
    .option('--yes', l10n.t('apply without asking'))
    .addOption(
      new Option(
        '--threshold <pct>',
        l10n.t('flag sessions using more than this percent of their context window (default {0})', DEFAULT_CONTEXT_THRESHOLD_PCT),
      ).argParser(numberArg(1, 100)),
    )
    .addOption(acceptNewOption())
    .action(async (first: string, id: string | undefined, key: string | undefined, opts: SessionsCliOptions) => {
      ctx.json = Boolean(opts.json);
      const thresholdPct = opts.threshold ?? DEFAULT_CONTEXT_THRESHOLD_PCT;
      if ((SESSION_ACTIONS as readonly string[]).includes(first)) {
        if (!id || !key) throw cliError('invalidInput', l10n.both('Usage: ocm sessions {0} <id> <key> [--agent A] [--yes]', first), { usage: true });
        return actionCommand(ctx, first as SessionAction, id, key, { ...opts, thresholdPct });
      }
      if (id !== undefined) throw cliError('invalidInput', l10n.both('Unknown action "{0}": use compact, reset or archive.', first), { usage: true });
      return listCommand(ctx, first, { ...opts, thresholdPct });
    });
}

async function withLocatedNode<T>(
  ctx: CliContext,
  id: string,
  opts: SessionsCliOptions,
  work: (transport: Transport, location: OpenclawLocation, agentIds: string[]) => Promise<T>,
): Promise<T> {
  return withNodeTransport(ctx, id, { ...(opts.acceptNew ? { acceptNew: true } : {}) }, async (transport, node) => {
    const location = await locateOpenclaw(transport, node, ctx.signal ? { signal: ctx.signal } : {});
    return work(transport, location, agentsStatus(location)?.ids ?? []);
  });
}

async function listCommand(ctx: CliContext, id: string, opts: SessionsCliOptions & { thresholdPct: number }): Promise<void> {
  await withLocatedNode(ctx, id, opts, async (transport, location, agentIds) => {
    const status = await listNodeSessions(transport, location, agentIds, {
      thresholdPct: opts.thresholdPct,
      ...(opts.agent ? { agentId: opts.agent } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    if (opts.json) return printJson(ctx, { ok: true, nodeId: id, version: location.version, ...status });
    if (status.rows.length === 0) {
      ctx.out((status.note ? `${status.note}\n` : '') + l10n.t('No sessions.') + '\n');
      return;
    }
    ctx.out(renderSessionsTable(status.rows, Date.now()));
    if (status.note) ctx.out(`\n${status.note}\n`);
  });
}

/** KEY AGENT LAST ACTIVITY CONTEXT TRANSCRIPT; over-threshold rows end with "!". */
export function renderSessionsTable(rows: readonly SessionUsage[], now: number): string {
  const headers = [l10n.t('KEY'), l10n.t('AGENT'), l10n.t('LAST ACTIVITY'), l10n.t('CONTEXT'), l10n.t('TRANSCRIPT'), l10n.t('NOTES')];
  const body = rows.map((r) => [
    r.key,
    r.agentId,
    ago(r.lastActivityAt ?? r.updatedAt, now),
    contextCell(r),
    r.transcriptBytes !== undefined ? formatBytes(r.transcriptBytes) : '-',
    sessionNote(r),
  ]);
  return formatTable(headers, body) + '\n';
}

function contextCell(r: SessionUsage): string {
  if (r.usedPct === undefined) return r.fresh ? '-' : l10n.t('unknown (stale)');
  const filled = Math.min(10, Math.round(r.usedPct / 10));
  return `${'█'.repeat(filled)}${'░'.repeat(10 - filled)} ${pctLabel(r.usedPct)}${r.overThreshold ? ' !' : ''}`;
}

/** "reaches its window in about N hours", "mid-turn". */
export function sessionNote(r: SessionUsage): string {
  const notes: string[] = [];
  if (r.active) notes.push(l10n.t('mid-turn'));
  if (r.hoursToWindow !== undefined)
    notes.push(l10n.t('reaches its window in about {0} hours at the current rate', r.hoursToWindow < 1 ? r.hoursToWindow : Math.round(r.hoursToWindow)));
  return notes.join('; ') || '-';
}

function ago(t: number | undefined, now: number): string {
  if (t === undefined) return '-';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 90) return l10n.t('{0} s ago', s);
  if (s < 5400) return l10n.t('{0} min ago', Math.round(s / 60));
  if (s < 172_800) return l10n.t('{0} h ago', Math.round(s / 3600));
  return l10n.t('{0} d ago', Math.round(s / 86_400));
}

async function actionCommand(
  ctx: CliContext,
  action: SessionAction,
  id: string,
  key: string,
  opts: SessionsCliOptions & { thresholdPct: number },
): Promise<void> {
  const agentId = opts.agent ?? /^agent:([^:]+):/.exec(key)?.[1] ?? 'main';
  await withLocatedNode(ctx, id, opts, async (transport, location) => {
    const verb = actionWord(action);
    if (!hasSessionRpc(location.version)) {
      const core = unsupportedActionError(location, action, key);
      throw cliError(
        'unsupported',
        l10n.both(
          'OpenClaw {0} on node {1} cannot {2} a session from outside (that needs OpenClaw 2026.9.0 or later). Manual step: in the session\'s chat send "{3}", or upgrade OpenClaw on the node.',
          location.version ?? '?',
          id,
          verb,
          action === 'compact' ? '/compact' : '/new',
        ),
        core.details,
      );
    }
    if (opts.dryRun) {
      const status = await listNodeSessions(transport, location, [agentId], {
        thresholdPct: opts.thresholdPct,
        agentId,
        transcriptSizes: false,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      const row = status.rows.find((r) => r.key === key);
      if (!row) throw cliError('notFound', l10n.both('Session {0} of agent {1} is not on node {2}.', key, agentId, id));
      if (opts.json) return printJson(ctx, { ok: true, dryRun: true, action, nodeId: id, agentId, key, session: row });
      ctx.out(
        l10n.t(
          'Would {0} session {1} (agent {2}, context {3}) on {4}, after saving its transcript into the local history.',
          verb,
          key,
          agentId,
          pctLabel(row.usedPct),
          id,
        ) + '\n',
      );
      return;
    }
    // The shared destructive-verb convention (the dry run was answered above).
    const decision = await decideDestructive(
      ctx,
      { ...(opts.yes ? { yes: true } : {}), ...(opts.json ? { json: true } : {}) },
      l10n.t('{0} session {1} on {2}? Its transcript is saved into the local history first. [y/N] ', verb, key, id),
      l10n.both('This would {0} session {1} on {2}. Look first with --dry-run, then add --yes to apply.', verb, key, id),
    );
    if (decision === 'declined') {
      ctx.out(l10n.t('Nothing was changed.') + '\n');
      return;
    }
    const result: SessionActionResult = await runSessionAction(transport, location, {
      nodeId: id,
      agentId,
      key,
      action,
      home: ocmHome(ctx.env),
      thresholdPct: opts.thresholdPct,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    if (opts.json) return printJson(ctx, { ok: true, ...result });
    ctx.out(
      l10n.t('Saved the transcript ({0} messages, {1}) as history entry {2}.', result.capturedMessages, formatBytes(result.backup.size), result.backup.id) +
        '\n',
    );
    if (result.gateway.compacted === false) ctx.out(l10n.t('The gateway did not compact it: {0}', String(result.gateway.reason ?? '?')) + '\n');
    const afterText = !result.after
      ? l10n.t('(not listed any more)')
      : result.after.usedPct === undefined
        ? l10n.t('unknown until its next turn')
        : pctLabel(result.after.usedPct);
    ctx.out(l10n.t('Done: {0} session {1}. Context before {2}, after {3}.', verb, key, pctLabel(result.before.usedPct), afterText) + '\n');
  });
}

function actionWord(action: SessionAction): string {
  return action === 'compact' ? l10n.t('compact') : action === 'reset' ? l10n.t('reset') : l10n.t('archive');
}
