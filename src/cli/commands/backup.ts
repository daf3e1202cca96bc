import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import {
  addLineCounts,
  backupNode,
  backupSourcesFromLocation,
  backupStoreFor,
  diffBackups,
  diffBackupWithLive,
  liveReader,
  openclawCommandFromLocation,
  readArchiveFiles,
  unifiedDiff,
  verifyArchive,
  type BackupDiff,
  type BackupIndex,
  type BackupStore,
  type EngineChoice,
} from '../../core/backup';
import { OcmError, toOcmError } from '../../core/errors';
import { locateOpenclaw } from '../../core/openclaw/locate';
import type { NodeEntry } from '../../core/registry';
import type { Transport } from '../../core/transport/types';
import { printJson, type CliContext } from '../context';
import { withNodeAccess } from '../node-connection';
import { cliError, errorText, l10n, type Localized } from '../l10n';
import { formatTable } from '../table';
import { registryFor } from './registry';
import { interruptSignal } from '../interrupt';

/**
 * `ocm backup | backups | verify | diff | prune | pin | unpin`: the backup store from the terminal.
 * A cron line for scheduled backups: `0 3 * * * ocm backup --all --json >> ~/ocm-backup.log 2>&1`.
 */

const ENGINES: EngineChoice[] = ['auto', 'openclaw', 'ocm'];

function usage(message: Localized): OcmError {
  return cliError('invalidInput', message, { usage: true });
}


async function gatewayListening(transport: Transport, port: number): Promise<boolean> {
  try {
    const socket = await transport.connectTcp(port, { timeoutMs: 3_000 });
    socket.destroy();
    return true;
  } catch {
    return false;
  }
}

function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

function summaryJson(index: BackupIndex): Omit<BackupIndex, 'entries'> & { entryCount: number } {
  const { entries, ...rest } = index;
  return { ...rest, entryCount: entries.length };
}

async function backupOne(
  ctx: CliContext,
  store: BackupStore,
  node: NodeEntry,
  transport: Transport,
  opts: { engine: EngineChoice; includeTranscripts: boolean; configOnly: boolean },
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  {
    const location = await locateOpenclaw(transport, node, { signal });
    const sources = backupSourcesFromLocation(location);
    const gatewayRunning = await gatewayListening(transport, location.gatewayPort);
    let lastReport = 0;
    const result = await backupNode({
      store,
      nodeId: node.id,
      transport,
      engine: opts.engine,
      openclaw: openclawCommandFromLocation(location),
      sources,
      includeTranscripts: opts.includeTranscripts,
      configOnly: opts.configOnly,
      gatewayRunning,
      signal,
      onProgress: (p) => {
        if (ctx.json || p.phase !== 'transferring' || Date.now() - lastReport < 1000) return;
        lastReport = Date.now();
        ctx.err((p.totalBytes ? l10n.t('{0}: {1} of {2} received', node.id, humanSize(p.bytes), humanSize(p.totalBytes)) : l10n.t('{0}: {1} received', node.id, humanSize(p.bytes))) + '\n');
      },
    });
    return { nodeId: node.id, ok: true, engine: result.engine, archivePath: result.archivePath, warnings: result.warnings, backup: summaryJson(result.index) };
  }
}

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

