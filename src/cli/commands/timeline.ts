import type { Command } from 'commander';
import { backupStoreFor } from '../../core/backup/store';
import { MixupGuard } from '../../core/guard';
import { ocmHome } from '../../core/home';
import { agentOfPath } from '../../core/openclaw';
import { snapshotRemote } from '../../core/safe-write';
import { buildTimeline, findVersion, restoreTimelineVersion, type Timeline, type TimelineVersion } from '../../core/timeline';
import { diff } from '../../core/vendor';
import { resolveAgentPath } from '../agent-path';
import { decideDestructive } from '../confirm';
import { printJson, type CliContext } from '../context';
import { cliError, knownWord, l10n } from '../l10n';
import { cliGuardHook, localizeMixup } from '../mixup-guard';
import { withNodeTransport } from '../node-connection';
import { formatTable } from '../table';
import { acceptNewOption, jsonOption } from '../options';

/**
 * `ocm timeline <id> <path>`: every version of an agent file ocm knows (snapshots + history),
 * newest first, with where each came from and its line changes. `--show V` prints one version,
 * `--compare V W` diffs two, `--restore V` puts one back through the safe save (--dry-run shows,
 * --yes applies, a terminal asks; without a terminal and without --yes it exits 2).
 * Listing, show and compare contact no node.
 */

interface TimelineOptions {
  json?: boolean;
  show?: string;
  compare?: string[];
  restore?: string;
  dryRun?: boolean;
  yes?: boolean;
  force?: boolean;
  acceptNew?: boolean;
}

export function registerTimelineCommands(program: Command, ctx: CliContext): void {
  program
    .command('timeline')
    .description(l10n.t('every version of an agent file ocm knows (backups and saves), newest first; show, compare or restore one'))
    .argument('<id>', l10n.t('node id'))
    .argument('<path>', l10n.t('the file: AGENT:FILE (e.g. main:MEMORY.md), a file of the default agent (MEMORY.md), or the absolute path on the node'))
    .option('--show <version>', l10n.t('print one version (its number, "latest", or a sha256 prefix)'))
    .option('--compare <versions...>', l10n.t('show the line diff between two versions (older first)'))
    .option('--restore <version>', l10n.t('put this version back on the node through the safe save (the live file is kept in the history first)'))
    .option('--dry-run', l10n.t('with --restore: only show what would change'))
    .option('--yes', l10n.t('with --restore: do it without asking'))
    .option('--force', l10n.t("with --restore: also when the mix-up guard finds another agent's text in that version"))
    .addOption(jsonOption())
    .addOption(acceptNewOption())
    .action(async (id: string, path: string, opts: TimelineOptions) => {
      ctx.json = Boolean(opts.json);
      const remotePath = await resolveAgentPath(ctx, id, path, { acceptNew: Boolean(opts.acceptNew) });
      const home = ocmHome(ctx.env);
      const timeline = await buildTimeline({ home, store: backupStoreFor(ctx.env), nodeId: id, remotePath });
      if (opts.show) return show(ctx, timeline, opts.show, opts.json);
      if (opts.compare) return compare(ctx, timeline, opts.compare, opts.json);
      if (opts.restore) return restore(ctx, timeline, opts.restore, opts);
      const agent = await agentName(home, id, remotePath);
      if (opts.json) return printJson(ctx, { node: id, path: remotePath, ...(agent ? { agent } : {}), versions: timeline.versions.map(jsonOf) });
      if (timeline.versions.length === 0) {
        ctx.out(l10n.t('ocm knows no version of {0} on {1} yet: take a backup ("ocm backup {1}") or save it once.', remotePath, id) + '\n');
        return;
      }
      if (agent) ctx.out(l10n.t('Agent {0} on {1}: {2}', agent, id, remotePath) + '\n');
      ctx.out(
        formatTable(
          [l10n.t('VERSION'), l10n.t('TIME (UTC)'), l10n.t('ORIGIN'), l10n.t('LINES'), l10n.t('SIZE'), 'SHA256', l10n.t('SEEN IN')],
          timeline.versions.map((v) => [
            `#${v.n}`,
            new Date(v.timeMs).toISOString().replace('T', ' ').slice(0, 19),
            originLabel(v),
            v.diff ? `+${v.diff.added} -${v.diff.removed}` : '',
            String(v.size),
            v.sha256.slice(0, 12),
            seenIn(v),
          ]),
        ),
      );
    });
}

function jsonOf(v: TimelineVersion) {
  return { ...v, time: new Date(v.timeMs).toISOString(), sources: v.sources.map((s) => ({ ...s, time: new Date(s.timeMs).toISOString() })) };
}

function originLabel(v: TimelineVersion): string {
  const word = knownWord(v.origin, {
    saved: l10n.t('saved'),
    agent: l10n.t('changed by the agent'),
    'pre-edit': l10n.t('found before a save'),
    snapshot: l10n.t('backup'),
  });
  const via = v.via ? ` (${v.via === 'vscode' ? 'VS Code' : 'CLI'})` : '';
  return `${word}${via}${v.sameAs ? ' ' + l10n.t('= #{0}', v.sameAs) : ''}`;
}

