import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { backupStoreFor } from '../../core/backup';
import { formatBytes } from '../../core/format-bytes';
import { exportSnapshot, importArchive, type RetentionPolicy } from '../../core/repository';
import { decideDestructive } from '../confirm';
import { printJson, type CliContext } from '../context';
import { withInterrupt } from '../interrupt';
import { cliError, l10n } from '../l10n';
import { intArg, jsonOption } from '../options';
import { registryFor } from './registry';
import { usage } from './backup';

/**
 * `ocm prune | export | import-archive`: retention and garbage collection of the repository, a
 * snapshot out as an OpenClaw archive (`openclaw backup verify/restore` accept it), and any
 * OpenClaw archive in (after the hostile-archive scan).
 */

/** `--keep-* <n>`: a whole number ≥ 0, parsed by commander. */
const keepOption = (flags: string, help: string): Option => new Option(flags, help).argParser(intArg(0));

interface PruneOptions {
  keepLast?: number;
  keep?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  node?: string;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
}

export function registerBackupRepoCommands(program: Command, ctx: CliContext): void {
  program
    .command('prune')
    .description(l10n.t('forget backups a retention policy does not keep (pinned ones always stay), then free the space only they used'))
    .addOption(keepOption('--keep-last <n>', l10n.t('the newest N backups of each node')))
    .addOption(keepOption('--keep <n>', l10n.t('the same as --keep-last')))
    .addOption(keepOption('--keep-hourly <n>', l10n.t('the newest backup of each of the last N hours')))
    .addOption(keepOption('--keep-daily <n>', l10n.t('the newest backup of each of the last N days')))
    .addOption(keepOption('--keep-weekly <n>', l10n.t('the newest backup of each of the last N weeks')))
    .addOption(keepOption('--keep-monthly <n>', l10n.t('the newest backup of each of the last N months')))
    .option('--node <id>', l10n.t('only this node'))
    .option('--dry-run', l10n.t('only show what would be deleted and the space freed'))
    .option('--yes', l10n.t('delete without asking (required when not on a terminal)'))
    .addOption(jsonOption())
    .action(async (opts: PruneOptions) => {
      ctx.json = Boolean(opts.json);
      const policy: RetentionPolicy = {
        ...(opts.keepLast !== undefined || opts.keep !== undefined ? { last: opts.keepLast ?? opts.keep } : {}),
        ...(opts.keepHourly !== undefined ? { hourly: opts.keepHourly } : {}),
        ...(opts.keepDaily !== undefined ? { daily: opts.keepDaily } : {}),
        ...(opts.keepWeekly !== undefined ? { weekly: opts.keepWeekly } : {}),
        ...(opts.keepMonthly !== undefined ? { monthly: opts.keepMonthly } : {}),
      };
      if (Object.keys(policy).length === 0)
        throw usage(l10n.both('Say what to keep: --keep-last, --keep-hourly, --keep-daily, --keep-weekly or --keep-monthly (pinned backups are always kept).'));
      const store = backupStoreFor(ctx.env);
      const scope = opts.node ? { nodeId: opts.node } : {};
      const preview = await store.prune({ policy, ...scope, dryRun: true });
      let result = preview;
      if (!opts.dryRun && preview.removed.length > 0) {
        if (!opts.yes && !ctx.json) for (const r of preview.removed) ctx.err(l10n.t('Would delete {0}', `${r.nodeId}/${r.id}`) + '\n');
        const decision = await decideDestructive(
          ctx,
          opts,
          l10n.t('Delete {0} backup(s) and free {1}? [y/N] ', preview.removed.length, formatBytes(preview.bytesFreed)),
          l10n.both('Pruning deletes {0} backup(s). Look first with --dry-run, then add --yes to delete.', preview.removed.length),
        );
        if (decision === 'declined') {
          ctx.out(l10n.t('Nothing was deleted.') + '\n');
          return;
        }
        result = await store.prune({ policy, ...scope, dryRun: false });
      }
      if (opts.json) return printJson(ctx, result);
      for (const r of result.removed)
        ctx.out((result.dryRun ? l10n.t('Would delete {0}', `${r.nodeId}/${r.id}`) : l10n.t('Deleted {0}', `${r.nodeId}/${r.id}`)) + '\n');
      ctx.out(
        (result.dryRun
          ? l10n.t('Would delete {0} backup(s) and free {1}; kept {2}.', result.removed.length, formatBytes(result.bytesFreed), result.kept.length)
          : l10n.t('Deleted {0} backup(s) and freed {1}; kept {2}.', result.removed.length, formatBytes(result.bytesFreed), result.kept.length)) + '\n',
      );
    });

  program
    .command('export')
    .description(l10n.t('write a backup as an OpenClaw archive (.tar.gz) that "openclaw backup verify" and "openclaw backup restore" accept'))
    .argument('<backup>', l10n.t('<nodeId>/<id>, an id, or <nodeId>/latest'))
    .option('-o, --output <file>', l10n.t('the archive to write (default: <id>.tar.gz in the current folder)'))
    .addOption(jsonOption())
    .action(async (ref: string, opts: { output?: string; json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const repo = await backupStoreFor(ctx.env).repository();
      const snap = await repo.resolve(ref);
      const out = resolve(process.cwd(), opts.output ?? `${snap.id}.tar.gz`);
      await withInterrupt(async (signal) => {
        const r = await exportSnapshot(repo, snap, out, { signal });
        if (opts.json) return printJson(ctx, { archivePath: r.archivePath, archiveSha256: r.archiveSha256, archiveSize: r.archiveSize });
        ctx.out(l10n.t('Wrote {0} ({1}, sha256 {2}).', r.archivePath, formatBytes(r.archiveSize), r.archiveSha256) + '\n');
      });
    });

  program
    .command('import-archive')
    .description(l10n.t('bring an OpenClaw archive into the repository as a backup of a node (after the hostile-archive scan)'))
    .argument('<file>', l10n.t('an archive from "openclaw backup create" or "ocm export"'))
    .requiredOption('--node <id>', l10n.t('the node it belongs to'))
    .addOption(jsonOption())
    .action(async (file: string, opts: { node: string; json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      await registryFor(ctx).get(opts.node);
      const repo = await backupStoreFor(ctx.env).repository();
      await withInterrupt(async (signal) => {
        try {
          const snap = await importArchive(repo, resolve(process.cwd(), file), { nodeId: opts.node, signal });
          if (opts.json) return printJson(ctx, { backup: snap });
          ctx.out(l10n.t('Imported {0} as {1} ({2} entries).', file, `${snap.nodeId}/${snap.id}`, snap.entryCount) + '\n');
        } catch (e) {
          if (e instanceof Error && 'kind' in e) throw e;
          throw cliError('failed', l10n.both('Could not import {0}: {1}', file, (e as Error).message));
        }
      });
    });
}
