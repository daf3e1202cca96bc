import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { OcmError } from '../errors';
import { envPrefix, shellJoin } from '../transport/shell-quote';
import type { OpOptions, Transport } from '../transport/types';
import { normalizeAgentId, type AgentInfo } from './agents';
import { defaultAgentsCliCache, type AgentsCliCache } from './cli-agents';
import type { OpenclawLocation } from './locate';
import { agentsFromLocation } from './node-agents';
import { isRecord } from './version';

/**
 * Adding and removing agents goes through the node's own `openclaw agents add|delete
 * --non-interactive --json` (OpenClaw writes its config, creates or prunes the workspace and
 * state). `delete` prunes the agent's workspace, so removal first copies the workspace and the
 * agent's state folder into a local archive.
 */

export interface AddAgentParams {
  id: string;
  /** Default: where OpenClaw would put it (`<agents.defaults.workspace>/<id>` or `<state>/workspace-<id>`). */
  workspace?: string;
  model?: string;
}

export interface AddAgentResult {
  agentId: string;
  workspace: string;
  agentDir: string;
  durationMs: number;
}

export async function addAgent(
  transport: Transport,
  located: OpenclawLocation,
  params: AddAgentParams,
  options: OpOptions & { cache?: AgentsCliCache } = {},
): Promise<AddAgentResult> {
  const bin = requireCli(located);
  const id = params.id.trim();
  if (!id || normalizeAgentId(id) !== id) {
    throw new OcmError(
      'invalidInput',
      `"${params.id}" is not a valid agent id: use lower-case letters, digits, "-" and "_" (at most 64, starting with a letter or digit).`,
      { id: params.id, usage: true },
    );
  }
  const existing = agentsFromLocation(located);
  if (existing.some((a) => a.id === id)) throw new OcmError('exists', `Node ${located.nodeId} already has an agent "${id}". Pick another id.`, { agentId: id });
  const workspace = params.workspace ?? defaultWorkspaceFor(located, id);
  const args = [bin, 'agents', 'add', id, '--non-interactive', '--workspace', workspace, ...(params.model ? ['--model', params.model] : []), '--json'];
  const result = await run(transport, located, args, options, 120_000);
  const json = parseJsonObject(result.stdout);
  if (result.exitCode !== 0 || !json || json.ok === false) throw cliFailure(located, 'agents add', result, json);
  (options.cache ?? defaultAgentsCliCache).delete(located.nodeId);
  return {
    agentId: String(json.agentId ?? id),
    workspace: String(json.workspace ?? workspace),
    agentDir: String(json.agentDir ?? posix.join(located.stateDir, 'agents', id, 'agent')),
    durationMs: result.durationMs,
  };
}

export interface RemoveAgentResult {
  agentId: string;
  /** Local archive holding the workspace and agent state as they were before removal. */
  backupPath: string;
  backupBytes: number;
  durationMs: number;
}

/**
 * Removes an agent after archiving its workspace and `<state>/agents/<id>` into `backupDir`
 * (a local folder) as `<node>-<agent>-<timestamp>.tar.gz`, mode 0600. No archive, no removal.
 */
export async function removeAgent(
  transport: Transport,
  located: OpenclawLocation,
  params: { id: string; backupDir: string },
  options: OpOptions & { cache?: AgentsCliCache } = {},
): Promise<RemoveAgentResult> {
  const bin = requireCli(located);
  const agent = agentsFromLocation(located).find((a) => a.id === params.id);
  if (!agent)
    throw new OcmError('notFound', `Node ${located.nodeId} has no agent "${params.id}". Run "ocm agents ${located.nodeId}" to see its agents.`, {
      agentId: params.id,
    });
  const started = Date.now();
  const { path: backupPath, bytes } = await archiveAgent(transport, located, agent, params.backupDir, options);
  const result = await run(transport, located, [bin, 'agents', 'delete', agent.id, '--force', '--json'], options, 120_000);
  const json = parseJsonObject(result.stdout);
  if (result.exitCode !== 0 || (json && json.ok === false))
    throw cliFailure(located, 'agents delete', result, json, `The agent's files were archived in ${backupPath}.`);
  (options.cache ?? defaultAgentsCliCache).delete(located.nodeId);
  return { agentId: agent.id, backupPath, backupBytes: bytes, durationMs: Date.now() - started };
}

