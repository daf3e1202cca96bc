import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { countLines, unifiedDiff } from '../../core/backup/diff';
import {
  applyBulkPlan,
  flaggedFiles,
  guardPlan,
  inspectUndo,
  planBulkApply,
  planCounts,
  resolveTargets,
  undoBatch,
  type BulkChange,
  type BulkPlan,
  type NodeReach,
  type PlannedFile,
  type UndoCheck,
} from '../../core/bulk';
import { backupStoreFor } from '../../core/backup/store';
import { MixupGuard } from '../../core/guard';
import { ocmHome } from '../../core/home';
import type { NodeAccess } from '../../core/node-access';
import { listNodeAgents } from '../../core/openclaw';
import type { AgentInfo } from '../../core/openclaw';
import { EXIT_FAILURE, printJson, type CliContext } from '../context';
import { decideDestructive } from '../confirm';
import { interruptSignal } from '../interrupt';
import { findingText } from '../mixup-guard';
import { cliError, l10n } from '../l10n';
import { withNodeAccess } from '../node-connection';
import { acceptNewOption, jsonOption } from '../options';

/**
 * `ocm apply`: one change to many agents' files — a template (whole file), a section replaced by
 * its Markdown heading, or lines appended — previewed, then applied through the safe save with a
 * rollback on the first failure; `ocm apply --undo` puts the last batch back.
 */

interface ApplyOpts {
  template?: string;
  replaceSection?: string;
  with?: string;
  append?: string;
  file?: string;
  agents?: string;
  undo?: boolean;
  force?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  acceptNew?: boolean;
}

/** Transports and (cached) agents of the nodes one command touches. */
export function reachFor(access: NodeAccess): NodeReach {
  const agents = new Map<string, Promise<AgentInfo[]>>();
  return {
    transport: (id) => access.transport(id),
    agents: (id) => {
      let p = agents.get(id);
      if (!p) {
        p = (async () => (await listNodeAgents(await access.transport(id), await access.node(id))).agents)();
        agents.set(id, p);
      }
      return p;
    },
  };
}

async function readSource(path: string): Promise<Buffer> {
  return readFile(path).catch((e: NodeJS.ErrnoException) => {
    throw cliError(e.code === 'ENOENT' ? 'notFound' : 'failed', l10n.both('Cannot read {0}: {1}.', path, e.message), { localFile: path });
  });
}

async function changeFrom(opts: ApplyOpts): Promise<BulkChange> {
  const modes = [opts.template, opts.replaceSection, opts.append].filter((v) => v !== undefined).length;
  if (modes !== 1)
    throw cliError('invalidInput', l10n.both('Say what to apply: exactly one of --template FILE, --replace-section HEADING --with FILE, or --append FILE.'), {
      usage: true,
    });
  if (opts.replaceSection !== undefined && opts.with === undefined)
    throw cliError('invalidInput', l10n.both('--replace-section needs --with FILE: the new content of the section.'), { usage: true });
  if (!opts.file) throw cliError('invalidInput', l10n.both('Say which file of each agent to change: --file NAME (e.g. --file SOUL.md).'), { usage: true });
  if (!opts.agents)
    throw cliError('invalidInput', l10n.both('Say which agents: --agents n1/main,n2/research (node/agent pairs), n1 (every agent of a node) or label:prod.'), {
      usage: true,
    });
  if (opts.template !== undefined) return { mode: 'template', content: await readSource(opts.template) };
  if (opts.append !== undefined) return { mode: 'append', content: await readSource(opts.append) };
  return { mode: 'replaceSection', heading: opts.replaceSection!, content: await readSource(opts.with!) };
}

export function blockText(f: PlannedFile): string {
  switch (f.reason) {
    case 'headingMissing':
      return l10n.t('the heading is not in this file: nothing replaced, nothing appended');
    case 'headingAmbiguous':
      return l10n.t('the heading is there more than once: name it with its level (e.g. "## Tools")');
    case 'fileMissing':
      return l10n.t('the file does not exist');
    case 'notText':
      return l10n.t('the file is not UTF-8 text');
    case 'noWorkspace':
      return l10n.t('the agent has no workspace folder yet');
    default:
      return l10n.t('cannot be read: {0}', f.message ?? '');
  }
}

