import { Option, type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { ocmHome } from '../../core/home';
import { getHistoryEntry, listHistory, pruneHistory, readHistoryEntry } from '../../core/history';
import type { NodeEntry } from '../../core/registry';
import { locateOpenclaw } from '../../core/openclaw/locate';
import {
  fileKindFor,
  readForEdit,
  restoreHistoryEntry,
  safeWrite,
  snapshotRemote,
  validatorForNode,
  validatorFromLocation,
  type ExpectedRemote,
  type OpenclawValidator,
  type SafeWriteResult,
} from '../../core/safe-write';
import { DEFAULT_MAX_READ_BYTES, formatLimit, isTooLarge } from '../../core/transport/read-bounded';
import type { Transport } from '../../core/transport/types';
import { decideDestructive } from '../confirm';
import { printJson, type CliContext } from '../context';
import { acceptNewOption, intArg, jsonOption, numberArg, positiveArg } from '../options';
import { cliGuardFor, cliGuardHook, localizeMixup } from '../mixup-guard';
import { withNodeTransport } from '../node-connection';
import { cliError, l10n } from '../l10n';
import { formatTable } from '../table';

function requireAbsolute(remotePath: string): void {
  if (!remotePath.startsWith('/')) {
    throw cliError(
      'invalidInput',
      l10n.both('"{0}" is not an absolute path on the node. Give the full path, e.g. /home/claw/.openclaw/workspace/MEMORY.md.', remotePath),
      { remotePath, usage: true },
    );
  }
}

/** For openclaw.json: the node's own `openclaw` (located on the node, else the registry's path). */
async function configValidator(t: Transport, node: NodeEntry, remotePath: string): Promise<OpenclawValidator | undefined> {
  if (fileKindFor(remotePath) !== 'openclawConfig') return undefined;
  try {
    return validatorFromLocation(await locateOpenclaw(t, node)) ?? validatorForNode(node);
  } catch {
    return validatorForNode(node); // safeWrite says in its warnings when only JSON5 was checked
  }
}

const MiB = 1024 * 1024;
const MAX_CAT_MIB = 4096;

/** `--max-size <MiB>` of `ocm cat` (parsed by positiveArg), in bytes (default DEFAULT_MAX_READ_BYTES). */
function maxSizeOption(mib: number | undefined): number {
  return mib === undefined ? DEFAULT_MAX_READ_BYTES : Math.floor(mib * MiB);
}

function withTransport<T>(ctx: CliContext, nodeId: string, options: { acceptNew?: boolean }, work: (t: Transport, node: NodeEntry) => Promise<T>): Promise<T> {
  return withNodeTransport(ctx, nodeId, options, work);
}

/** `ocm cat`, `ocm put`, `ocm history [show|restore]`: remote files with safe save and pre-edit backups. */
export function registerFilesCommands(program: Command, ctx: CliContext): void {
  program
    .command('cat')
    .description(l10n.t('print a file of a node'))
    .argument('<id>', l10n.t('node id'))
    .argument('<path>', l10n.t('absolute path on the node'))
    .addOption(jsonOption())
    .addOption(
      new Option('--max-size <MiB>', l10n.t('read files up to this size (default {0}); larger ones are refused', DEFAULT_MAX_READ_BYTES / MiB)).argParser(
        positiveArg(MAX_CAT_MIB),
      ),
    )
    .addOption(acceptNewOption())
    .action(async (id: string, remotePath: string, opts: { json?: boolean; acceptNew?: boolean; maxSize?: number }) => {
      ctx.json = Boolean(opts.json);
      requireAbsolute(remotePath);
      const maxBytes = maxSizeOption(opts.maxSize);
      await withTransport(ctx, id, opts, async (t) => {
        const file = await readForEdit(t, remotePath, { maxBytes }).catch((e: unknown) => {
          if (!isTooLarge(e)) throw e;
          const size = typeof e.details.size === 'number' ? e.details.size : 2 * maxBytes;
          const suggested = Math.min(MAX_CAT_MIB, Math.ceil(Math.max(size, 2 * maxBytes) / MiB));
          const message = l10n.both(
            '{0} on {1} is larger than {2}, the most "ocm cat" reads. Add --max-size <MiB> to read more (e.g. --max-size {3}), or look at it on the node (less, tail).',
            remotePath,
            id,
            formatLimit(maxBytes),
            suggested,
          );
          throw cliError('invalidInput', message, e.details);
        });
        if (opts.json) {
          return printJson(ctx, {
            node: id,
            path: remotePath,
            sha256: file.sha256,
            mtimeMs: file.mtimeMs,
            size: file.size,
            mode: file.mode,
            content: file.content.toString('utf8'),
          });
        }
        ctx.out(file.content.toString('utf8'));
      });
    });

  program
    .command('put')
    .description(l10n.t('save a local file over a file of a node: pre-edit backup, conflict check, config validation, atomic write'))
    .argument('<id>', l10n.t('node id'))
    .argument('<path>', l10n.t('absolute path on the node'))
    .argument('<localFile>', l10n.t('file on this machine with the new content'))
    .option('--expect-sha256 <hash>', l10n.t('sha256 of the node\'s file as you last read it (from "ocm cat --json"); the save is refused if it changed'))
    .option('--force', l10n.t("replace whatever is on the node now (it is still backed up first), also when the mix-up guard finds another agent's text"))
    .addOption(jsonOption())
    .addOption(acceptNewOption())
    .action(
      async (id: string, remotePath: string, localFile: string, opts: { expectSha256?: string; force?: boolean; json?: boolean; acceptNew?: boolean }) => {
        ctx.json = Boolean(opts.json);
        requireAbsolute(remotePath);
        if (opts.expectSha256 !== undefined && !/^[0-9a-f]{64}$/i.test(opts.expectSha256)) {
          throw cliError(
            'invalidInput',
            l10n.both('--expect-sha256 must be 64 hex digits (the "sha256" printed by "ocm cat {0} {1} --json").', id, remotePath),
            { usage: true },
          );
        }
        const content = await readFile(localFile).catch((e: NodeJS.ErrnoException) => {
          throw cliError(e.code === 'ENOENT' ? 'notFound' : 'failed', l10n.both('Cannot read {0}: {1}.', localFile, e.message), { localFile });
        });
        await withTransport(ctx, id, opts, async (t, node) => {
          let expected: ExpectedRemote;
          if (opts.expectSha256) expected = { sha256: opts.expectSha256.toLowerCase() };
          else if (opts.force)
            expected = 'absent'; // ignored: overwrite skips the check
          else {
            const now = await snapshotRemote(t, remotePath);
            if (now) {
              throw cliError(
                'invalidInput',
                l10n.both(
                  '{0} already exists on {1}. To make sure you do not overwrite someone else\'s change, say which version you edited: --expect-sha256 {2} (the current one, from "ocm cat {1} {0} --json"), or use --force to replace it anyway (it is backed up first).',
                  remotePath,
                  id,
                  now.sha256,
                ),
                { usage: true, remoteSha256: now.sha256 },
              );
            }
            expected = 'absent';
          }
          const validator = await configValidator(t, node, remotePath);
          // The mix-up guard (MEMORY/SOUL/IDENTITY/USER.md): refuses another agent's text unless --force.
          const guards = opts.force ? undefined : cliGuardFor(ctx, t, node);
          const guard = await guards?.(remotePath);
          const result = await safeWrite(t, {
            home: ocmHome(ctx.env),
            nodeId: id,
            remotePath,
            content,
            expected,
            via: 'cli',
            ...(opts.force ? { overwrite: true } : {}),
            ...(validator ? { validator } : {}),
            ...(guard ? { beforeWrite: guard } : {}),
          }).catch((e: unknown) => {
            throw localizeMixup(e);
          });
          await guards?.noteWritten(remotePath, content);
          if (opts.json) return printJson(ctx, { ok: true, node: id, path: remotePath, ...result });
          printSaved(ctx, id, remotePath, result);
        });
      },
    );

  const history = program
    .command('history')
    .description(l10n.t('file history: pre-edit backups and saved versions of node files (list, show, restore, prune)'));

  history
    .command('list', { isDefault: true })
    .description(l10n.t('list the history of a file (pre-edit backups and saved versions), newest first (also: ocm history <id> <path>)'))
    .argument('<id>', l10n.t('node id'))
    .argument('<path>', l10n.t('absolute path on the node'))
    .addOption(jsonOption())
    .action(async (id: string, remotePath: string, opts: { json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      requireAbsolute(remotePath);
      const entries = await listHistory(ocmHome(ctx.env), id, remotePath);
      if (opts.json) return printJson(ctx, { node: id, path: remotePath, entries: entries });
      if (entries.length === 0) {
        ctx.out(l10n.t('No pre-edit backups of {0} on {1} yet (one is taken before every save).', remotePath, id) + '\n');
        return;
      }
      ctx.out(
        formatTable(
          [l10n.t('BACKUP ID'), l10n.t('TIME (UTC)'), l10n.t('SIZE'), 'SHA256', l10n.t('REASON')],
          entries.map((e) => [e.id, e.createdAt.replace('T', ' ').replace('Z', ''), String(e.size), e.sha256.slice(0, 12), e.reason]),
        ),
      );
    });

  history
    .command('show')
    .description(l10n.t('print the content of a pre-edit backup'))
    .argument('<backupId>', l10n.t('id printed by "ocm history <id> <path>"'))
    .addOption(jsonOption())
    .action(async (backupId: string, opts: { json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const { entry, content } = await readHistoryEntry(ocmHome(ctx.env), backupId);
      if (opts.json) return printJson(ctx, { entry, content: content.toString('utf8') });
      ctx.out(content.toString('utf8'));
    });

  history
    .command('restore')
    .description(l10n.t('put a pre-edit backup back on the node (through the safe save: the live file is backed up first)'))
    .argument('<backupId>', l10n.t('id printed by "ocm history <id> <path>"'))
    .option('--dry-run', l10n.t('show what would happen and change nothing'))
    .option('--yes', l10n.t('apply without asking (required when not on a terminal)'))
    .option('--force', l10n.t("restore even when the mix-up guard finds another agent's text in this version"))
    .addOption(jsonOption())
    .addOption(acceptNewOption())
    .action(async (backupId: string, opts: { yes?: boolean; dryRun?: boolean; json?: boolean; acceptNew?: boolean; force?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const home = ocmHome(ctx.env);
      const entry = await getHistoryEntry(home, backupId);
      await withTransport(ctx, entry.nodeId, opts, async (t, node) => {
        // The mix-up guard (MEMORY/SOUL/IDENTITY/USER.md): a version holding another agent's text
        // (a pasted-in copy that was saved once) is refused unless --force, as a save would be.
        const guard = opts.force ? undefined : await cliGuardHook(ctx, t, node, entry.remotePath);
        if (!opts.yes) {
          const now = await snapshotRemote(t, entry.remotePath);
          const live = now
            ? l10n.t(
                'the live file ({0} bytes, sha256 {1}, modified {2})',
                now.content.length,
                now.sha256.slice(0, 12),
                new Date(now.stat.mtimeMs).toISOString(),
              )
            : l10n.t('nothing (the file does not exist now)');
          // The guard's verdict before asking (the bytes are local, the live ones just read): a
          // restore it would refuse is not offered.
          if (guard) guard((await readHistoryEntry(home, backupId)).content, now?.content);
          if (opts.dryRun && opts.json)
            return printJson(ctx, {
              ok: true,
              dryRun: true,
              entry,
              live: now ? { sha256: now.sha256, size: now.content.length, mtimeMs: now.stat.mtimeMs } : null,
            });
          if (!opts.json)
            ctx.out(
              l10n.t(
                'Would restore {0} on {1} to the version of {2} ({3} bytes, sha256 {4}), replacing {5}, which is backed up first.',
                entry.remotePath,
                entry.nodeId,
                entry.createdAt,
                entry.size,
                entry.sha256.slice(0, 12),
                live,
              ) + '\n',
            );
          const decision = await decideDestructive(
            ctx,
            opts,
            l10n.t('Restore this version? [y/N] '),
            l10n.both('Restoring replaces {0} on {1}. Look first with --dry-run, then add --yes to restore.', entry.remotePath, entry.nodeId),
          );
          if (decision !== 'apply') {
            if (decision === 'declined') ctx.out(l10n.t('Nothing was changed.') + '\n');
            return;
          }
        }
        const validator = await configValidator(t, node, entry.remotePath);
        const result = await restoreHistoryEntry(t, { home, id: backupId, ...(validator ? { validator } : {}), ...(guard ? { beforeWrite: guard } : {}) });
        if (opts.json) return printJson(ctx, { ok: true, node: entry.nodeId, path: entry.remotePath, ...result, restored: result.restored });
        ctx.out(l10n.t('Restored the version of {0}.', entry.createdAt) + '\n');
        printSaved(ctx, entry.nodeId, entry.remotePath, result);
      }).catch((e: unknown) => {
        throw localizeMixup(e);
      });
    });

  registerPrune(history, ctx);
}

/** `ocm history prune`: drops old pre-edit backups (the destructive-verb convention of confirm.ts). */
function registerPrune(history: Command, ctx: CliContext): void {
  history
    .command('prune')
    .description(l10n.t('remove old pre-edit backups: per file, those beyond the newest --keep that are older than --older-than-days'))
    .option('--node <id>', l10n.t('only this node'))
    .addOption(new Option('--keep <n>', l10n.t('entries always kept per file (at least 1)')).argParser(intArg(1)).default(50))
    .addOption(new Option('--older-than-days <days>', l10n.t('only remove entries older than this')).argParser(numberArg(0)).default(30))
    .option('--dry-run', l10n.t('only list what would be removed'))
    .option('--yes', l10n.t('remove without asking (required when not on a terminal)'))
    .addOption(jsonOption())
    .action(async (opts: { node?: string; keep: number; olderThanDays: number; yes?: boolean; dryRun?: boolean; json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const prune = (dryRun: boolean) =>
        pruneHistory(ocmHome(ctx.env), {
          ...(opts.node ? { nodeId: opts.node } : {}),
          keepPerFile: opts.keep,
          olderThanMs: opts.olderThanDays * 86_400_000,
          dryRun,
        });
      let result = await prune(true);
      let dryRun = true;
      if (result.removed.length > 0 && !opts.dryRun) {
        if (!opts.yes && !opts.json)
          ctx.out(
            formatTable(
              [l10n.t('WOULD REMOVE'), l10n.t('NODE'), l10n.t('PATH'), l10n.t('TIME (UTC)'), l10n.t('SIZE')],
              result.removed.map((e) => [e.id, e.nodeId, e.remotePath, e.createdAt, String(e.size)]),
            ),
          );
        const decision = await decideDestructive(
          ctx,
          opts,
          l10n.t('Remove {0} pre-edit backup(s)? [y/N] ', result.removed.length),
          l10n.both('Pruning removes {0} pre-edit backup(s). Look first with --dry-run, then add --yes to remove them.', result.removed.length),
        );
        if (decision === 'declined') {
          ctx.out(l10n.t('Nothing was removed.') + '\n');
          return;
        }
        result = await prune(false);
        dryRun = false;
      }
      if (opts.json) return printJson(ctx, { ...result, dryRun });
      if (result.removed.length === 0) {
        ctx.out(l10n.t('Nothing to remove ({0} pre-edit backup(s) kept).', result.kept) + '\n');
        return;
      }
      if (dryRun) {
        ctx.out(
          formatTable(
            [l10n.t('WOULD REMOVE'), l10n.t('NODE'), l10n.t('PATH'), l10n.t('TIME (UTC)'), l10n.t('SIZE')],
            result.removed.map((e) => [e.id, e.nodeId, e.remotePath, e.createdAt, String(e.size)]),
          ),
        );
        return;
      }
      ctx.out(l10n.t('Removed {0} pre-edit backup(s); {1} kept.', result.removed.length, result.kept) + '\n');
    });
}

function printSaved(ctx: CliContext, nodeId: string, remotePath: string, r: SafeWriteResult): void {
  const sha = r.savedSha256.slice(0, 12);
  ctx.out(
    (r.validatedBy === 'none'
      ? l10n.t('Saved {0} on {1} ({2} bytes, sha256 {3}).', remotePath, nodeId, r.size, sha)
      : l10n.t(
          'Saved {0} on {1} ({2} bytes, sha256 {3}, checked by {4}).',
          remotePath,
          nodeId,
          r.size,
          sha,
          r.validatedBy === 'openclaw' ? 'openclaw config validate' : l10n.t('JSON5 parser'),
        )) + '\n',
  );
  ctx.out(
    (r.backupId ? l10n.t('Previous version kept as pre-edit backup {0} (ocm history show {0}).', r.backupId) : l10n.t('New file: nothing to back up.')) + '\n',
  );
  if (r.configChanged) ctx.out(l10n.t('The gateway hot-reloads valid config changes; settings such as the port take effect after a gateway restart.') + '\n');
  for (const w of r.warnings) ctx.err(l10n.t('warning: {0}', w) + '\n');
}
