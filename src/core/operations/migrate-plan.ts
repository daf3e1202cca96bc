import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { OcmError } from '../errors';
import { agentsFromLocation, compareOpenclawVersions, locateOpenclaw, type OpenclawLocation } from '../openclaw';
import { MAX_CONFIG_BYTES } from '../openclaw/config';
import { isRecord } from '../openclaw/version';
import { readFileBounded } from '../transport/read-bounded';
import type { NodeEntry } from '../registry';
import { shellQuote } from '../transport/shell-quote';
import type { Transport } from '../transport/types';
import { flagExternalSymlinks, mapPath, rewriteConfig, type PathMapping, type RewrittenConfigFile, type SymlinkFlag } from './config-rewrite';
import { gatewayListening } from './gateway';
import { assertSafeRoots } from './migrate-roots';
import type { OperationPlan, PlannedStep } from './types';

/**
 * Migrate, part 1: the PLAN. Read-only on both nodes: locate OpenClaw on each, check versions and
 * that the target place is free, compute where every directory goes and the adapted config.
 * Nothing is written anywhere until `applyMigration` runs with this plan.
 */

/** `openclaw backup restore --target` exists from about this version; older targets extract with tar. */
export const BACKUP_RESTORE_MIN_VERSION = '2026.8.12';

export interface MigrationSide {
  node: NodeEntry;
  transport: Transport;
}

export interface MigrationEndpoint {
  nodeId: string;
  version: string | null;
  home: string;
  stateDir: string;
  configPath: string;
  gatewayPort: number;
  gatewayRunning: boolean;
  supervisor: OpenclawLocation['supervisor'];
}

export interface MigrationAgent {
  id: string;
  isDefault: boolean;
  from: { workspace: string; agentDir: string };
  to: { workspace: string; agentDir: string };
}

/** A config file as the faces show it: source text → adapted text (and the target's current one). */
export interface MigrationConfigFile extends RewrittenConfigFile {
  /** What is at `targetPath` on the target today (replace), if anything. */
  targetCurrent?: string;
}

export interface MigrationPlan extends OperationPlan {
  operation: 'migrate';
  from: MigrationEndpoint;
  /** The target as it will be: new state dir, port. */
  to: MigrationEndpoint & {
    /** The target's OpenClaw as it is now (its current state dir, port, gateway). */
    current: { stateDir: string; configPath: string; gatewayPort: number; gatewayRunning: boolean; configText?: string };
    /** The target state dir exists and is not empty (only with `replace`). */
    stateDirInUse: boolean;
    /** The target's current gateway is stopped during apply (it uses the replaced dir or the port). */
    stopsCurrentGateway: boolean;
  };
  /** Directories copied: the source state dir and workspaces/agent dirs outside it. */
  roots: PathMapping[];
  /** Absolute prefixes rewritten in the config (roots, then the homes). */
  pathMap: PathMapping[];
  agents: MigrationAgent[];
  /** openclaw.json and its $include files: before (source) / after (target) / target's current. */
  config: { mainPath: string; files: MigrationConfigFile[] };
  symlinks: SymlinkFlag[];
  extractWith: 'openclaw-backup-restore' | 'tar';
  replace: boolean;
  newToken: boolean;
  /**
   * Secret values apply needs (the new gateway token). Never print: faces show
   * `config.files[].after` through redactSecrets and drop this field from any output.
   */
  secrets: { gatewayToken?: string };
}

export interface PlanMigrationParams {
  from: MigrationSide;
  to: MigrationSide;
  /** Target state dir (default: the target's current one). `~/x` is the target user's home. */
  stateDir?: string;
  /** Target gateway port (default: the target's current port). */
  port?: number;
  /** Generate a new gateway token (default: keep the source's). */
  newToken?: boolean;
  /** Allow replacing a target state dir in use (a safety backup of it is taken first). */
  replace?: boolean;
  signal?: AbortSignal;
}