function renderPlan(plan: BulkPlan, withDiff: boolean): string {
  const lines: string[] = [];
  for (const f of plan.files) {
    const who = `${f.nodeId}/${f.agentId}`;
    if (f.action === 'blocked') lines.push(`  !  ${who}  ${f.path}: ${blockText(f)}`);
    else if (f.action === 'unchanged') lines.push(`  =  ${who}  ${f.path}: ${l10n.t('already like this')}`);
    else {
      const counts = countLines(f.before?.toString('utf8') ?? '', f.after!.toString('utf8'));
      const detail = counts ? `+${counts.linesAdded} −${counts.linesRemoved}` : '';
      lines.push(`  ${f.action === 'create' ? 'A' : 'M'}  ${who}  ${f.path}  ${detail}${f.action === 'create' ? ' ' + l10n.t('(new file)') : ''}`);
      for (const m of f.mixup ?? []) lines.push(`     ${l10n.t('MIX-UP GUARD: {0}', findingText(m))}`);
    }
  }
  const c = planCounts(plan);
  lines.push(l10n.t('{0} to change, {1} to create, {2} already like this, {3} left out.', c.update, c.create, c.unchanged, c.blocked));
  const flagged = flaggedFiles(plan).length;
  if (flagged)
    lines.push(
      l10n.t(
        "{0} file(s) would bring another agent's text into a guarded file (MEMORY/SOUL/IDENTITY/USER.md): the whole batch is refused unless --force.",
        flagged,
      ),
    );
  let out = lines.join('\n') + '\n';
  if (withDiff)
    for (const f of plan.files)
      if (f.action === 'update' || f.action === 'create') out += unifiedDiff(f.path, `${f.nodeId}:`, `${f.nodeId}:`, f.before, f.after);
  return out;
}

function planJson(plan: BulkPlan): unknown {
  return {
    fileName: plan.fileName,
    mode: plan.change.mode,
    files: plan.files.map((f) => ({
      node: f.nodeId,
      agent: f.agentId,
      path: f.path,
      action: f.action,
      ...(f.reason ? { reason: f.reason, message: f.message } : {}),
      beforeSha256: f.beforeSha256 ?? null,
      afterSha256: f.afterSha256 ?? null,
      ...(f.mixup?.length ? { mixup: f.mixup } : {}),
    })),
    counts: planCounts(plan),
    guard: plan.guard ?? null,
  };
}

