import { Option, type Command } from 'commander';
import {
  deleteWithHistory,
  findDeleted,
  layoutOf,
  listDeleted,
  renameWithHistory,
  restoreDeleted,
  whatBreaks,
  DEFAULT_MAX_FOLDER_BYTES,
  type Consequence,
  type DeletedEntry,
} from '../../core/deletes';
import { isOcmError } from '../../core/errors';
import { formatBytes } from '../../core/format-bytes';
import { ocmHome } from '../../core/home';
import { listNodeAgents } from '../../core/openclaw';
import { EXIT_USAGE, printJson, type CliContext } from '../context';
import { decideDestructive } from '../confirm';
import { cliError, l10n } from '../l10n';
import { cliGuardFor, localizeMixup } from '../mixup-guard';
import { acceptNewOption, jsonOption, positiveArg } from '../options';
import { withNodeTransport } from '../node-connection';
import { formatTable } from '../table';

/**
 * `ocm rm` (keeps the content in the history first and says what breaks), `ocm mv` (a rename
 * that keeps the old content and whatever it replaces), `ocm deleted` (the node's Recently
 * Deleted) and `ocm undelete` (restore through the safe save).
 */

const MiB = 1024 * 1024;

export function consequenceText(c: Consequence): string {
  switch (c.code) {
    case 'gatewayWontStart':
      return l10n.t('the gateway will not start (openclaw.json is its configuration; a running gateway stops working at its next restart)');
    case 'nodeLosesState':
      return l10n.t("the node loses its whole OpenClaw state: config, every agent's sessions, memory index and credentials");
    case 'agentLosesWorkspace':
      return l10n.t('agent {0} loses its workspace: its memory, persona and rules', c.agentId ?? '');
    case 'agentLosesState':
      return l10n.t('agent {0} loses its state: sessions, memory index and credentials', c.agentId ?? '');
    case 'agentLosesMemory':
      return l10n.t('agent {0} loses its memory', c.agentId ?? '');
    case 'agentLosesIdentity':
      return l10n.t('agent {0} loses who it is (persona / identity)', c.agentId ?? '');
    case 'gatewayLosesSecrets':
      return l10n.t('the gateway loses the API keys and tokens kept in .env');
  }
}

function requireAbsolute(p: string): void {
  if (!p.startsWith('/') || p.replace(/\/+$/, '') === '')
    throw cliError('invalidInput', l10n.both('"{0}" is not an absolute path on the node below /.', p), { usage: true });
}

/** `--max-size <MiB>` (parsed by positiveArg) in bytes. */
function maxSize(mib: number | undefined): number {
  return mib === undefined ? DEFAULT_MAX_FOLDER_BYTES : Math.floor(mib * MiB);
}

interface RmOpts {
  recursive?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  maxSize?: number;
  acceptNew?: boolean;
}