/** Refuses a target whose OpenClaw is older than the source's: older builds refuse newer databases. */
export function assertTargetVersion(sourceVersion: string | undefined, targetVersion: string | undefined, ids: { from: string; to: string }): void {
  if (!targetVersion)
    throw new OcmError(
      'notFound',
      `OpenClaw was not found on the target ${ids.to} (or "openclaw --version" failed). Install OpenClaw ${sourceVersion ?? ''} or later there, or set its path with "ocm add --openclaw".`,
      { nodeId: ids.to },
    );
  if (!sourceVersion)
    throw new OcmError('notFound', `The OpenClaw version of the source ${ids.from} is unknown ("openclaw --version" failed there); check its installation.`, {
      nodeId: ids.from,
    });
  if (compareOpenclawVersions(targetVersion, sourceVersion) < 0) {
    throw new OcmError(
      'conflict',
      `${ids.to} runs OpenClaw ${targetVersion}, older than ${sourceVersion} on ${ids.from}; older builds refuse databases written by newer ones. Update OpenClaw on ${ids.to} to ${sourceVersion} or later, then migrate.`,
      { source: sourceVersion, target: targetVersion },
    );
  }
}

/** `~` / `~/x` → the node user's home; relative paths refused. */
export function expandNodePath(path: string, home: string): string {
  const p = path === '~' ? home : path.startsWith('~/') ? posix.join(home, path.slice(2)) : path;
  if (!posix.isAbsolute(p)) throw new OcmError('invalidInput', `"${path}" is not an absolute path on the node; give /abs/path or ~/path.`, { usage: true });
  return posix.normalize(p).replace(/\/+$/, '') || '/';
}

function within(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith('/') ? parent : `${parent}/`);
}

/** The directories to copy: the state dir, and each agent directory not inside it (outermost only). */
export function migrationRoots(stateDir: string, agentPaths: readonly string[]): string[] {
  const outside = [...new Set(agentPaths)].filter((p) => !within(p, stateDir)).sort((a, b) => a.length - b.length);
  const roots: string[] = [stateDir];
  for (const p of outside) if (!roots.some((r) => within(p, r))) roots.push(p);
  return [stateDir, ...roots.slice(1).sort()];
}

/** Where each root goes: the state dir to the target state dir; outside dirs under the target home (same path relative to the home), else unchanged. */
export function mapRoots(roots: readonly string[], source: { stateDir: string; home: string }, target: { stateDir: string; home: string }): PathMapping[] {
  return roots.map((from) => {
    if (from === source.stateDir) return { from, to: target.stateDir };
    if (within(from, source.home)) return { from, to: posix.join(target.home, posix.relative(source.home, from)) };
    return { from, to: from };
  });
}

// `ls -A` failing (a folder this user cannot read) says `unreadable`, never `free`; a dangling
// symlink is something there (`file`).
const DIR_IN_USE = (dir: string): string =>
  `d=${shellQuote(dir)}; if [ ! -e "$d" ] && [ ! -L "$d" ]; then echo free; elif [ ! -d "$d" ]; then echo file; elif l=$(ls -A "$d" 2>/dev/null); then if [ -n "$l" ]; then echo used; else echo free; fi; else echo unreadable; fi`;

/**
 * `free` (missing or empty), `used` (non-empty dir) or `file` (not a directory). Fails closed: a
 * folder it cannot list, or an answer it cannot read, is an error, never `free` (a `free` folder
 * is written into without --replace).
 */
export async function dirUse(transport: Transport, dir: string, signal?: AbortSignal): Promise<'free' | 'used' | 'file'> {
  const r = await transport.exec(DIR_IN_USE(dir), { timeoutMs: 20_000, ...(signal ? { signal } : {}) });
  const out = r.stdout.trim();
  if (r.exitCode === 0 && (out === 'free' || out === 'used' || out === 'file')) return out;
  if (r.exitCode === 0 && out === 'unreadable') {
    throw new OcmError(
      'permission',
      `${dir} on ${transport.nodeId} exists but this SSH user cannot list it, so migrate cannot tell whether it holds files. Connect as the user that runs OpenClaw, or choose another --state-dir.`,
      { nodeId: transport.nodeId, path: dir },
    );
  }
  const said = `${out.slice(0, 200)}${r.stderr.trim() ? ` ${r.stderr.trim().slice(0, 200)}` : ''}`.trim();
  throw new OcmError(
    'failed',
    `Could not tell whether ${dir} on ${transport.nodeId} is free (the check exited ${r.exitCode ?? r.signal}${said ? ` and said "${said}"` : ' with no answer'}); migrate stops rather than write into it. Check that the node has a POSIX sh, then try again.`,
    { nodeId: transport.nodeId, path: dir },
  );
}