export function registerBulkCommands(program: Command, ctx: CliContext): void {
  program
    .command('apply')
    .description(
      l10n.t(
        "apply one change to many agents' files (a template, a Markdown section, or appended lines): previewed, each file through the safe save, the batch rolled back on the first failure; --undo puts the last batch back",
      ),
    )
    .option('--template <file>', l10n.t('replace the whole file with this local file'))
    .option('--replace-section <heading>', l10n.t('replace the section under this Markdown heading ("## Tools", or "Tools" at any level)'))
    .option('--with <file>', l10n.t('the new content of the section (--replace-section)'))
    .option('--append <file>', l10n.t('append the lines of this local file'))
    .option('--file <name>', l10n.t("which file of each agent's workspace (SOUL.md, AGENTS.md, memory/team.md)"))
    .option('--agents <selector>', l10n.t('node/agent pairs (n1/main,n2/research), whole nodes (n1) or labels (label:prod), comma-separated'))
    .option('--undo', l10n.t('undo the last bulk apply (files changed since are refused unless --force)'))
    .option(
      '--force',
      l10n.t(
        "apply files the mix-up guard flags as bringing in another agent's text (this batch only); with --undo: also put back files that changed since the batch (their current content is kept in the history)",
      ),
    )
    .option('--dry-run', l10n.t('show every resulting change (a diff per file) and change nothing'))
    .option('--yes', l10n.t('apply without asking (required when not on a terminal)'))
    .addOption(jsonOption())
    .addOption(acceptNewOption())
    .action(async (opts: ApplyOpts) => {
      ctx.json = Boolean(opts.json);
      const { signal, dispose } = interruptSignal();
      try {
        if (opts.undo) return await undo(ctx, opts, signal);
        const change = await changeFrom(opts);
        await withNodeAccess(ctx, { acceptNew: Boolean(opts.acceptNew) }, async (access) => {
          const reach = reachFor(access);
          const targets = await resolveTargets(opts.agents!, await access.registry.list(), reach);
          // The mix-up guard on every planned write (the bytes the plan read; no round trip).
          const plan = await guardPlan(
            await planBulkApply(reach, targets, opts.file!, change, signal),
            new MixupGuard(ocmHome(ctx.env), backupStoreFor(ctx.env)),
            reach.agents,
          );
          const c = planCounts(plan);
          if (c.blocked) ctx.exitCode = EXIT_FAILURE;
          if (!opts.json) ctx.out(renderPlan(plan, Boolean(opts.dryRun)));
          if (c.update + c.create === 0) {
            if (opts.json) printJson(ctx, { plan: planJson(plan), dryRun: Boolean(opts.dryRun) });
            else ctx.out(l10n.t('Nothing to apply.') + '\n');
            return;
          }
          const flagged = flaggedFiles(plan);
          if (flagged.length && !opts.force) {
            // Refused up front, before asking: the preview already knows (see core/bulk/guard-plan.ts).
            ctx.exitCode = EXIT_FAILURE;
            if (opts.dryRun) {
              if (opts.json) printJson(ctx, { plan: planJson(plan), dryRun: true });
              return;
            }
            throw refusedBatch(flagged);
          }
          const decision = await decideDestructive(
            ctx,
            opts,
            l10n.t('Change {0} file(s) on {1} node(s)? [y/N] ', c.update + c.create, new Set(plan.files.map((f) => f.nodeId)).size),
            l10n.both('This changes {0} file(s). Look first with --dry-run, then add --yes to apply.', c.update + c.create),
          );
          if (decision !== 'apply') {
            if (opts.json) printJson(ctx, { plan: planJson(plan), dryRun: true });
            else if (decision === 'declined') ctx.out(l10n.t('Nothing was changed.') + '\n');
            return;
          }
          if (flagged.length && !opts.json) ctx.out(l10n.t('Applying anyway (--force): {0} file(s) the mix-up guard flagged.', flagged.length) + '\n');
          const result = await applyBulkPlan(plan, {
            home: ocmHome(ctx.env),
            allowMixups: Boolean(opts.force),
            transport: reach.transport,
            signal,
            onProgress: (p) => {
              if (!opts.json)
                ctx.err(
                  p.phase === 'write'
                    ? l10n.t('writing {0}/{1} {2} ({3}/{4})', p.file.nodeId, p.file.agentId, p.file.path, p.done + 1, p.total) + '\n'
                    : l10n.t('putting back {0}/{1} {2}', p.file.nodeId, p.file.agentId, p.file.path) + '\n',
                );
            },
          });
          if (!result.ok) ctx.exitCode = EXIT_FAILURE;
          if (opts.json)
            return printJson(ctx, {
              plan: planJson(plan),
              result: {
                ok: result.ok,
                batch: result.batch,
                failure: result.failure ? { node: result.failure.file.nodeId, path: result.failure.file.path, error: result.failure.error.toJSON() } : null,
                rollbackErrors: result.rollbackErrors,
              },
            });
          if (result.ok)
            ctx.out(l10n.t('Applied to {0} file(s) (batch {1}). Undo the whole batch with: ocm apply --undo', result.written.length, result.batch.id) + '\n');
          else {
            ctx.out(l10n.t('FAILED at {0} on {1}: {2}', result.failure!.file.path, result.failure!.file.nodeId, result.failure!.error.message) + '\n');
            if (result.rollbackErrors.length === 0)
              ctx.out(l10n.t('The {0} file(s) already changed were put back; nothing else was touched.', result.written.length) + '\n');
            else {
              ctx.out(l10n.t('Could not put back:') + '\n');
              for (const e of result.rollbackErrors) ctx.out(`  ${e.nodeId}:${e.path}: ${e.message}\n`);
              ctx.out(l10n.t('Their earlier versions are in the file history (ocm history <id> <path>); "ocm apply --undo" retries.') + '\n');
            }
          }
        });
      } finally {
        dispose();
      }
    });
}

