import type { Command } from 'commander';
import { OcmError } from '../../core/errors';
import { ocmHome, registryPath } from '../../core/home';
import { NodeRegistry, parseTarget, readImportFile, type NodeEntry } from '../../core/registry';
import { printJson, type CliContext } from '../context';
import { formatTable } from '../table';

export function registryFor(ctx: CliContext): NodeRegistry {
  return new NodeRegistry(registryPath(ocmHome(ctx.env)));
}

/** `ocm list|add|retire|import`: the node registry shared with the extension. */
export function registerRegistryCommands(program: Command, ctx: CliContext): void {
  program
    .command('list')
    .description('list registered nodes')
    .option('--json', 'print JSON: {"nodes":[{id,host,port,user,...,status,labels}]}')
    .option('--active', 'only active nodes (hide retired ones)')
    .action(async (opts: { json?: boolean; active?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const nodes = await registryFor(ctx).list({ includeRetired: !opts.active });
      if (opts.json) return printJson(ctx, { nodes });
      if (nodes.length === 0) {
        ctx.out('No nodes yet. Add one with: ocm add <id> <[user@]host[:port]>\n');
        return;
      }
      ctx.out(
        formatTable(
          ['ID', 'TARGET', 'STATE DIR', 'STATUS', 'LABELS'],
          nodes.map((n) => [n.id, targetOf(n), n.stateDir ?? '-', n.status, n.labels.join(',') || '-']),
        ),
      );
    });

  program
    .command('add')
    .description('register a node')
    .argument('<id>', 'short node id (letters, digits, ".", "_", "-")')
    .argument('<target>', '[user@]host[:port] or a Host alias from ~/.ssh/config ("local" for this machine)')
    .option('--identity <file>', 'SSH private key file')
    .option('--state-dir <dir>', 'OpenClaw state dir on the node (default: discovered)')
    .option('--openclaw <path>', 'path of the openclaw binary on the node')
    .option('--gateway-port <port>', 'gateway port on the node (default: discovered)')
    .option('--label <label...>', 'labels for grouping')
    .option('--json', 'print the added node as JSON')
    .action(async (id: string, target: string, opts: { identity?: string; stateDir?: string; openclaw?: string; gatewayPort?: string; label?: string[]; json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const parsed = parseTarget(target);
      const gatewayPort = opts.gatewayPort === undefined ? undefined : Number(opts.gatewayPort);
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
      ctx.out(`Added node ${node.id} (${targetOf(node)}).\n`);
    });

  program
    .command('retire')
    .description('mark a node retired (kept in the registry with its backups, hidden by default)')
    .argument('<id>')
    .option('--json', 'print the node as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const node = await registryFor(ctx).setStatus(id, 'retired');
      if (opts.json) return printJson(ctx, { node });
      ctx.out(`Retired node ${node.id}.\n`);
    });

  program
    .command('import')
    .description('import nodes from a nodes-registry.json (older shape) or another nodes.json')
    .argument('<file>')
    .option('--json', 'print {"added":[...],"skipped":[ids]} as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const nodes = await readImportFile(file);
      if (nodes.length === 0) throw new OcmError('invalidInput', `${file} lists no nodes.`);
      const result = await registryFor(ctx).addMany(nodes);
      if (opts.json) return printJson(ctx, { added: result.added, skipped: result.skipped });
      ctx.out(`Imported ${result.added.length} node(s).${result.skipped.length ? ` Skipped (already present): ${result.skipped.join(', ')}.` : ''}\n`);
    });
}

export function targetOf(n: NodeEntry): string {
  return `${n.user ? n.user + '@' : ''}${n.host}${n.port ? ':' + n.port : ''}`;
}