export function registerBackupCommands(program: Command, ctx: CliContext): void {
  program
    .command('backup')
    .description(l10n.t("back up nodes into the local backup store (OpenClaw's own backup when available, else a streamed tar)"))
    .argument('[ids...]', l10n.t('node ids'))
    .option('--all', l10n.t('every active node'))
    .option('--engine <engine>', 'auto | openclaw | ocm', 'auto')
    .option('--include-transcripts', l10n.t("also session transcripts (JSONL), which OpenClaw's own backup leaves out (uses the ocm engine)"))
    .option('--config-only', l10n.t('only the config file'))
    .option('--json', l10n.t('print {"results":[{nodeId, ok, engine, archivePath, backup | error}]}'))
    .addHelpText(
      'after',
      '\n' +
        l10n.t('Backups go to <ocm home>/backups/<node>/ (or $OCM_BACKUP_DIR), owner-only. Scheduled backups with cron:') +
        '\n  0 3 * * * ocm backup --all --json >> "$HOME/ocm-backup.log" 2>&1 && ocm prune --keep 14\n',
    )
    .option('--accept-new', l10n.t('trust the SSH host key of a node seen for the first time'))
    .action(async (ids: string[], opts: { all?: boolean; engine: string; includeTranscripts?: boolean; configOnly?: boolean; json?: boolean; acceptNew?: boolean }) => {
      ctx.json = Boolean(opts.json);
      if (!ENGINES.includes(opts.engine as EngineChoice)) throw usage(l10n.both('--engine must be one of {0} (got "{1}").', ENGINES.join(', '), opts.engine));
      if (!opts.all && ids.length === 0) throw usage(l10n.both('Name the nodes to back up (ocm backup <id...>) or use --all.'));
      const registry = registryFor(ctx);
      const nodes = opts.all ? await registry.list({ includeRetired: false }) : await Promise.all(ids.map((id) => registry.get(id)));
      if (nodes.length === 0) throw cliError('notFound', l10n.both('There are no active nodes to back up. Add one with: ocm add <id> <target>'));
      const store = backupStoreFor(ctx.env);
      const { signal, dispose } = interruptSignal();
      const results: Array<Record<string, unknown>> = [];
      try {
        await withNodeAccess(ctx, { acceptNew: Boolean(opts.acceptNew) }, async (access) => {
          for (const node of nodes) {
            if (signal.aborted) break;
            if (!ctx.json) ctx.err(l10n.t('{0}: backing up...', node.id) + '\n');
            try {
              const r = await backupOne(ctx, store, node, await access.transport(node.id), { engine: opts.engine as EngineChoice, includeTranscripts: Boolean(opts.includeTranscripts), configOnly: Boolean(opts.configOnly) }, signal);
              results.push(r);
              if (!ctx.json) {
                const b = r.backup as ReturnType<typeof summaryJson>;
                ctx.out(l10n.t('{0}: {1} ({2}, {3}, {4} entries)', node.id, `${b.nodeId}/${b.id}`, String(r.engine), humanSize(b.archiveSize), b.entryCount) + '\n');
                for (const w of r.warnings as string[]) ctx.err(l10n.t('{0}: warning: {1}', node.id, w) + '\n');
              }
            } catch (e) {
              const err = toOcmError(e);
              results.push({ nodeId: node.id, ok: false, error: err.toJSON() });
              if (!ctx.json) ctx.err(l10n.t('{0}: backup failed: {1}', node.id, errorText(err)) + '\n');
            }
          }
        });
      } finally {
        dispose();
      }
      if (results.some((r) => !r.ok) || signal.aborted) ctx.exitCode = 1;
      if (ctx.json) printJson(ctx, { results });
    });

  program
    .command('backups')
    .description(l10n.t('list backups in the store (newest first)'))
    .argument('[id]', l10n.t('only this node'))
    .option('--json', l10n.t('print {"backups":[{id,nodeId,createdAt,engine,openclawVersion,archiveFile,archiveSize,pinned,...}]}'))
    .action(async (nodeId: string | undefined, opts: { json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const store = backupStoreFor(ctx.env);
      const backups = await store.list(nodeId);
      if (opts.json) return printJson(ctx, { store: store.root, backups });
      if (backups.length === 0) {
        ctx.out((nodeId ? l10n.t('No backups of {0} in {1}. Make one with: ocm backup <id>', nodeId, store.root) : l10n.t('No backups in {0}. Make one with: ocm backup <id>', store.root)) + '\n');
        return;
      }
      ctx.out(
        formatTable(
          [l10n.t('BACKUP'), l10n.t('CREATED'), l10n.t('ENGINE'), l10n.t('OPENCLAW'), l10n.t('SIZE'), l10n.t('PINNED')],
          backups.map((b) => [`${b.nodeId}/${b.id}`, b.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), b.engine, b.openclawVersion ?? '-', humanSize(b.archiveSize), b.pinned ? l10n.t('yes') : '']),
        ),
      );
    });

  program
    .command('verify')
    .description(l10n.t('verify a backup: checksum, every entry against its index, structure and safety (nothing is extracted)'))
    .argument('<backup>', l10n.t('<nodeId>/<id>, an id, or the path of an archive'))
    .option('--json', l10n.t('print the verification result as JSON'))
    .action(async (ref: string, opts: { json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const store = backupStoreFor(ctx.env);
      let archivePath: string;
      let index: BackupIndex | undefined;
      try {
        index = await store.resolve(ref);
        archivePath = store.archivePath(index);
      } catch (e) {
        // An archive outside the store (no index): structure and safety checks only.
        if (!(e instanceof OcmError && e.kind === 'notFound' && existsSync(ref))) throw e;
        archivePath = ref;
      }
      const result = await verifyArchive(archivePath, index);
      if (opts.json) return printJson(ctx, result);
      ctx.out(
        l10n.t('Backup OK: {0}', archivePath) +
          '\n  ' +
          l10n.t('{0} entries, {1} files, {2} unpacked, OpenClaw {3}', result.entryCount, result.fileCount, humanSize(result.totalBytes), String(result.runtimeVersion)) +
          '\n  ' +
          (index ? l10n.t('Checksum and every entry match the index.') : l10n.t('No index (not from this store): structure and safety checked only.')) +
          '\n' +
          (result.externalSymbolicLinks.length ? `  ${l10n.t('{0} symbolic link(s) point outside the state dir (kept as links).', result.externalSymbolicLinks.length)}\n` : ''),
      );
    });

  program
    .command('diff')
    .description(l10n.t('compare two backups, or a backup with the live node'))
    .argument('<a>', l10n.t('a backup (the older side)'))
    .argument('<b>', l10n.t('another backup, or "live" for the node as it is now'))
    .option('--file <path>', l10n.t('print a unified diff of this one file (absolute path on the node)'))
    .option('--no-lines', l10n.t('skip line counts (index only, fastest)'))
    .option('--json', l10n.t('print {"a","b","added":[],"removed":[],"changed":[{path,sizeA,sizeB,linesAdded?,linesRemoved?}],"unchanged":N}'))
    .option('--accept-new', l10n.t('trust the SSH host key of a node seen for the first time (diff with live)'))
    .action(async (refA: string, refB: string, opts: { file?: string; lines: boolean; json?: boolean; acceptNew?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const store = backupStoreFor(ctx.env);
      const a = await store.resolve(refA);
      const archiveA = store.archivePath(a);
      const labelA = `${a.nodeId}/${a.id}`;
      const readA = (paths: string[]) => readArchiveFiles(archiveA, paths);
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
          const archiveB = store.archivePath(b);
          labelB = `${b.nodeId}/${b.id}`;
          readB = (paths) => readArchiveFiles(archiveB, paths);
          d = diffBackups(a, b);
        }
        if (opts.file) {
          if (!opts.file.startsWith('/')) throw usage(l10n.both('--file needs the absolute path on the node (as listed by "ocm diff"), got "{0}".', opts.file));
          const [sideA, sideB] = await Promise.all([readA([opts.file]), readB([opts.file])]);
          if (!sideA.has(opts.file) && !sideB.has(opts.file)) throw cliError('notFound', l10n.both('{0} is in neither {1} nor {2}.', opts.file, labelA, labelB), { path: opts.file });
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

  program
    .command('prune')
    .description(l10n.t('delete old backups: keep the newest N per node plus pinned ones'))
    .option('--keep <n>', l10n.t('backups to keep per node'), '10')
    .option('--node <id>', l10n.t('only this node'))
    .option('--dry-run', l10n.t('only show what would be deleted'))
    .option('--json', l10n.t('print {"dryRun":bool,"removed":[...],"kept":[...]}'))
    .action(async (opts: { keep: string; node?: string; dryRun?: boolean; json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const keep = Number(opts.keep);
      if (!/^\d+$/.test(opts.keep)) throw usage(l10n.both('--keep must be a whole number ≥ 0 (got "{0}").', opts.keep));
      const result = await backupStoreFor(ctx.env).prune({ keep, ...(opts.node ? { nodeId: opts.node } : {}), dryRun: Boolean(opts.dryRun) });
      if (opts.json) return printJson(ctx, result);
      for (const r of result.removed) ctx.out((result.dryRun ? l10n.t('Would delete {0}', `${r.nodeId}/${r.id}`) : l10n.t('Deleted {0}', `${r.nodeId}/${r.id}`)) + '\n');
      ctx.out(
        (result.dryRun
          ? l10n.t('Would delete {0} backup(s); kept {1}.', result.removed.length, result.kept.length)
          : l10n.t('Deleted {0} backup(s); kept {1}.', result.removed.length, result.kept.length)) + '\n',
      );
    });

  for (const [verb, pinned] of [['pin', true], ['unpin', false]] as const) {
    program
      .command(verb)
      .description(pinned ? l10n.t('keep a backup forever (prune skips pinned backups)') : l10n.t('let prune delete a backup again'))
      .argument('<backup>', l10n.t('<nodeId>/<id> or an id'))
      .option('--json', l10n.t('print the backup summary as JSON'))
      .action(async (ref: string, opts: { json?: boolean }) => {
        ctx.json = Boolean(opts.json);
        const index = await backupStoreFor(ctx.env).setPinned(ref, pinned);
        if (opts.json) return printJson(ctx, { backup: summaryJson(index) });
        ctx.out((pinned ? l10n.t('Pinned {0}.', `${index.nodeId}/${index.id}`) : l10n.t('Unpinned {0}.', `${index.nodeId}/${index.id}`)) + '\n');
      });
  }
}