/** Absolute symlinks below the given directories (`path\ttarget` lines). */
async function absoluteSymlinks(transport: Transport, dirs: readonly string[], signal?: AbortSignal): Promise<Array<{ entryPath: string; linkpath: string }>> {
  const script = `for d in ${dirs.map(shellQuote).join(' ')}; do [ -d "$d" ] && find "$d" -type l -exec sh -c 'for f; do printf "%s\\t%s\\n" "$f" "$(readlink "$f")"; done' sh {} +; done; exit 0`;
  const r = await transport.exec(script, { timeoutMs: 60_000, ...(signal ? { signal } : {}) });
  return r.stdout
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => ({ entryPath: l.slice(0, l.indexOf('\t')), linkpath: l.slice(l.indexOf('\t') + 1) }))
    .filter((l) => l.linkpath.startsWith('/'));
}

function getPath(obj: unknown, path: readonly string[]): unknown {
  let v = obj;
  for (const k of path) v = isRecord(v) ? v[k] : undefined;
  return v;
}

function endpoint(l: OpenclawLocation, running: boolean): MigrationEndpoint {
  return {
    nodeId: l.nodeId,
    version: l.version ?? null,
    home: l.home,
    stateDir: l.stateDir,
    configPath: l.configPath,
    gatewayPort: l.gatewayPort,
    gatewayRunning: running,
    supervisor: l.supervisor,
  };
}

