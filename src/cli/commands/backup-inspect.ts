import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { addLineCounts, backupStoreFor, diffBackups, diffBackupWithLive, liveReader, unifiedDiff, verifyArchive, type BackupDiff } from '../../core/backup';
import { formatBytes } from '../../core/format-bytes';
import { checkRepository, verifySnapshot } from '../../core/repository';
import { printJson, type CliContext } from '../context';
import { withInterrupt } from '../interrupt';
import { cliError, l10n } from '../l10n';
import { jsonOption, acceptNewOption } from '../options';
import { withNodeAccess } from '../node-connection';
import { usage } from './backup';

/**
 * `ocm verify | check | diff`: is a backup whole (one snapshot's data, or an archive file's
 * structure), is the repository whole (structure, references, with --read-data every byte), and
 * what changed between two backups or a backup and the live node.
 */

function printDiff(ctx: CliContext, labelA: string, labelB: string, d: BackupDiff): void {
  ctx.out(l10n.t('Comparing {0} → {1}', labelA, labelB) + '\n');
  const lines = (c: { linesAdded?: number; linesRemoved?: number; modeOnly?: boolean; modeA?: number; modeB?: number; noLineCount?: string }): string =>
    c.modeOnly
      ? ` ${l10n.t('(mode {0} → {1})', c.modeA?.toString(8) ?? '', c.modeB?.toString(8) ?? '')}`
      : c.linesAdded !== undefined
        ? ` (+${c.linesAdded} -${c.linesRemoved})`
        : c.noLineCount
          ? ` (${c.noLineCount})`
          : '';
  for (const a of d.added) ctx.out(`  A  ${a.path}\n`);
  for (const r of d.removed) ctx.out(`  D  ${r.path}\n`);
  for (const c of d.changed) ctx.out(`  M  ${c.path}${lines(c)}\n`);
  ctx.out(l10n.t('{0} added, {1} removed, {2} changed, {3} unchanged.', d.added.length, d.removed.length, d.changed.length, d.unchanged) + '\n');
}

