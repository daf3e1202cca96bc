import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { BackupStore } from '../backup/store';
import { agentsFromLocation } from '../openclaw/node-agents';
import type { OpenclawLocation } from '../openclaw/locate';
import { isRecord } from '../openclaw/version';
import type { NodeEntry } from '../registry';
import { statusOfNodes, type StatusOfNodesOptions } from '../status/many';
import type { StatusDeps } from '../status/node-status';
import { configTokens, envFileToken, envReference, parseGatewayUrl, TOKEN_ENV, unitFileTokens } from '../token/places';
import { shellQuote } from '../transport/shell-quote';
import type { Transport } from '../transport/types';
import type { MemoryFileFact, NodeFacts, TokenFacts } from './types';

/**
 * Gathers what the doctor's checks need, at about the cost of `ocm status`: the status check of
 * every node (which already locates OpenClaw, reads the config, asks the gateway and reads
 * sessions), plus ONE exec per node started as soon as OpenClaw is located, in parallel with the
 * gateway probe: workspace folders, MEMORY.md sizes, the systemd unit's and `.env`'s token lines.
 * Token values never leave this module: they become short digests to compare.
 */

/** OpenClaw 2026.9.6 (bootstrap module): DEFAULT_BOOTSTRAP_MAX_CHARS. */
export const DEFAULT_BOOTSTRAP_MAX_CHARS = 20_000;

export interface GatherOptions extends Omit<StatusOfNodesOptions, 'onLocated'> {
  store?: BackupStore;
}

export async function gatherFleet(nodes: readonly NodeEntry[], deps: StatusDeps, options: GatherOptions = {}): Promise<NodeFacts[]> {
  const { store, ...statusOptions } = options;
  const extras = new Map<string, Promise<Extras | undefined>>();
  const backups = store ? lastBackups(store, nodes) : Promise.resolve(new Map<string, string>());
  const statuses = await statusOfNodes(nodes, deps, {
    ...statusOptions,
    onLocated: (location, transport) => {
      extras.set(
        location.nodeId,
        readExtras(transport, location, options.signal).catch(() => undefined),
      );
    },
  });
  const last = await backups;
  return Promise.all(
    nodes.map(async (node, i) => {
      const extra = await extras.get(node.id);
      return {
        nodeId: node.id,
        host: node.host,
        status: statuses[i]!,
        ...(extra
          ? { gatewayPort: extra.gatewayPort, agents: extra.agents, workspaceExists: extra.workspaceExists, memory: extra.memory, tokens: extra.tokens }
          : { agents: [], workspaceExists: {}, memory: [] }),
        ...(last.get(node.id) ? { lastBackupAt: last.get(node.id)! } : {}),
      };
    }),
  );
}

interface Extras {
  gatewayPort: number;
  agents: NodeFacts['agents'];
  workspaceExists: Record<string, boolean>;
  memory: MemoryFileFact[];
  tokens?: TokenFacts;
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

/** bootstrapMaxChars for an agent: its own entry, else agents.defaults, else OpenClaw's default. */
export function bootstrapLimit(resolved: Record<string, unknown> | undefined, agentId: string): number {
  const agents = isRecord(resolved?.agents) ? resolved.agents : {};
  const entries = isRecord(agents.entries) ? agents.entries : {};
  const list = Array.isArray(agents.list) ? agents.list : [];
  const own = isRecord(entries[agentId]) ? entries[agentId] : list.find((a) => isRecord(a) && a.id === agentId);
  for (const v of [isRecord(own) ? own.bootstrapMaxChars : undefined, isRecord(agents.defaults) ? agents.defaults.bootstrapMaxChars : undefined]) {
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) return Math.floor(v);
  }
  return DEFAULT_BOOTSTRAP_MAX_CHARS;
}

/** The one extra exec: workspaces, MEMORY.md sizes, token lines of the unit and `.env`. */
export function buildExtrasScript(
  workspaces: ReadonlyArray<{ index: number; workspace: string; limit: number }>,
  unitPath: string | undefined,
  envPath: string,
): string {
  const lines = ['exec 2>/dev/null'];
  for (const w of workspaces) {
    const d = shellQuote(w.workspace);
    lines.push(`if [ -d ${d} ]; then echo "ws ${w.index} 1"; else echo "ws ${w.index} 0"; fi`);
    lines.push(
      `f=${shellQuote(posix.join(w.workspace, 'MEMORY.md'))}; if [ -f "$f" ]; then s=$(wc -c < "$f"); s=$((s+0)); if [ "$s" -gt ${w.limit} ]; then c=$(LC_ALL=C.UTF-8 wc -m < "$f"); echo "mem ${w.index} $s $((\${c:-$s}+0))"; fi; fi`,
    );
  }
  if (unitPath)
    lines.push(
      `if [ -f ${shellQuote(unitPath)} ]; then echo __UNIT__; grep -E '^[[:space:]]*Environment[[:space:]]*=' ${shellQuote(unitPath)} | grep ${TOKEN_ENV}; echo __END__; fi`,
    );
  lines.push(`if [ -f ${shellQuote(envPath)} ]; then echo __ENV__; grep ${TOKEN_ENV} ${shellQuote(envPath)}; echo __END__; fi`);
  lines.push('exit 0');
  return lines.join('\n');
}

