import type { Command } from 'commander';
import { homedir } from 'node:os';
import { OcmError } from '../../core/errors';
import { listAgentFiles, listNodeAgents, type AgentFiles, type AgentInfo, type NodeAgents } from '../../core/openclaw';
import { SshPool } from '../../core/ssh/pool';
import { resolveConnectTarget } from '../../core/ssh/resolve-target';
import { SshConfig } from '../../core/ssh/ssh-config';
import { transportForNode } from '../../core/transport/for-node';
import { printJson, type CliContext } from '../context';
import { formatTable } from '../table';
import { registryFor } from './registry';
import { sshDepsFor } from './trust';

interface AgentsOptions {
  json?: boolean;
  fast?: boolean;
  files?: boolean;
  acceptNew?: boolean;
}

/** `ocm agents <id>`: the agents of a node, from its config, confirmed by the node's own `openclaw`. */
export function registerAgentsCommands(program: Command, ctx: CliContext): void {
  program
    .command('agents')
    .description("list a node's OpenClaw agents (workspace, agent dir, default) as `openclaw agents list` sees them")
    .argument('<id>', 'node id')
    .option('--json', 'print {"node","openclaw":{installed,version,bin,stateDir,configPath,gatewayPort,supervisor},"source","agents":[...]}')
    .option('--fast', 'answer from openclaw.json only, without running `openclaw agents list --json` on the node (milliseconds instead of seconds)')
    .option('--files', "also list each agent's workspace files and memory notes")
    .option('--accept-new', 'trust an unknown SSH host key on first contact (default: refuse; see "ocm trust")')
    .action(async (id: string, opts: AgentsOptions) => {
      ctx.json = Boolean(opts.json);
      const node = await registryFor(ctx).get(id);
      const pool = new SshPool();
      const resolveDeps = sshDepsFor(ctx, { acceptNew: Boolean(opts.acceptNew) });
      const transport = await transportForNode(node, {
        ssh: async (n) => {
          const sshConfig = await SshConfig.load({ home: resolveDeps.home || homedir() });
          return pool.transportFor(await resolveConnectTarget(n, { ...resolveDeps, sshConfig }));
        },
      });
      try {
        const result = await listNodeAgents(transport, node, { confirm: !opts.fast });
        const { location } = result;
        if (!location.installed && !location.stateDirExists && !location.configExists) {
          throw new OcmError('notFound', location.reason ?? `OpenClaw was not found on node ${id}.`, { nodeId: id, installed: false });
        }
        const files = opts.files ? await Promise.all(result.agents.map((a) => listAgentFiles(transport, a.workspace))) : undefined;
        if (opts.json) return printJson(ctx, toJson(id, result, files));
        ctx.out(renderText(id, result, files));
      } finally {
        await transport.close();
        // Open sockets would keep the process alive.
        await Promise.race([pool.close(), new Promise((r) => setTimeout(r, 2000).unref())]);
      }
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
  lines.push(`Node ${nodeId}: OpenClaw ${l.version ?? '(not found)'}, state ${l.stateDir}, gateway port ${l.gatewayPort} (${l.supervisor})`);
  if (!l.installed && l.reason) lines.push(`Note: ${l.reason}`);
  if (r.cliError) lines.push(`Note: not confirmed by the node's openclaw: ${r.cliError.message}`);
  else if (r.source === 'config' && l.installed) lines.push('(from openclaw.json; run without --fast to confirm with the node\'s openclaw)');
  if (r.corrected) lines.push(`Note: openclaw corrected the config-derived answer for: ${r.corrected.join(', ')}`);
  let out = lines.join('\n') + '\n\n';
  if (r.agents.length === 0) return out + 'No agents.\n';
  out += formatTable(
    ['ID', 'NAME', 'DEFAULT', 'WORKSPACE', 'AGENT DIR'],
    r.agents.map((a) => [a.id, a.name ?? '-', a.isDefault ? 'yes' : '', a.workspace, a.agentDir]),
  );
  if (files) {
    r.agents.forEach((a, i) => {
      const f = files[i]!;
      out += `\n${a.id}: ${f.workspaceExists ? f.files.map((x) => x.name).join(', ') || '(no known files)' : '(workspace missing)'}\n`;
      if (f.memoryNotes.length) out += `  memory: ${f.memoryNotes.map((n) => n.name).join(', ')}\n`;
    });
  }
  return out;
}