/** Streams `tar czf -` of the agent's workspace and state folder into a local file (atomic rename). */
export async function archiveAgent(
  transport: Transport,
  located: OpenclawLocation,
  agent: AgentInfo,
  backupDir: string,
  options: OpOptions = {},
): Promise<{ path: string; bytes: number }> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(backupDir, `${located.nodeId}-${agent.id}-${stamp}.tar.gz`);
  const partial = `${file}.partial`;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const agentState = posix.join(located.stateDir, 'agents', agent.id);
  // Paths relative to / (tar runs in /), only those that exist. They are collected as positional
  // parameters and passed as "$@", so a path with spaces stays one argument.
  const relative = [agent.workspace, agentState].map((p) => p.replace(/^\/+/, ''));
  const command = `set --; for p in ${shellJoin(relative)}; do [ -e "/$p" ] && set -- "$@" "$p"; done; [ "$#" -gt 0 ] || { echo 'nothing to archive' >&2; exit 3; }; cd / && tar -czf - "$@"`;
  const stream = await transport.execStream(command, options);
  try {
    await pipeline(stream.stdout, createWriteStream(partial, { mode: 0o600 }));
    const done = await stream.done;
    if (done.exitCode !== 0) {
      throw new OcmError(
        'failed',
        `Could not archive agent ${agent.id} on node ${located.nodeId} before removing it (tar exit ${done.exitCode}): ${done.stderr.trim().slice(0, 300)}. Nothing was removed.`,
        { agentId: agent.id },
      );
    }
    await rename(partial, file);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
  const { size } = await stat(file);
  return { path: file, bytes: size };
}

function defaultWorkspaceFor(located: OpenclawLocation, id: string): string {
  const agents = located.config && isRecord(located.config.resolved.agents) ? located.config.resolved.agents : {};
  const defaults = isRecord(agents.defaults) ? agents.defaults : {};
  const fallback = typeof defaults.workspace === 'string' && defaults.workspace.trim() ? defaults.workspace.trim() : undefined;
  if (!fallback) return posix.join(located.stateDir, `workspace-${id}`);
  const base =
    fallback === '~' ? located.home : fallback.startsWith('~/') ? posix.join(located.home, fallback.slice(2)) : posix.resolve(located.home, fallback);
  return posix.join(base, id);
}

function requireCli(located: OpenclawLocation): string {
  if (!located.installed || !located.bin)
    throw new OcmError('unsupported', located.reason ?? `openclaw was not found on node ${located.nodeId}.`, { nodeId: located.nodeId });
  return located.bin;
}

async function run(transport: Transport, located: OpenclawLocation, args: string[], options: OpOptions, defaultTimeoutMs: number) {
  return transport.exec(`${envPrefix(located.cliEnv)}cd && ${shellJoin(args)} </dev/null`, {
    ...(options.signal ? { signal: options.signal } : {}),
    timeoutMs: options.timeoutMs ?? defaultTimeoutMs,
  });
}

function parseJsonObject(stdout: string): Record<string, unknown> | undefined {
  const start = stdout.indexOf('{');
  if (start < 0) return undefined;
  try {
    const v = JSON.parse(stdout.slice(start));
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function cliFailure(
  located: OpenclawLocation,
  what: string,
  result: { exitCode: number | null; stderr: string; stdout: string },
  json: Record<string, unknown> | undefined,
  extra = '',
): OcmError {
  const message =
    json && isRecord(json.error) && typeof json.error.message === 'string' ? json.error.message : (result.stderr.trim() || result.stdout.trim()).slice(0, 400);
  return new OcmError('failed', `openclaw ${what} failed on node ${located.nodeId} (exit ${result.exitCode}): ${message}. ${extra}`.trim(), {
    nodeId: located.nodeId,
    exitCode: result.exitCode,
  });
}
