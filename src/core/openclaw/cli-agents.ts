import { OcmError } from '../errors';
import { envPrefix, shellQuote } from '../transport/shell-quote';
import type { OpOptions, Transport } from '../transport/types';
import type { OpenclawLocation } from './locate';
import { isRecord } from './version';

/**
 * The authoritative agent list: `openclaw agents list --json` run on the node with the located
 * binary and environment (1.5–8 s: CLI start-up). Cached per node until the config changes
 * (key: the config's fingerprint, a hash of openclaw.json and every $include), so browsing
 * pays for it once.
 */

export interface CliAgent {
  id: string;
  name?: string;
  identityName?: string;
  workspace: string;
  agentDir: string;
  model?: string;
  bindings?: number;
  isDefault: boolean;
  /** Everything else the CLI printed for this agent. */
  extra: Record<string, unknown>;
}

export interface CliAgentsResult {
  agents: CliAgent[];
  /** Fingerprint of the config the answer belongs to. */
  configFingerprint: string;
  durationMs: number;
  /** True when served from the cache. */
  cached: boolean;
}

export class AgentsCliCache {
  private readonly entries = new Map<string, { key: string; value: CliAgentsResult }>();

  get(nodeId: string, key: string): CliAgentsResult | undefined {
    const e = this.entries.get(nodeId);
    return e && e.key === key ? { ...e.value, cached: true } : undefined;
  }

  set(nodeId: string, key: string, value: CliAgentsResult): void {
    this.entries.set(nodeId, { key, value });
  }

  delete(nodeId: string): void {
    this.entries.delete(nodeId);
  }
}

/** Shared cache for callers that do not keep their own. */
export const defaultAgentsCliCache = new AgentsCliCache();

export interface ConfirmOptions extends OpOptions {
  cache?: AgentsCliCache;
  /** Ignore a cached answer. */
  refresh?: boolean;
}

export async function confirmAgentsWithCli(transport: Transport, located: OpenclawLocation, options: ConfirmOptions = {}): Promise<CliAgentsResult> {
  if (!located.installed || !located.bin) {
    throw new OcmError('unsupported', located.reason ?? `openclaw was not found on node ${located.nodeId}.`, { nodeId: located.nodeId });
  }
  const cache = options.cache ?? defaultAgentsCliCache;
  const fingerprint = located.config?.fingerprint ?? 'no-config';
  const key = `${located.bin}\0${located.version ?? ''}\0${located.stateDir}\0${fingerprint}`;
  if (!options.refresh) {
    const hit = cache.get(located.nodeId, key);
    if (hit) return hit;
  }
  const command = `${envPrefix(located.cliEnv)}cd && ${shellQuote(located.bin)} agents list --json </dev/null`;
  const result = await transport.exec(command, { ...(options.signal ? { signal: options.signal } : {}), timeoutMs: options.timeoutMs ?? 60_000 });
  const agents = parseAgentsListJson(result.stdout, result.stderr, result.exitCode, located.nodeId);
  const value: CliAgentsResult = { agents, configFingerprint: fingerprint, durationMs: result.durationMs, cached: false };
  cache.set(located.nodeId, key, value);
  return value;
}

/** Parses `agents list --json` output (tolerates log lines printed before the JSON). */
export function parseAgentsListJson(stdout: string, stderr: string, exitCode: number | null, nodeId: string): CliAgent[] {
  const parsed = extractJson(stdout);
  if (exitCode !== 0 || !Array.isArray(parsed)) {
    const message =
      isRecord(parsed) && isRecord(parsed.error) && typeof parsed.error.message === 'string'
        ? parsed.error.message
        : (stderr.trim() || stdout.trim()).slice(0, 500);
    throw new OcmError(
      'failed',
      `openclaw agents list failed on node ${nodeId} (exit ${exitCode}): ${message || 'no output'}. Run "openclaw doctor" on the node.`,
      { nodeId, exitCode },
    );
  }
  return parsed.filter(isRecord).map((a) => {
    const { id, name, identityName, workspace, agentDir, model, bindings, isDefault, ...extra } = a;
    return {
      id: String(id),
      ...(typeof name === 'string' ? { name } : {}),
      ...(typeof identityName === 'string' ? { identityName } : {}),
      workspace: String(workspace),
      agentDir: String(agentDir),
      ...(typeof model === 'string' ? { model } : {}),
      ...(typeof bindings === 'number' ? { bindings } : {}),
      isDefault: isDefault === true,
      extra,
    };
  });
}

function extractJson(stdout: string): unknown {
  const lines = stdout.split('\n');
  // Log lines may come first (and may themselves start with "["): try each plausible start.
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*[[{]/.test(lines[i]!)) continue;
    try {
      return JSON.parse(lines.slice(i).join('\n'));
    } catch {
      // not the start of the JSON document
    }
  }
  return undefined;
}
