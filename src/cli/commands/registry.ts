import { Option, type Command } from 'commander';
import { ocmHome, registryPath } from '../../core/home';
import { formatTarget, NodeRegistry, parseTarget, readImportFile, type NodeEntry } from '../../core/registry';
import { printJson, type CliContext } from '../context';
import { cliError, l10n } from '../l10n';
import { jsonOption, intArg } from '../options';
import { formatTable } from '../table';

export function registryFor(ctx: CliContext): NodeRegistry {
  return new NodeRegistry(registryPath(ocmHome(ctx.env)));
}

/** `ocm list|add|retire|import`: the node registry shared with the extension. */
export function registerRegistryCommands(program: Command, ctx: CliContext): void {
  program
    .command('list')
    .description(l10n.t('list registered nodes'))
    .addOption(jsonOption())
    .option('--active', l10n.t('only active nodes (hide retired ones)'))
    .action(async (opts: { json?: boolean; active?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const nodes = await registryFor(ctx).list({ includeRetired: !opts.active });
      if (opts.json) return printJson(ctx, { nodes });
      if (nodes.length === 0) {
        ctx.out(l10n.t('No nodes yet. Add one with: ocm add <id> <[user@]host[:port]>') + '\n');
        return;
      }
      ctx.out(
        formatTable(
          [l10n.t('ID'), l10n.t('TARGET'), l10n.t('STATE DIR'), l10n.t('STATUS'), l10n.t('LABELS')],
          nodes.map((n) => [n.id, targetOf(n), n.stateDir ?? '-', n.status === 'retired' ? l10n.t('retired') : l10n.t('active'), n.labels.join(',') || '-']),
        ),
      );
    });

  program
    .command('add')
    .description(l10n.t('register a node'))
    .argument('<id>', l10n.t('short node id (letters, digits, ".", "_", "-")'))
    .argument('<target>', l10n.t('[user@]host[:port] or a Host alias from ~/.ssh/config ("local" for this machine)'))
    .option('--identity <file>', l10n.t('SSH private key file'))
    .option('--state-dir <dir>', l10n.t('OpenClaw state dir on the node (default: discovered)'))
    .option('--openclaw <path>', l10n.t('path of the openclaw binary on the node'))
    .addOption(new Option('--gateway-port <port>', l10n.t('gateway port on the node (default: discovered)')).argParser(intArg(1, 65535)))
    .option('--label <label...>', l10n.t('labels for grouping'))
    .addOption(jsonOption())
    .action(
      async (
        id: string,
        target: string,
        opts: { identity?: string; stateDir?: string; openclaw?: string; gatewayPort?: number; label?: string[]; json?: boolean },
      ) => {
        ctx.json = Boolean(opts.json);
        const parsed = parseTarget(target);
        const gatewayPort = opts.gatewayPort;
        const node = await registryFor(ctx).add({
          id,
          ...parsed,
          ...(opts.identity ? { identityFile: opts.identity } : {}),
          ...(opts.stateDir ? { stateDir: opts.stateDir } : {}),
          ...(opts.openclaw ? { openclawPath: opts.openclaw } : {}),
          ...(gatewayPort !== undefined ? { gatewayPort } : {}),
          ...(opts.label ? { labels: opts.label } : {}),
        });
        if (opts.json) return printJson(ctx, { node });
        ctx.out(l10n.t('Added node {0} ({1}).', node.id, targetOf(node)) + '\n');
      },
    );

  program
    .command('retire')
    .description(l10n.t('mark a node retired (kept in the registry with its backups, hidden by default)'))
    .argument('<id>', l10n.t('node id'))
    .addOption(jsonOption())
    .action(async (id: string, opts: { json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const node = await registryFor(ctx).setStatus(id, 'retired');
      if (opts.json) return printJson(ctx, { node });
      ctx.out(l10n.t('Retired node {0}.', node.id) + '\n');
    });

  program
    .command('import')
    .description(l10n.t('import nodes from a nodes-registry.json (older shape) or another nodes.json'))
    .argument('<file>', l10n.t('the file to import'))
    .addOption(jsonOption())
    .action(async (file: string, opts: { json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const nodes = await readImportFile(file);
      if (nodes.length === 0) throw cliError('invalidInput', l10n.both('{0} lists no nodes.', file));
      const result = await registryFor(ctx).addMany(nodes);
      if (opts.json) return printJson(ctx, { added: result.added, skipped: result.skipped });
      ctx.out(
        (result.skipped.length
          ? l10n.t('Imported {0} node(s). Skipped (already present): {1}.', result.added.length, result.skipped.join(', '))
          : l10n.t('Imported {0} node(s).', result.added.length)) + '\n',
      );
    });
}

export function targetOf(n: NodeEntry): string {
  return formatTarget(n);
}