/** Computes the migration plan (read-only on both nodes). */
export async function planMigration(p: PlanMigrationParams): Promise<MigrationPlan> {
  const sig = p.signal ? { signal: p.signal } : {};
  const [fromLoc, toLoc] = await Promise.all([locateOpenclaw(p.from.transport, p.from.node, sig), locateOpenclaw(p.to.transport, p.to.node, sig)]);
  const ids = { from: p.from.node.id, to: p.to.node.id };
  if (!fromLoc.configExists || !fromLoc.config) {
    throw (
      fromLoc.configError ??
      new OcmError(
        'notFound',
        `No OpenClaw config on ${ids.from} (${fromLoc.configPath}); nothing to migrate. Check the node's state dir (ocm add --state-dir).`,
        { nodeId: ids.from },
      )
    );
  }
  if (fromLoc.configPath !== posix.join(fromLoc.stateDir, posix.basename(fromLoc.configPath))) {
    throw new OcmError(
      'unsupported',
      `The config of ${ids.from} (${fromLoc.configPath}) is outside its state dir ${fromLoc.stateDir}; migrate supports a config inside the state dir. Move it there first.`,
      { nodeId: ids.from },
    );
  }
  assertTargetVersion(fromLoc.version, toLoc.version, ids);

  const targetStateDir = p.stateDir ? expandNodePath(p.stateDir, toLoc.home) : toLoc.stateDir;
  const port = p.port ?? toLoc.gatewayPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new OcmError('invalidInput', `--port ${port} is not a TCP port (1-65535).`, { usage: true });
  if (ids.from === ids.to && targetStateDir === fromLoc.stateDir) {
    throw new OcmError(
      'invalidInput',
      `Source and target are the same state dir (${ids.from}:${targetStateDir}); give --state-dir for a copy on the same node.`,
      { usage: true },
    );
  }

  const agents = agentsFromLocation(fromLoc);
  const roots = migrationRoots(
    fromLoc.stateDir,
    agents.flatMap((a) => [a.workspace, a.agentDir]),
  );
  const rootMap = mapRoots(roots, fromLoc, { stateDir: targetStateDir, home: toLoc.home });
  assertSafeRoots(
    rootMap,
    { nodeId: ids.from, home: fromLoc.home, stateDir: fromLoc.stateDir },
    { nodeId: ids.to, home: toLoc.home, stateDir: targetStateDir, currentStateDir: toLoc.stateDir },
    agents,
  );
  const pathMap: PathMapping[] = [...rootMap, ...(fromLoc.home !== toLoc.home ? [{ from: fromLoc.home, to: toLoc.home }] : [])];

  const [fromRunning, toRunning, newPortTaken, uses, links] = await Promise.all([
    gatewayListening({ transport: p.from.transport, location: fromLoc, node: p.from.node }),
    toLoc.installed ? gatewayListening({ transport: p.to.transport, location: toLoc, node: p.to.node }) : Promise.resolve(false),
    gatewayListening({ transport: p.to.transport, location: { ...toLoc, gatewayPort: port }, node: p.to.node }),
    Promise.all(rootMap.map((r) => dirUse(p.to.transport, r.to, p.signal))),
    absoluteSymlinks(p.from.transport, roots, p.signal),
  ]);
  const warnings: string[] = [];
  const replacesCurrent = targetStateDir === toLoc.stateDir;
  const stateDirInUse = uses[0] !== 'free';
  const usedRoots = rootMap.filter((_r, i) => uses[i] !== 'free');
  if (uses.some((u) => u === 'file')) {
    throw new OcmError(
      'conflict',
      `On ${ids.to}, ${rootMap
        .filter((_r, i) => uses[i] === 'file')
        .map((r) => r.to)
        .join(', ')} exists and is not a directory. Remove it or choose another --state-dir.`,
      { nodeId: ids.to },
    );
  }
  if (usedRoots.length > 0 && !p.replace) {
    throw new OcmError(
      'conflict',
      `On ${ids.to}, ${usedRoots.map((r) => r.to).join(', ')} already holds files${replacesCurrent && toRunning ? ` and its gateway is running on port ${toLoc.gatewayPort}` : ''}. Choose another --state-dir, or add --replace to replace it (a safety backup of it is taken first).`,
      { nodeId: ids.to, inUse: usedRoots.map((r) => r.to) },
    );
  }
  // The port is taken by the target's own gateway (stopped when it is replaced) or by something else.
  const portIsCurrentGateway = toRunning && port === toLoc.gatewayPort;
  if (newPortTaken && !(portIsCurrentGateway && p.replace)) {
    throw new OcmError(
      'conflict',
      `Port ${port} on ${ids.to} is in use${portIsCurrentGateway ? ` by its current gateway (state dir ${toLoc.stateDir})` : ''}. Choose another --port${portIsCurrentGateway ? ', or add --replace to stop that gateway' : ''}.`,
      { nodeId: ids.to, port },
    );
  }
  const stopsCurrentGateway = toRunning && ((replacesCurrent && stateDirInUse) || port === toLoc.gatewayPort);
  if (stopsCurrentGateway)
    warnings.push(
      `The gateway now running on ${ids.to} (port ${toLoc.gatewayPort}) is stopped while the migrated one takes its place; it is started again if the migration fails.`,
    );
  if (toLoc.supervisor !== 'unmanaged' && !replacesCurrent)
    warnings.push(
      `${ids.to} runs its gateway under ${toLoc.supervisor}; the migrated gateway in ${targetStateDir} is started directly (not by ${toLoc.supervisor}). Point the service at the new state dir to make it permanent.`,
    );
  for (const r of rootMap)
    if (r.from !== fromLoc.stateDir && r.to === r.from)
      warnings.push(`${r.from} is outside the home of ${ids.from}; it is placed at the same path on ${ids.to}.`);

  const resolved = fromLoc.config.resolved;
  const newToken = p.newToken ? randomBytes(24).toString('hex') : undefined;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const rewritten = rewriteConfig({
    files: fromLoc.config.files.map((f) => ({ path: f.path, role: f.role, text: f.text })),
    pathMap,
    sourceHome: fromLoc.home,
    targetHome: toLoc.home,
    port,
    ...(typeof getPath(resolved, ['gateway', 'port']) === 'number' ? { sourcePort: getPath(resolved, ['gateway', 'port']) as number } : {}),
    ...(str(getPath(resolved, ['gateway', 'auth', 'token'])) ? { sourceToken: str(getPath(resolved, ['gateway', 'auth', 'token']))! } : {}),
    ...(newToken ? { newToken } : {}),
    ...(str(getPath(resolved, ['gateway', 'remote', 'url'])) ? { remoteUrl: str(getPath(resolved, ['gateway', 'remote', 'url']))! } : {}),
    ...(str(getPath(resolved, ['gateway', 'remote', 'token'])) ? { remoteToken: str(getPath(resolved, ['gateway', 'remote', 'token']))! } : {}),
    sourceHost: p.from.node.host,
    targetHost: p.to.node.host,
  });
  warnings.push(...rewritten.warnings);
  const symlinks = flagExternalSymlinks(links, rootMap);
  warnings.push(...symlinks.map((s) => s.message));

  // The target's current texts at the same places, for the "against the target's current one" diff.
  const files: MigrationConfigFile[] = await Promise.all(
    rewritten.files.map(async (f) => {
      const current = stateDirInUse
        ? await readFileBounded(p.to.transport, f.targetPath, MAX_CONFIG_BYTES, sig).then(
            (b) => b.toString('utf8'),
            () => undefined,
          )
        : undefined;
      return current !== undefined ? { ...f, targetCurrent: current } : f;
    }),
  );
  const targetConfigPath = mapPath(fromLoc.configPath, rootMap);
  const extractWith = compareOpenclawVersions(toLoc.version!, BACKUP_RESTORE_MIN_VERSION) >= 0 ? 'openclaw-backup-restore' : 'tar';
  const stopSteps: PlannedStep[] = stopsCurrentGateway
    ? [{ id: 'stopCurrent', description: `stop the gateway now running on ${ids.to} (port ${toLoc.gatewayPort})` }]
    : [];
  const steps: PlannedStep[] = [
    { id: 'sourceBackup', description: `fresh backup of ${ids.from} (the source is not changed)` },
    ...(usedRoots.length > 0 ? [{ id: 'safetyBackup', description: `safety backup of ${usedRoots.map((r) => r.to).join(', ')} on ${ids.to}` }] : []),
    { id: 'check', description: 'build the archive from the fresh backup, scan it and check it holds exactly what the backup lists' },
    { id: 'upload', description: `upload the archive to ${ids.to} and check its sha256 there` },
    {
      id: 'extract',
      description: extractWith === 'tar' ? 'extract it into a staging folder (tar)' : 'extract it into a staging folder (openclaw backup restore --target)',
    },
    { id: 'stage', description: `arrange ${roots.length} folder(s) for ${ids.to} and write the adapted config` },
    ...stopSteps,
    { id: 'place', description: `move the staged state into place: ${rootMap.map((r) => r.to).join(', ')}` },
    { id: 'doctor', description: 'openclaw doctor --fix --non-interactive (repairs paths kept inside SQLite)' },
    { id: 'validate', description: 'openclaw config validate --json' },
    { id: 'start', description: `start the gateway on port ${port}${p.to.node.startCommand ? ' (node start command)' : ''}` },
    { id: 'ready', description: `wait for /readyz on port ${port}` },
    { id: 'agents', description: `check "openclaw agents list" shows ${agents.map((a) => a.id).join(', ')} with ${ids.to} paths` },
    { id: 'registry', description: `record the state dir and port of ${ids.to} in the registry` },
  ];

  const plan: MigrationPlan = {
    operation: 'migrate',
    nodeId: ids.to,
    createdAt: new Date().toISOString(),
    summary: `migrate ${ids.from}:${fromLoc.stateDir} (OpenClaw ${fromLoc.version}, ${agents.length} agent(s)) → ${ids.to}:${targetStateDir}, port ${port}${newToken ? ', new gateway token' : ''}`,
    files: [],
    unchanged: 0,
    configRewrites: rewritten.rewrites,
    steps,
    source: { kind: 'none' },
    warnings,
    from: endpoint(fromLoc, fromRunning),
    to: {
      ...endpoint({ ...toLoc, stateDir: targetStateDir, configPath: targetConfigPath, gatewayPort: port }, false),
      current: {
        stateDir: toLoc.stateDir,
        configPath: toLoc.configPath,
        gatewayPort: toLoc.gatewayPort,
        gatewayRunning: toRunning,
        ...(toLoc.config?.files[0] ? { configText: toLoc.config.files[0].text } : {}),
      },
      stateDirInUse,
      stopsCurrentGateway,
    },
    roots: rootMap,
    pathMap,
    agents: agents.map((a) => ({
      id: a.id,
      isDefault: a.isDefault,
      from: { workspace: a.workspace, agentDir: a.agentDir },
      to: { workspace: mapPath(a.workspace, rootMap), agentDir: mapPath(a.agentDir, rootMap) },
    })),
    config: { mainPath: targetConfigPath, files },
    symlinks,
    extractWith,
    replace: Boolean(p.replace),
    newToken: Boolean(newToken),
    secrets: newToken ? { gatewayToken: newToken } : {},
  };
  return plan;
}
