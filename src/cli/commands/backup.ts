import type { Command } from 'commander';
import {
  backupNode,
  backupSourcesFromLocation,
  backupStoreFor,
  openclawCommandFromLocation,
  type BackupNodeResult,
  type BackupStore,
  type EngineChoice,
} from '../../core/backup';
import { toOcmError } from '../../core/errors';
import { formatBytes } from '../../core/format-bytes';
import { gatewayIsRunning } from '../../core/operations/gateway';
import { locateOpenclaw } from '../../core/openclaw/locate';
import type { NodeEntry } from '../../core/registry';
import type { Transport } from '../../core/transport/types';
import { printJson, type CliContext } from '../context';
import { interruptSignal } from '../interrupt';
import { cliError, errorText, l10n, type Localized } from '../l10n';
import { jsonOption, acceptNewOption } from '../options';
import { withNodeAccess } from '../node-connection';
import { formatTable } from '../table';
import { registryFor } from './registry';

/**
 * `ocm backup | backups | pin | unpin`: snapshots of nodes into the backup repository (only what
 * changed since the node's last snapshot crosses the wire). Scheduled with cron, e.g. every 15
 * minutes: `*\/15 * * * * ocm backup --all --json >> ~/ocm-backup.log 2>&1`.
 */

const ENGINES: EngineChoice[] = ['auto', 'openclaw', 'ocm'];

export function usage(message: Localized) {
  return cliError('invalidInput', message, { usage: true });
}

async function backupOne(
  ctx: CliContext,
  store: BackupStore,
  node: NodeEntry,
  transport: Transport,
  opts: { engine: EngineChoice; includeTranscripts: boolean; configOnly: boolean; fullRescan: boolean },
  signal: AbortSignal,
): Promise<BackupNodeResult> {
  const location = await locateOpenclaw(transport, node, { signal });
  let lastReport = 0;
  return backupNode({
    store,
    nodeId: node.id,
    transport,
    engine: opts.engine,
    openclaw: openclawCommandFromLocation(location),
    sources: backupSourcesFromLocation(location),
    includeTranscripts: opts.includeTranscripts,
    configOnly: opts.configOnly,
    fullRescan: opts.fullRescan,
    gatewayRunning: await gatewayIsRunning({ transport, location, node }),
    signal,
    onProgress: (p) => {
      if (ctx.json || p.phase !== 'transferring' || Date.now() - lastReport < 1000) return;
      lastReport = Date.now();
      ctx.err(l10n.t('{0}: {1} received', node.id, formatBytes(p.bytes)) + '\n');
    },
  });
}

function resultJson(node: NodeEntry, r: BackupNodeResult): Record<string, unknown> {
  const { entries, ...summary } = r.index;
  return { nodeId: node.id, ok: true, engine: r.engine, warnings: r.warnings, stats: r.stats ?? null, backup: { ...summary, entryCount: entries.length } };
}

function printResult(ctx: CliContext, node: NodeEntry, r: BackupNodeResult): void {
  const ref = `${r.index.nodeId}/${r.index.id}`;
  if (r.stats) {
    ctx.out(
      l10n.t(
        '{0}: {1} ({2} of {3} files changed, {4} received, {5} stored, {6} s)',
        node.id,
        ref,
        r.stats.changedFiles,
        r.stats.listedFiles,
        formatBytes(r.stats.transferredBytes),
        formatBytes(r.stats.storedBytes),
        (r.stats.durationMs / 1000).toFixed(1),
      ) + '\n',
    );
  } else ctx.out(l10n.t('{0}: {1} ({2}, {3} entries)', node.id, ref, r.engine, r.index.entries.length) + '\n');
  for (const w of r.warnings) ctx.err(l10n.t('{0}: warning: {1}', node.id, w) + '\n');
}