/** The batch refused by the mix-up guard, every flagged file with what matched (the English text stays in --json). */
function refusedBatch(flagged: PlannedFile[]): Error {
  const list = flagged.map((f) => `  - ${f.nodeId}/${f.agentId} ${f.path}:\n${f.mixup!.map((m) => `      ${findingText(m)}`).join('\n')}`).join('\n');
  const message = l10n.both(
    "The bulk apply was refused before anything was written: {0} file(s) would bring another agent's text into a guarded file.\n{1}\nCheck the template and the agents chosen; to apply it anyway on purpose, add --force.",
    flagged.length,
    list,
  );
  return cliError('conflict', message, { bulkMixup: true, files: flagged.map((f) => ({ node: f.nodeId, agent: f.agentId, path: f.path, findings: f.mixup })) });
}

function undoState(c: UndoCheck): string {
  switch (c.state) {
    case 'ready':
      return l10n.t('will be put back');
    case 'changedSince':
      return l10n.t('CHANGED since the batch: refused unless --force');
    case 'deletedSince':
      return l10n.t('deleted since the batch: refused unless --force');
    default:
      return l10n.t('cannot be read: {0}', c.message ?? '');
  }
}

async function undo(ctx: CliContext, opts: ApplyOpts, signal: AbortSignal): Promise<void> {
  const home = ocmHome(ctx.env);
  await withNodeAccess(ctx, { acceptNew: Boolean(opts.acceptNew) }, async (access) => {
    const transport = (id: string) => access.transport(id);
    const found = await inspectUndo(home, transport, signal);
    if (!found) {
      if (opts.json) printJson(ctx, { ok: true, nothingToUndo: true });
      else ctx.out(l10n.t('No bulk apply to undo.') + '\n');
      return;
    }
    if (!opts.json) {
      ctx.out(l10n.t('Last bulk apply: {0} ({1}, {2}).', found.batch.id, found.batch.fileName, found.batch.createdAt) + '\n');
      for (const c of found.checks) ctx.out(`  ${c.file.nodeId}/${c.file.agentId}  ${c.file.path}: ${undoState(c)}\n`);
    }
    const ready = found.checks.filter((c) => c.state === 'ready' || (opts.force && c.state !== 'unreachable')).length;
    const decision = await decideDestructive(
      ctx,
      opts,
      l10n.t('Put back {0} file(s)? [y/N] ', ready),
      l10n.both('Undo puts back {0} file(s). Look first with --dry-run, then add --yes.', ready),
    );
    if (decision !== 'apply') {
      if (opts.json)
        printJson(ctx, {
          dryRun: true,
          batch: found.batch.id,
          files: found.checks.map((c) => ({ node: c.file.nodeId, agent: c.file.agentId, path: c.file.path, state: c.state })),
        });
      else if (decision === 'declined') ctx.out(l10n.t('Nothing was changed.') + '\n');
      return;
    }
    const result = await undoBatch(found.batch, { home, transport, force: Boolean(opts.force), signal });
    if (result.refused.length) ctx.exitCode = EXIT_FAILURE;
    if (opts.json)
      return printJson(ctx, {
        ok: result.refused.length === 0,
        batch: result.batch.id,
        status: result.batch.status,
        undone: result.undone.map((f) => f.path),
        refused: result.refused.map((r) => ({ node: r.file.nodeId, path: r.file.path, message: r.message })),
      });
    ctx.out(l10n.t('Put back {0} file(s).', result.undone.length) + '\n');
    for (const r of result.refused) ctx.out(l10n.t('refused: {0}', `${r.file.nodeId}:${r.file.path}: ${r.message}`) + '\n');
    if (result.refused.length) ctx.out(l10n.t('Look at them, then run "ocm apply --undo --force" to put them back anyway.') + '\n');
  });
}