export function registerDeleteCommands(program: Command, ctx: CliContext): void {
  program
    .command('rm')
    .description(l10n.t('delete a file or folder on a node, keeping its content in the history first (restore with "ocm undelete"); says what breaks'))
    .argument('<id>', l10n.t('node id'))
    .argument('<path>', l10n.t('absolute path on the node'))
    .option('-r, --recursive', l10n.t('delete a folder and everything in it'))
    .addOption(
      new Option(
        '--max-size <MiB>',
        l10n.t('largest folder kept in the history before it is deleted (default {0} MiB)', DEFAULT_MAX_FOLDER_BYTES / MiB),
      ).argParser(positiveArg()),
    )
    .option('--dry-run', l10n.t('say what would be deleted and what breaks, and delete nothing'))
    .option('--yes', l10n.t('delete without asking (required when not on a terminal)'))
    .addOption(jsonOption())
    .addOption(acceptNewOption())
    .action(async (id: string, path: string, opts: RmOpts) => {
      ctx.json = Boolean(opts.json);
      requireAbsolute(path);
      await withNodeTransport(ctx, id, opts, async (t, node) => {
        const st = await t.statOrUndefined(path);
        if (!st) throw cliError('notFound', l10n.both('{0} does not exist on {1}: nothing to delete.', path, id), { nodeId: id, path });
        if (st.type === 'directory' && !opts.recursive)
          throw cliError(
            'invalidInput',
            l10n.both(
              '{0} on {1} is a folder. Add -r to delete it and everything in it (it is kept in the history first, up to {2}).',
              path,
              id,
              formatBytes(maxSize(opts.maxSize)),
            ),
            { usage: true },
          );
        let consequences: Consequence[] = [];
        try {
          const { location, agents } = await listNodeAgents(t, node);
          consequences = whatBreaks(path, layoutOf(location, agents));
        } catch {
          // A node whose config cannot be read: nothing to name, the delete still keeps the content.
        }
        if (!opts.json) {
          ctx.out(l10n.t('Delete {0} on {1} ({2}).', path, id, st.type === 'directory' ? l10n.t('folder') : formatBytes(st.size)) + '\n');
          for (const c of consequences) ctx.out(l10n.t('warning: {0}', consequenceText(c)) + '\n');
        }
        const question = consequences.length
          ? l10n.t('Delete it anyway? Its content is kept in the history. [y/N] ')
          : l10n.t('Delete it? Its content is kept in the history. [y/N] ');
        const decision = await decideDestructive(
          ctx,
          opts,
          question,
          consequences.length
            ? l10n.both('Deleting {0} breaks things ({1}). Add --yes to delete it anyway.', path, consequences.map((c) => c.code).join(', '))
            : l10n.both('Add --yes to delete {0} (its content is kept in the history).', path),
        );
        if (decision !== 'apply') {
          if (opts.json) printJson(ctx, { node: id, path, dryRun: true, consequences });
          else if (decision === 'declined') ctx.out(l10n.t('Nothing was deleted.') + '\n');
          else ctx.out(l10n.t('Nothing was deleted (dry run).') + '\n');
          return;
        }
        let entry: DeletedEntry;
        try {
          entry = await deleteWithHistory(t, path, { home: ocmHome(ctx.env), recursive: Boolean(opts.recursive), maxBytes: maxSize(opts.maxSize) });
        } catch (e) {
          if (isOcmError(e) && e.details.code === 'folderTooLarge') {
            throw cliError(
              'invalidInput',
              l10n.both(
                '{0} on {1} is larger than {2}, the most ocm keeps in its history before a delete; nothing was deleted. Take a backup first (ocm backup {1}) and delete it on the node yourself, or raise the limit with --max-size <MiB>.',
                path,
                id,
                formatBytes(maxSize(opts.maxSize)),
              ),
              { ...e.details },
            );
          }
          throw e;
        }
        if (opts.json) return printJson(ctx, { ok: true, node: id, path, consequences, deleted: entry });
        ctx.out(
          l10n.t(
            'Deleted {0} on {1}; {2} file(s) ({3}) kept. Restore with: ocm undelete {1} {4}',
            path,
            id,
            entry.files.length,
            formatBytes(entry.totalBytes),
            entry.id,
          ) + '\n',
        );
        if (entry.skipped.length) ctx.err(l10n.t('warning: not kept (symlinks and special files): {0}', entry.skipped.join(', ')) + '\n');
      });
    });

  program
    .command('mv')
    .description(
      l10n.t(
        'rename or move a file or folder on a node: the old content is kept in the history first, a file it replaces goes to Recently Deleted; says what breaks',
      ),
    )
    .argument('<id>', l10n.t('node id'))
    .argument('<from>', l10n.t('absolute path on the node'))
    .argument('<to>', l10n.t('new absolute path on the node'))
    .option('--force', l10n.t("replace <to> when it exists (it is kept in Recently Deleted first), also when the mix-up guard finds another agent's text"))
    .option('--dry-run', l10n.t('say what would happen and what breaks, and change nothing'))
    .option('--yes', l10n.t('do it without asking when something breaks or is replaced (required when not on a terminal)'))
    .addOption(jsonOption())
    .addOption(acceptNewOption())
    .action(async (id: string, from: string, to: string, opts: { force?: boolean; dryRun?: boolean; yes?: boolean; json?: boolean; acceptNew?: boolean }) => {
      ctx.json = Boolean(opts.json);
      requireAbsolute(from);
      requireAbsolute(to);
      await withNodeTransport(ctx, id, opts, async (t, node) => {
        if (!(await t.statOrUndefined(from)))
          throw cliError('notFound', l10n.both('{0} does not exist on {1}: nothing to rename.', from, id), { nodeId: id, path: from });
        const target = await t.statOrUndefined(to);
        if (target && !opts.force)
          throw cliError('invalidInput', l10n.both('{0} already exists on {1}. Add --force to replace it (it is kept in Recently Deleted first).', to, id), {
            usage: true,
          });
        let consequences: Consequence[] = [];
        try {
          const { location, agents } = await listNodeAgents(t, node);
          consequences = whatBreaks(from, layoutOf(location, agents));
        } catch {
          // config unreadable: nothing to name
        }
        if (!opts.json) for (const c of consequences) ctx.out(l10n.t('warning: {0}', consequenceText(c)) + '\n');
        if (consequences.length || target || opts.dryRun) {
          const decision = await decideDestructive(
            ctx,
            opts,
            l10n.t('Rename {0} to {1} anyway? [y/N] ', from, to),
            l10n.both('Renaming {0} breaks things or replaces {1}. Look with --dry-run, then add --yes.', from, to),
          );
          if (decision !== 'apply') {
            if (opts.json) printJson(ctx, { node: id, from, to, dryRun: true, consequences });
            else ctx.out(l10n.t('Nothing was changed.') + '\n');
            return;
          }
        }
        // The mix-up guard on <to> (an agent's MEMORY/SOUL/IDENTITY/USER.md): refuses moving another
        // agent's file there unless --force.
        const { replaced } = await renameWithHistory(t, from, to, {
          home: ocmHome(ctx.env),
          overwrite: Boolean(opts.force),
          ...(opts.force ? {} : { guardFor: cliGuardFor(ctx, t, node) }),
        }).catch((e: unknown) => {
          throw localizeMixup(e);
        });
        if (opts.json) return printJson(ctx, { ok: true, node: id, from, to, consequences, replaced: replaced ?? null });
        ctx.out(l10n.t('Renamed {0} to {1} on {2}; the old content is in the history.', from, to, id) + '\n');
        if (replaced) ctx.out(l10n.t('The replaced {0} is in Recently Deleted: ocm undelete {1} {2}', to, id, replaced.id) + '\n');
      });
    });

  program
    .command('deleted')
    .description(l10n.t("a node's Recently Deleted: files and folders deleted through ocm, newest first"))
    .argument('<id>', l10n.t('node id'))
    .option('--all', l10n.t('include entries already restored'))
    .addOption(jsonOption())
    .action(async (id: string, opts: { all?: boolean; json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const entries = await listDeleted(ocmHome(ctx.env), id, { includeRestored: Boolean(opts.all) });
      if (opts.json) return printJson(ctx, { node: id, entries });
      if (!entries.length) {
        ctx.out(l10n.t('Nothing deleted on {0} through ocm (or everything was restored).', id) + '\n');
        return;
      }
      ctx.out(
        formatTable(
          [l10n.t('ENTRY'), l10n.t('DELETED (UTC)'), l10n.t('PATH'), l10n.t('FILES'), l10n.t('SIZE')],
          entries.map((e) => [
            e.id,
            e.deletedAt.replace('T', ' ').replace(/\.\d+Z$/, ''),
            e.path + (e.kind === 'folder' ? '/' : '') + (e.restoredAt ? ' ' + l10n.t('(restored)') : ''),
            String(e.files.length),
            formatBytes(e.totalBytes),
          ]),
        ),
      );
    });

  program
    .command('undelete')
    .description(l10n.t('restore a deleted file or folder (through the safe save); refuses to overwrite a file that exists again unless --force'))
    .argument('<id>', l10n.t('node id'))
    .argument('<pathOrEntry>', l10n.t('the deleted path, or an entry id from "ocm deleted"'))
    .option(
      '--force',
      l10n.t(
        "replace files that exist again (their current content is kept in the history), and restore even when the mix-up guard finds another agent's text",
      ),
    )
    .addOption(jsonOption())
    .addOption(acceptNewOption())
    .action(async (id: string, ref: string, opts: { force?: boolean; json?: boolean; acceptNew?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const home = ocmHome(ctx.env);
      const entry = await findDeleted(home, id, ref);
      await withNodeTransport(ctx, id, opts, async (t, node) => {
        let result;
        try {
          // The mix-up guard checks every guarded file of the entry before the first write (--force skips it).
          result = await restoreDeleted(t, entry, { home, overwrite: Boolean(opts.force), ...(opts.force ? {} : { guardFor: cliGuardFor(ctx, t, node) }) });
        } catch (e) {
          if (isOcmError(e, 'exists') && Array.isArray(e.details.existing)) {
            ctx.exitCode = EXIT_USAGE;
            throw cliError(
              'exists',
              l10n.both(
                '{0} exists again on {1}; nothing was restored. Compare first, then add --force to replace it (the current version is kept in the history).',
                (e.details.existing as string[]).join(', '),
                id,
              ),
              e.details,
            );
          }
          throw localizeMixup(e);
        }
        if (opts.json) return printJson(ctx, { ok: true, node: id, entry, restored: result.restored });
        ctx.out(l10n.t('Restored {0} on {1} ({2} file(s)).', entry.path, id, result.restored.length) + '\n');
      });
    });
}