export function registerBackupInspectCommands(program: Command, ctx: CliContext): void {
  program
    .command('verify')
    .description(
      l10n.t(
        "verify a backup: every file read back from the repository and checked against its hash (or an archive file's structure and safety; nothing is extracted)",
      ),
    )
    .argument('<backup>', l10n.t('<nodeId>/<id>, an id, or the path of an archive file'))
    .addOption(jsonOption())
    .action(async (ref: string, opts: { json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      if (/\.(tar\.gz|tgz)$/.test(ref) && existsSync(ref)) {
        const result = await verifyArchive(ref);
        if (opts.json) return printJson(ctx, result);
        ctx.out(
          l10n.t('Archive OK: {0}', ref) +
            '\n  ' +
            l10n.t(
              '{0} entries, {1} files, {2} unpacked, OpenClaw {3}',
              result.entryCount,
              result.fileCount,
              formatBytes(result.totalBytes),
              String(result.runtimeVersion),
            ) +
            '\n',
        );
        return;
      }
      const store = backupStoreFor(ctx.env);
      const repo = await store.repository();
      const snap = await repo.resolve(ref);
      await withInterrupt(async (signal) => {
        const result = await verifySnapshot(repo, snap, { signal });
        if (!result.ok) ctx.exitCode = 1;
        if (opts.json) return printJson(ctx, result);
        if (result.ok)
          ctx.out(l10n.t('Backup OK: {0} ({1} files, {2}, every byte checked)', result.snapshot, result.fileCount, formatBytes(result.totalBytes)) + '\n');
        else {
          ctx.out(l10n.t('Backup {0} is damaged: {1} file(s) cannot be restored.', result.snapshot, result.damaged.length) + '\n');
          for (const d of result.damaged) ctx.out(`  ${d.path}: ${d.reason}\n`);
        }
      });
    });

  program
    .command('check')
    .description(l10n.t("check the backup repository: structure, index against packs, every snapshot's references (with --read-data every byte)"))
    .option('--read-data', l10n.t('also read every object and check it against its hash'))
    .addOption(jsonOption())
    .action(async (opts: { readData?: boolean; json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const repo = await backupStoreFor(ctx.env).repository();
      await withInterrupt(async (signal) => {
        const result = await checkRepository(repo, { readData: Boolean(opts.readData), signal });
        if (!result.ok) ctx.exitCode = 1;
        if (opts.json) return printJson(ctx, result);
        ctx.out(
          l10n.t(
            '{0} snapshots, {1} packs, {2} objects checked{3}.',
            result.snapshots,
            result.packs,
            result.objects,
            result.readData ? l10n.t(' (every byte read)') : '',
          ) + '\n',
        );
        for (const p of result.problems) ctx.out(`  ${p.message}\n`);
        for (const d of result.damaged)
          ctx.out(l10n.t('Damaged snapshot {0}: {1}', d.snapshot, d.files.slice(0, 20).join(', ') + (d.files.length > 20 ? ', ...' : '')) + '\n');
        ctx.out((result.ok ? l10n.t('Repository OK.') : l10n.t('The repository has problems (see above). Snapshots not named are intact.')) + '\n');
      });
    });

  program
    .command('diff')
    .description(l10n.t('compare two backups, or a backup with the live node'))
    .argument('<a>', l10n.t('a backup (the older side)'))
    .argument('<b>', l10n.t('another backup, or "live" for the node as it is now'))
    .option('--file <path>', l10n.t('print a unified diff of this one file (absolute path on the node)'))
    .option('--no-lines', l10n.t('skip line counts (index only, fastest)'))
    .addOption(jsonOption())
    .addOption(acceptNewOption())
    .action(async (refA: string, refB: string, opts: { file?: string; lines: boolean; json?: boolean; acceptNew?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const store = backupStoreFor(ctx.env);
      const a = await store.resolve(refA);
      const labelA = `${a.nodeId}/${a.id}`;
      const readA = (paths: string[]) => store.readFiles(a, paths);
      await withNodeAccess(ctx, { acceptNew: Boolean(opts.acceptNew) }, async (access) => {
        let d: BackupDiff;
        let labelB: string;
        let readB: (paths: string[]) => Promise<Map<string, Buffer>>;
        if (refB === 'live') {
          const transport = await access.transport(a.nodeId);
          labelB = `${a.nodeId} (live)`;
          readB = liveReader(transport);
          d = opts.file ? { added: [], removed: [], changed: [], unchanged: 0 } : await diffBackupWithLive(a, transport);
        } else {
          const b = await store.resolve(refB);
          labelB = `${b.nodeId}/${b.id}`;
          readB = (paths) => store.readFiles(b, paths);
          d = diffBackups(a, b);
        }
        if (opts.file) {
          if (!opts.file.startsWith('/')) throw usage(l10n.both('--file needs the absolute path on the node (as listed by "ocm diff"), got "{0}".', opts.file));
          const [sideA, sideB] = await Promise.all([readA([opts.file]), readB([opts.file])]);
          if (!sideA.has(opts.file) && !sideB.has(opts.file))
            throw cliError('notFound', l10n.both('{0} is in neither {1} nor {2}.', opts.file, labelA, labelB), { path: opts.file });
          const patch = unifiedDiff(opts.file, 'a', 'b', sideA.get(opts.file), sideB.get(opts.file));
          if (opts.json) return printJson(ctx, { a: labelA, b: labelB, path: opts.file, patch });
          ctx.out(patch);
          return;
        }
        if (opts.lines) await addLineCounts(d, readA, readB);
        if (opts.json) return printJson(ctx, { a: labelA, b: labelB, ...d });
        printDiff(ctx, labelA, labelB, d);
      });
    });
}
