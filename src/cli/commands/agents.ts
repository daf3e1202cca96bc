import type { Command } from 'commander';
import { OcmError } from '../../core/errors';
import { join } from 'node:path';
import { ocmHome } from '../../core/home';
import type { NodeEntry } from '../../core/registry';
import type { Transport } from '../../core/transport/types';
import { addAgent, listAgentFiles, listNodeAgents, locateOpenclaw, removeAgent, type AgentFiles, type AgentInfo, type NodeAgents } from '../../core/openclaw';
import { printJson, type CliContext } from '../context';
import { withNodeTransport } from '../node-connection';
import { withDiscoveryCache } from '../discovery-cache';
import { cliError, l10n } from '../l10n';
import { decideDestructive } from '../confirm';
import { jsonOption, acceptNewOption } from '../options';
import { formatTable } from '../table';

interface AgentsOptions {
  json?: boolean;
  fast?: boolean;
  files?: boolean;
  acceptNew?: boolean;
}

function withNode<T>(ctx: CliContext, nodeId: string, acceptNew: boolean, work: (t: Transport, node: NodeEntry) => Promise<T>): Promise<T> {
  return withNodeTransport(ctx, nodeId, { acceptNew }, work);
}

/**
 * `ocm agents <id>`: the agents of a node, from its config, confirmed by the node's own `openclaw`.
 * `ocm agents add|remove <id> <agent>`: through `openclaw agents add|delete` on the node; removal
 * archives the agent's workspace and state into `<ocm home>/agent-backups/` first.
 * (A node literally named "add" or "remove" is listed with `ocm agents -- add`.)
 */
export function registerAgentsCommands(program: Command, ctx: CliContext): void {
  const agents = program
    .command('agents')
    .description(l10n.t("list a node's OpenClaw agents (workspace, agent dir, default) as `openclaw agents list` sees them"))
    .argument('<id>', l10n.t('node id'))
    .addOption(jsonOption())
    .option('--fast', l10n.t('answer from openclaw.json only, without running `openclaw agents list --json` on the node (milliseconds instead of seconds)'))
    .option('--files', l10n.t("also list each agent's workspace files and memory notes"))
    .addOption(acceptNewOption())
    .action(async (id: string, opts: AgentsOptions) => {
      ctx.json = Boolean(opts.json);
      await withNode(ctx, id, Boolean(opts.acceptNew), async (transport, node) => {
        const result = await withDiscoveryCache(ctx, [node], (discoveryCache) => listNodeAgents(transport, node, { confirm: !opts.fast, discoveryCache }));
        const { location } = result;
        if (!location.installed && !location.stateDirExists && !location.configExists) {
          throw location.reason
            ? new OcmError('notFound', location.reason, { nodeId: id, installed: false })
            : cliError('notFound', l10n.both('OpenClaw was not found on node {0}.', id), { nodeId: id, installed: false });
        }
        const files = opts.files ? await Promise.all(result.agents.map((a) => listAgentFiles(transport, a.workspace))) : undefined;
        if (opts.json) return printJson(ctx, toJson(id, result, files));
        ctx.out(renderText(id, result, files));
      });
    });

  agents
    .command('add')
    .description(l10n.t("add an agent to a node with the node's `openclaw agents add --non-interactive`"))
    .argument('<id>', l10n.t('node id'))
    .argument('<agent>', l10n.t('new agent id (lower-case letters, digits, "-", "_")'))
    .option(
      '--workspace <dir>',
      l10n.t('workspace on the node (default: where OpenClaw puts it: <state>/workspace-<agent> or <agents.defaults.workspace>/<agent>)'),
    )
    .option('--model <id>', l10n.t('model id for the agent'))
    .addOption(jsonOption())
    .addOption(acceptNewOption())
    .action(async (id: string, agentId: string, _opts: unknown, cmd: Command) => {
      // --json / --accept-new after the subcommand are parsed by `agents` too: read both levels.
      const opts = cmd.optsWithGlobals<{ workspace?: string; model?: string; json?: boolean; acceptNew?: boolean }>();
      ctx.json = Boolean(opts.json);
      await withNode(ctx, id, Boolean(opts.acceptNew), async (transport, node) => {
        const located = await locateOpenclaw(transport, node);
        const r = await addAgent(transport, located, {
          id: agentId,
          ...(opts.workspace ? { workspace: opts.workspace } : {}),
          ...(opts.model ? { model: opts.model } : {}),
        });
        if (opts.json)
          return printJson(ctx, { ok: true, node: id, agent: { id: r.agentId, workspace: r.workspace, agentDir: r.agentDir }, durationMs: r.durationMs });
        ctx.out(l10n.t('Added agent {0} to node {1} (workspace {2}).', r.agentId, id, r.workspace) + '\n');
      });
    });

  agents
    .command('remove')
    .description(l10n.t('remove an agent (OpenClaw deletes its workspace and state): archives both locally first'))
    .argument('<id>', l10n.t('node id'))
    .argument('<agent>', l10n.t('agent id'))
    .option('--dry-run', l10n.t('say what would be removed and change nothing'))
    .option('--yes', l10n.t('apply without asking (required when not on a terminal)'))
    .addOption(jsonOption())
    .addOption(acceptNewOption())
    .action(async (id: string, agentId: string, _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<{ yes?: boolean; dryRun?: boolean; json?: boolean; acceptNew?: boolean }>();
      ctx.json = Boolean(opts.json);
      const what = l10n.both(
        'Removing agent {0} deletes its workspace and state on node {1} (an archive is kept locally). Look first with --dry-run, then add --yes to do it.',
        agentId,
        id,
      );
      const decision = await decideDestructive(ctx, opts, l10n.t('Remove agent {0} from node {1}? [y/N] ', agentId, id), what);
      if (decision === 'show') {
        if (opts.json) return printJson(ctx, { ok: true, dryRun: true, node: id, agent: agentId });
        ctx.out(what.text + '\n');
        return;
      }
      if (decision === 'declined') {
        ctx.out(l10n.t('Nothing was changed.') + '\n');
        return;
      }
      await withNode(ctx, id, Boolean(opts.acceptNew), async (transport, node) => {
        const located = await locateOpenclaw(transport, node);
        const r = await removeAgent(transport, located, { id: agentId, backupDir: join(ocmHome(ctx.env), 'agent-backups') });
        if (opts.json)
          return printJson(ctx, { ok: true, node: id, agent: r.agentId, backupPath: r.backupPath, backupBytes: r.backupBytes, durationMs: r.durationMs });
        ctx.out(l10n.t('Removed agent {0} from node {1}. Its workspace and state were archived in {2}.', r.agentId, id, r.backupPath) + '\n');
      });
    });
}