async function readExtras(transport: Transport, location: OpenclawLocation, signal?: AbortSignal): Promise<Extras | undefined> {
  if (!location.config) return undefined;
  const agents = agentsFromLocation(location).map((a) => ({ id: a.id, workspace: a.workspace }));
  const resolved = location.config.resolved;
  const limits = agents.map((a, index) => ({ index, workspace: a.workspace, limit: bootstrapLimit(resolved, a.id) }));
  const unitPath = location.supervisor === 'systemd' ? location.supervisorUnit : undefined;
  const envPath = posix.join(location.stateDir, '.env');
  const r = await transport.exec(buildExtrasScript(limits, unitPath, envPath), { timeoutMs: 15_000, ...(signal ? { signal } : {}) });
  return { gatewayPort: location.gatewayPort, agents, ...parseExtras(r.stdout, agents, limits, resolved, unitPath, envPath) };
}

/** Parses the extras script's output (pure); token lines become digests here. */
export function parseExtras(
  stdout: string,
  agents: NodeFacts['agents'],
  limits: ReadonlyArray<{ index: number; workspace: string; limit: number }>,
  resolved: Record<string, unknown> | undefined,
  unitPath: string | undefined,
  envPath: string,
): Omit<Extras, 'gatewayPort' | 'agents'> {
  const workspaceExists: Record<string, boolean> = {};
  const memory: MemoryFileFact[] = [];
  let section: 'unit' | 'env' | undefined;
  const unitLines: string[] = [];
  const envLines: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '__UNIT__') section = 'unit';
    else if (line === '__ENV__') section = 'env';
    else if (line === '__END__') section = undefined;
    else if (section === 'unit') unitLines.push(line);
    else if (section === 'env') envLines.push(line);
    else {
      const ws = /^ws (\d+) ([01])$/.exec(line);
      if (ws && agents[Number(ws[1])]) workspaceExists[agents[Number(ws[1])]!.id] = ws[2] === '1';
      const mem = /^mem (\d+) (\d+) (\d+)$/.exec(line);
      if (mem && agents[Number(mem[1])]) {
        const a = agents[Number(mem[1])]!;
        memory.push({ agentId: a.id, path: posix.join(a.workspace, 'MEMORY.md'), chars: Number(mem[3]), limit: limits[Number(mem[1])]!.limit });
      }
    }
  }
  const t = configTokens(resolved);
  const envToken = envLines.length ? envFileToken(envLines.join('\n')) : undefined;
  const ref = envReference(t.authToken);
  const auth = ref ? (ref === TOKEN_ENV ? envToken : undefined) : (t.authToken ?? envToken);
  const remote = t.remoteToken && !envReference(t.remoteToken) ? t.remoteToken : undefined;
  const parsedRemote = parseGatewayUrl(t.remoteUrl);
  const tokens: TokenFacts = {
    ...(auth ? { authDigest: tokenDigest(auth) } : {}),
    ...(remote ? { remoteDigest: tokenDigest(remote) } : {}),
    ...(t.remoteUrl ? { remoteUrl: t.remoteUrl } : {}),
    ...(parsedRemote ? { remote: parsedRemote } : {}),
    ...(unitPath && unitLines.length ? { unitPath } : {}),
    unitDigests: unitFileTokens(unitLines.join('\n')).map(tokenDigest),
    ...(envToken && !ref ? { envPath, envDigest: tokenDigest(envToken) } : {}),
  };
  return { workspaceExists, memory, tokens };
}

/** Newest backup per node, from the snapshot repository's listing. */
async function lastBackups(store: BackupStore, nodes: readonly NodeEntry[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const wanted = new Set(nodes.map((n) => n.id));
  const list = await store.list().catch(() => []);
  for (const b of list) {
    if (!wanted.has(b.nodeId)) continue;
    const prev = out.get(b.nodeId);
    if (!prev || Date.parse(b.createdAt) > Date.parse(prev)) out.set(b.nodeId, b.createdAt);
  }
  return out;
}