export function registerBackupCommands(program: Command, ctx: CliContext): void {
  program
    .command('backup')
    .description(l10n.t('take a snapshot of nodes into the backup repository (only what changed since the last one is transferred)'))
    .argument('[ids...]', l10n.t('node ids'))
    .option('--all', l10n.t('every active node'))
    .option('--engine <engine>', l10n.t("auto | ocm (incremental snapshot) | openclaw (OpenClaw's own full archive, imported)"), 'auto')
    .option('--include-transcripts', l10n.t('also session transcripts (JSONL)'))
    .option('--config-only', l10n.t('only the config file'))
    .option('--full-rescan', l10n.t('read every file again and compare by content (ignores the last snapshot)'))
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\n' +
        l10n.t('Snapshots go to the repository in <ocm home>/backups/repository (or $OCM_BACKUP_DIR/repository), owner-only. Every 15 minutes with cron:') +
        '\n  */15 * * * * ocm backup --all --json >> "$HOME/ocm-backup.log" 2>&1\n  30 3 * * * ocm prune --keep-last 8 --keep-hourly 48 --keep-daily 30 --keep-monthly 12 --yes\n',
    )
    .addOption(acceptNewOption())
    .action(
      async (
        ids: string[],
        opts: { all?: boolean; engine: string; includeTranscripts?: boolean; configOnly?: boolean; fullRescan?: boolean; json?: boolean; acceptNew?: boolean },
      ) => {
        ctx.json = Boolean(opts.json);
        if (!ENGINES.includes(opts.engine as EngineChoice)) throw usage(l10n.both('--engine must be one of {0} (got "{1}").', ENGINES.join(', '), opts.engine));
        if (!opts.all && ids.length === 0) throw usage(l10n.both('Name the nodes to back up (ocm backup <id...>) or use --all.'));
        const registry = registryFor(ctx);
        const nodes = opts.all ? await registry.list({ includeRetired: false }) : await Promise.all(ids.map((id) => registry.get(id)));
        if (nodes.length === 0) throw cliError('notFound', l10n.both('There are no active nodes to back up. Add one with: ocm add <id> <target>'));
        const store = backupStoreFor(ctx.env);
        const { signal, dispose } = interruptSignal();
        const results: Array<Record<string, unknown>> = [];
        const options = {
          engine: opts.engine as EngineChoice,
          includeTranscripts: Boolean(opts.includeTranscripts),
          configOnly: Boolean(opts.configOnly),
          fullRescan: Boolean(opts.fullRescan),
        };
        try {
          await withNodeAccess(ctx, { acceptNew: Boolean(opts.acceptNew) }, async (access) => {
            for (const node of nodes) {
              if (signal.aborted) break;
              if (!ctx.json) ctx.err(l10n.t('{0}: backing up...', node.id) + '\n');
              try {
                const r = await backupOne(ctx, store, node, await access.transport(node.id), options, signal);
                results.push(resultJson(node, r));
                if (!ctx.json) printResult(ctx, node, r);
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
      },
    );

  program
    .command('backups')
    .description(l10n.t('list backups in the repository (newest first)'))
    .argument('[id]', l10n.t('only this node'))
    .addOption(jsonOption())
    .action(async (nodeId: string | undefined, opts: { json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const store = backupStoreFor(ctx.env);
      const backups = await store.list(nodeId);
      for (const f of store.lastLegacyImport?.failed ?? []) ctx.err(l10n.t('warning: could not import the old backup {0}: {1}', f.backup, f.error) + '\n');
      if (opts.json) return printJson(ctx, { store: store.root, repository: store.repositoryRoot, backups });
      if (backups.length === 0) {
        ctx.out(
          (nodeId
            ? l10n.t('No backups of {0} in {1}. Make one with: ocm backup <id>', nodeId, store.repositoryRoot)
            : l10n.t('No backups in {0}. Make one with: ocm backup <id>', store.repositoryRoot)) + '\n',
        );
        return;
      }
      ctx.out(
        formatTable(
          [l10n.t('BACKUP'), l10n.t('CREATED'), l10n.t('ENGINE'), l10n.t('OPENCLAW'), l10n.t('SIZE'), l10n.t('PINNED')],
          backups.map((b) => [
            `${b.nodeId}/${b.id}`,
            b.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
            b.engine,
            b.openclawVersion ?? '-',
            formatBytes(b.archiveSize),
            b.pinned ? l10n.t('yes') : '',
          ]),
        ),
      );
    });

  for (const [verb, pinned] of [
    ['pin', true],
    ['unpin', false],
  ] as const) {
    program
      .command(verb)
      .description(pinned ? l10n.t('keep a backup forever (prune skips pinned backups)') : l10n.t('let prune delete a backup again'))
      .argument('<backup>', l10n.t('<nodeId>/<id> or an id'))
      .addOption(jsonOption())
      .action(async (ref: string, opts: { json?: boolean }) => {
        ctx.json = Boolean(opts.json);
        const { entries, ...summary } = await backupStoreFor(ctx.env).setPinned(ref, pinned);
        if (opts.json) return printJson(ctx, { backup: { ...summary, entryCount: entries.length } });
        ctx.out((pinned ? l10n.t('Pinned {0}.', `${summary.nodeId}/${summary.id}`) : l10n.t('Unpinned {0}.', `${summary.nodeId}/${summary.id}`)) + '\n');
      });
  }
}
