import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { OcmError } from '../../core/errors';
import { ocmHome } from '../../core/home';
import { getHistoryEntry, listHistory, pruneHistory, readHistoryEntry } from '../../core/history';
import type { NodeEntry } from '../../core/registry';
import { locateOpenclaw } from '../../core/openclaw/locate';
import { fileKindFor, readForEdit, restoreHistoryEntry, safeWrite, snapshotRemote, validatorForNode, validatorFromLocation, type ExpectedRemote, type OpenclawValidator, type SafeWriteResult } from '../../core/safe-write';
import type { Transport } from '../../core/transport/types';
import { EXIT_USAGE, printJson, type CliContext } from '../context';
import { withNodeTransport } from '../node-connection';
import { formatTable } from '../table';

function requireAbsolute(remotePath: string): void {
  if (!remotePath.startsWith('/')) {
    throw new OcmError('invalidInput', `"${remotePath}" is not an absolute path on the node. Give the full path, e.g. /home/claw/.openclaw/workspace/MEMORY.md.`, { remotePath, usage: true });
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

function withTransport<T>(ctx: CliContext, nodeId: string, options: { acceptNew?: boolean }, work: (t: Transport, node: NodeEntry) => Promise<T>): Promise<T> {
  return withNodeTransport(ctx, nodeId, options, work);
}

const ACCEPT_NEW_HELP = "trust an SSH node's host key on first contact (recorded in the ocm trust store)";

/** `ocm cat`, `ocm put`, `ocm history [show|restore]`: remote files with safe save and pre-edit backups. */
export function registerFilesCommands(program: Command, ctx: CliContext): void {
  program
    .command('cat')
    .description('print a file of a node')
    .argument('<id>', 'node id')
    .argument('<path>', 'absolute path on the node')
    .option('--json', 'print {"path","sha256","mtimeMs","size","mode","content"} (use sha256 with "ocm put --expect-sha256")')
    .option('--accept-new', ACCEPT_NEW_HELP)
    .action(async (id: string, remotePath: string, opts: { json?: boolean; acceptNew?: boolean }) => {
      ctx.json = Boolean(opts.json);
      requireAbsolute(remotePath);
      await withTransport(ctx, id, opts, async (t) => {
        const file = await readForEdit(t, remotePath);
        if (opts.json) {
          return printJson(ctx, { node: id, path: remotePath, sha256: file.sha256, mtimeMs: file.mtimeMs, size: file.size, mode: file.mode, content: file.content.toString('utf8') });
        }
        ctx.out(file.content.toString('utf8'));
      });
    });

  program
    .command('put')
    .description('save a local file over a file of a node: pre-edit backup, conflict check, config validation, atomic write')
    .argument('<id>', 'node id')
    .argument('<path>', 'absolute path on the node')
    .argument('<localFile>', 'file on this machine with the new content')
    .option('--expect-sha256 <hash>', 'sha256 of the node\'s file as you last read it (from "ocm cat --json"); the save is refused if it changed')
    .option('--force', 'replace whatever is on the node now (it is still backed up first)')
    .option('--json', 'print the result as JSON')
    .option('--accept-new', ACCEPT_NEW_HELP)
    .action(async (id: string, remotePath: string, localFile: string, opts: { expectSha256?: string; force?: boolean; json?: boolean; acceptNew?: boolean }) => {
      ctx.json = Boolean(opts.json);
      requireAbsolute(remotePath);
      if (opts.expectSha256 !== undefined && !/^[0-9a-f]{64}$/i.test(opts.expectSha256)) {
        throw new OcmError('invalidInput', `--expect-sha256 must be 64 hex digits (the "sha256" printed by "ocm cat ${id} ${remotePath} --json").`, { usage: true });
      }
      const content = await readFile(localFile).catch((e: NodeJS.ErrnoException) => {
        throw new OcmError(e.code === 'ENOENT' ? 'notFound' : 'failed', `Cannot read ${localFile}: ${e.message}.`, { localFile });
      });
      await withTransport(ctx, id, opts, async (t, node) => {
        let expected: ExpectedRemote;
        if (opts.expectSha256) expected = { sha256: opts.expectSha256.toLowerCase() };
        else if (opts.force) expected = 'absent'; // ignored: overwrite skips the check
        else {
          const now = await snapshotRemote(t, remotePath);
          if (now) {
            throw new OcmError(
              'invalidInput',
              `${remotePath} already exists on ${id}. To make sure you do not overwrite someone else's change, say which version you edited: --expect-sha256 ${now.sha256} (the current one, from "ocm cat ${id} ${remotePath} --json"), or use --force to replace it anyway (it is backed up first).`,
              { usage: true, remoteSha256: now.sha256 },
            );
          }
          expected = 'absent';
        }
        const validator = await configValidator(t, node, remotePath);
        const result = await safeWrite(t, {
          home: ocmHome(ctx.env),
          nodeId: id,
          remotePath,
          content,
          expected,
          ...(opts.force ? { overwrite: true } : {}),
          ...(validator ? { validator } : {}),
        });
        if (opts.json) return printJson(ctx, { ok: true, node: id, path: remotePath, ...result });
        printSaved(ctx, id, remotePath, result);
      });
    });

  const history = program.command('history').description('file history: pre-edit backups and saved versions of node files (list, show, restore, prune)');

  history
    .command('list', { isDefault: true })
    .description('list the history of a file (pre-edit backups and saved versions), newest first (also: ocm history <id> <path>)')
    .argument('<id>', 'node id')
    .argument('<path>', 'absolute path on the node')
    .option('--json', 'print {"entries":[{id,time,size,sha256,reason,...}]}')
    .action(async (id: string, remotePath: string, opts: { json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      requireAbsolute(remotePath);
      const entries = await listHistory(ocmHome(ctx.env), id, remotePath);
      if (opts.json) return printJson(ctx, { node: id, path: remotePath, entries: entries });
      if (entries.length === 0) {
        ctx.out(`No pre-edit backups of ${remotePath} on ${id} yet (one is taken before every save).\n`);
        return;
      }
      ctx.out(formatTable(['BACKUP ID', 'TIME (UTC)', 'SIZE', 'SHA256', 'REASON'], entries.map((e) => [e.id, e.createdAt.replace('T', ' ').replace('Z', ''), String(e.size), e.sha256.slice(0, 12), e.reason])));
    });

  history
    .command('show')
    .description('print the content of a pre-edit backup')
    .argument('<backupId>', 'id printed by "ocm history <id> <path>"')
    .option('--json', 'print the entry metadata and content as JSON')
    .action(async (backupId: string, opts: { json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const { entry, content } = await readHistoryEntry(ocmHome(ctx.env), backupId);
      if (opts.json) return printJson(ctx, { entry, content: content.toString('utf8') });
      ctx.out(content.toString('utf8'));
    });

  history
    .command('restore')
    .description('put a pre-edit backup back on the node (through the safe save: the live file is backed up first)')
    .argument('<backupId>', 'id printed by "ocm history <id> <path>"')
    .option('--yes', 'restore without asking (without it, only shows what would happen)')
    .option('--json', 'print the result as JSON')
    .option('--accept-new', ACCEPT_NEW_HELP)
    .action(async (backupId: string, opts: { yes?: boolean; json?: boolean; acceptNew?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const home = ocmHome(ctx.env);
      const entry = await getHistoryEntry(home, backupId);
      await withTransport(ctx, entry.nodeId, opts, async (t, node) => {
        if (!opts.yes) {
          const now = await snapshotRemote(t, entry.remotePath);
          const live = now ? `the live file (${now.content.length} bytes, sha256 ${now.sha256.slice(0, 12)}, modified ${new Date(now.stat.mtimeMs).toISOString()})` : 'nothing (the file does not exist now)';
          if (opts.json) printJson(ctx, { ok: false, dryRun: true, entry, live: now ? { sha256: now.sha256, size: now.content.length, mtimeMs: now.stat.mtimeMs } : null });
          else ctx.out(`Would restore ${entry.remotePath} on ${entry.nodeId} to the version of ${entry.createdAt} (${entry.size} bytes, sha256 ${entry.sha256.slice(0, 12)}), replacing ${live}, which is backed up first.\nRun again with --yes to do it.\n`);
          ctx.exitCode = EXIT_USAGE;
          return;
        }
        const validator = await configValidator(t, node, entry.remotePath);
        const result = await restoreHistoryEntry(t, { home, id: backupId, ...(validator ? { validator } : {}) });
        if (opts.json) return printJson(ctx, { ok: true, node: entry.nodeId, path: entry.remotePath, ...result, restored: result.restored });
        ctx.out(`Restored the version of ${entry.createdAt}.\n`);
        printSaved(ctx, entry.nodeId, entry.remotePath, result);
      });
    });

  registerPrune(history, ctx);
}

/** `ocm history prune`: drops old pre-edit backups (asks for --yes, like restore). */
function registerPrune(history: Command, ctx: CliContext): void {
  history
    .command('prune')
    .description('remove old pre-edit backups: per file, those beyond the newest --keep that are older than --older-than-days')
    .option('--node <id>', 'only this node')
    .option('--keep <n>', 'entries always kept per file (at least 1)', '50')
    .option('--older-than-days <days>', 'only remove entries older than this', '30')
    .option('--yes', 'remove them (without it, only lists what would be removed)')
    .option('--json', 'print {"removed":[entries],"kept":n,"dryRun":bool}')
    .action(async (opts: { node?: string; keep: string; olderThanDays: string; yes?: boolean; json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const keep = Number(opts.keep);
      const days = Number(opts.olderThanDays);
      if (!Number.isInteger(keep) || keep < 1 || !Number.isFinite(days) || days < 0) {
        throw new OcmError('invalidInput', '--keep must be a whole number of at least 1 and --older-than-days a number of days (0 or more).', { usage: true });
      }
      const result = await pruneHistory(ocmHome(ctx.env), { ...(opts.node ? { nodeId: opts.node } : {}), keepPerFile: keep, olderThanMs: days * 86_400_000, dryRun: !opts.yes });
      if (!opts.yes) ctx.exitCode = result.removed.length > 0 ? EXIT_USAGE : 0;
      if (opts.json) return printJson(ctx, { ...result, dryRun: !opts.yes });
      if (result.removed.length === 0) {
        ctx.out(`Nothing to remove (${result.kept} pre-edit backup(s) kept).\n`);
        return;
      }
      if (!opts.yes) {
        ctx.out(formatTable(['WOULD REMOVE', 'NODE', 'PATH', 'TIME (UTC)', 'SIZE'], result.removed.map((e) => [e.id, e.nodeId, e.remotePath, e.createdAt, String(e.size)])));
        ctx.out('Run again with --yes to remove them.\n');
        return;
      }
      ctx.out(`Removed ${result.removed.length} pre-edit backup(s); ${result.kept} kept.\n`);
    });
}

function printSaved(ctx: CliContext, nodeId: string, remotePath: string, r: SafeWriteResult): void {
  ctx.out(`Saved ${remotePath} on ${nodeId} (${r.size} bytes, sha256 ${r.savedSha256.slice(0, 12)}${r.validatedBy !== 'none' ? `, checked by ${r.validatedBy === 'openclaw' ? 'openclaw config validate' : 'JSON5 parser'}` : ''}).\n`);
  ctx.out(r.backupId ? `Previous version kept as pre-edit backup ${r.backupId} (ocm history show ${r.backupId}).\n` : 'New file: nothing to back up.\n');
  if (r.configChanged) ctx.out('The gateway hot-reloads valid config changes; settings such as the port take effect after a gateway restart.\n');
  for (const w of r.warnings) ctx.err(`warning: ${w}\n`);
}