function toJson(nodeId: string, r: NodeAgents, files: AgentFiles[] | undefined): unknown {
  const l = r.location;
  return {
    node: nodeId,
    openclaw: {
      installed: l.installed,
      ...(l.reason ? { reason: l.reason } : {}),
      version: l.version ?? null,
      bin: l.bin ?? null,
      stateDir: l.stateDir,
      configPath: l.configPath,
      gatewayPort: l.gatewayPort,
      supervisor: l.supervisor,
    },
    source: r.source,
    ...(r.corrected ? { corrected: r.corrected } : {}),
    ...(r.cliError ? { cliError: r.cliError.toJSON() } : {}),
    agents: r.agents.map((a, i) => ({
      ...agentJson(a),
      ...(files ? { files: files[i]!.files, memoryNotes: files[i]!.memoryNotes, workspaceExists: files[i]!.workspaceExists } : {}),
    })),
  };
}

function agentJson(a: AgentInfo): Record<string, unknown> {
  return { id: a.id, name: a.name ?? null, isDefault: a.isDefault, workspace: a.workspace, agentDir: a.agentDir, model: a.model ?? null };
}

function renderText(nodeId: string, r: NodeAgents, files: AgentFiles[] | undefined): string {
  const l = r.location;
  const lines: string[] = [];
  lines.push(
    l10n.t('Node {0}: OpenClaw {1}, state {2}, gateway port {3} ({4})', nodeId, l.version ?? l10n.t('(not found)'), l.stateDir, l.gatewayPort, l.supervisor),
  );
  if (!l.installed && l.reason) lines.push(l10n.t('Note: {0}', l.reason));
  if (r.cliError) lines.push(l10n.t("Note: not confirmed by the node's openclaw: {0}", r.cliError.message));
  else if (r.source === 'config' && l.installed) lines.push(l10n.t("(from openclaw.json; run without --fast to confirm with the node's openclaw)"));
  if (r.corrected) lines.push(l10n.t('Note: openclaw corrected the config-derived answer for: {0}', r.corrected.join(', ')));
  let out = lines.join('\n') + '\n\n';
  if (r.agents.length === 0) return out + l10n.t('No agents.') + '\n';
  out += formatTable(
    [l10n.t('ID'), l10n.t('NAME'), l10n.t('DEFAULT'), l10n.t('WORKSPACE'), l10n.t('AGENT DIR')],
    r.agents.map((a) => [a.id, a.name ?? '-', a.isDefault ? l10n.t('yes') : '', a.workspace, a.agentDir]),
  );
  if (files) {
    r.agents.forEach((a, i) => {
      const f = files[i]!;
      out += `\n${a.id}: ${f.workspaceExists ? f.files.map((x) => x.name).join(', ') || l10n.t('(no known files)') : l10n.t('(workspace missing)')}\n`;
      if (f.memoryNotes.length) out += `  ${l10n.t('memory: {0}', f.memoryNotes.map((n) => n.name).join(', '))}\n`;
    });
  }
  return out;
}