function seenIn(v: TimelineVersion): string {
  const snaps = v.sources.filter((s) => s.kind === 'snapshot').length;
  const hist = v.sources.length - snaps;
  return [snaps ? l10n.t('{0} backup(s)', snaps) : '', hist ? l10n.t('{0} history entr(ies)', hist) : ''].filter(Boolean).join(', ');
}

async function agentName(home: string, nodeId: string, remotePath: string): Promise<string | undefined> {
  const agents = await new MixupGuard(home).knownAgents(nodeId);
  return agents ? agentOfPath(agents, remotePath)?.agent.id : undefined;
}

async function show(ctx: CliContext, timeline: Timeline & { read(v: TimelineVersion): Promise<Buffer> }, ref: string, json?: boolean): Promise<void> {
  const v = findVersion(timeline, ref);
  const content = await timeline.read(v);
  if (json) return printJson(ctx, { node: timeline.nodeId, path: timeline.remotePath, version: jsonOf(v), content: content.toString('utf8') });
  ctx.out(content.toString('utf8'));
}

async function compare(ctx: CliContext, timeline: Timeline & { read(v: TimelineVersion): Promise<Buffer> }, refs: string[], json?: boolean): Promise<void> {
  if (refs.length !== 2) throw cliError('invalidInput', l10n.both('--compare takes two versions, e.g. --compare 3 5.'), { usage: true });
  const [a, b] = refs.map((r) => findVersion(timeline, r)) as [TimelineVersion, TimelineVersion];
  const [ta, tb] = await Promise.all([timeline.read(a), timeline.read(b)]);
  const name = timeline.remotePath.split('/').pop() ?? timeline.remotePath;
  const patch = diff().createTwoFilesPatch(
    `${name} #${a.n}`,
    `${name} #${b.n}`,
    ta.toString('utf8'),
    tb.toString('utf8'),
    new Date(a.timeMs).toISOString(),
    new Date(b.timeMs).toISOString(),
  );
  if (json) return printJson(ctx, { node: timeline.nodeId, path: timeline.remotePath, from: jsonOf(a), to: jsonOf(b), patch });
  ctx.out(patch);
}

async function restore(ctx: CliContext, timeline: Timeline & { read(v: TimelineVersion): Promise<Buffer> }, ref: string, opts: TimelineOptions): Promise<void> {
  const v = findVersion(timeline, ref);
  const home = ocmHome(ctx.env);
  await withNodeTransport(ctx, timeline.nodeId, opts, async (t, node) => {
    const live = await snapshotRemote(t, timeline.remotePath);
    const when = new Date(v.timeMs).toISOString();
    const liveText = live
      ? l10n.t('the live file ({0} bytes, sha256 {1})', live.content.length, live.sha256.slice(0, 12))
      : l10n.t('nothing (the file does not exist now)');
    const plan = l10n.t(
      'Restore {0} on {1} to version #{2} of {3} ({4} bytes, sha256 {5}), replacing {6}, which is kept in the history first.',
      timeline.remotePath,
      timeline.nodeId,
      v.n,
      when,
      v.size,
      v.sha256.slice(0, 12),
      liveText,
    );
    const decision = await decideDestructive(
      ctx,
      opts,
      plan + ' ' + l10n.t('Restore? [y/N] '),
      l10n.both('Restoring replaces {0} on {1}. Look first with --dry-run, then add --yes to restore.', timeline.remotePath, timeline.nodeId),
    );
    if (decision === 'show') {
      if (opts.json)
        return printJson(ctx, { ok: true, dryRun: true, version: jsonOf(v), live: live ? { sha256: live.sha256, size: live.content.length } : null });
      ctx.out(plan + '\n');
      return;
    }
    if (decision === 'declined') {
      ctx.out(l10n.t('Nothing restored.') + '\n');
      return;
    }
    // Restoring the agent's own older memory passes the guard; another agent's text does not.
    const guard = opts.force ? undefined : await cliGuardHook(ctx, t, node, timeline.remotePath);
    const result = await restoreTimelineVersion(t, {
      home,
      timeline,
      version: v,
      ...(live ? { expected: { sha256: live.sha256 } } : { expected: 'absent' as const }),
      via: 'cli',
      ...(guard ? { beforeWrite: guard } : {}),
    }).catch((e: unknown) => {
      throw localizeMixup(e);
    });
    if (opts.json) return printJson(ctx, { ok: true, node: timeline.nodeId, path: timeline.remotePath, restored: jsonOf(v), ...result });
    ctx.out(l10n.t('Restored version #{0} of {1} on {2}.', v.n, timeline.remotePath, timeline.nodeId) + '\n');
    if (result.backupId) ctx.out(l10n.t('The replaced version is kept as history entry {0}.', result.backupId) + '\n');
  });
}
