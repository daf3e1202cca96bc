import { promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { backupNode, backupSourcesFromLocation, backupStoreFor, openclawCommandFromLocation, type BackupStore } from '../backup';
import { OcmError, toOcmError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { locateOpenclaw } from '../openclaw/locate';
import {
  gatewayIsRunning,
  gatewayListenerPids,
  gatewayListening,
  startGateway,
  stopStartedGateway,
  waitForReady,
  type GatewayTarget,
} from '../operations/gateway';
import { NodeRegistry, type NodeEntry } from '../registry';
import { LocalTransport } from '../transport/local-transport';
import { shellQuote } from '../transport/shell-quote';
import { agentFiles } from './content';
import { DEMO_DOWNLOAD, ensureDemoOpenclaw, type OpenclawInstall } from './install';
import { DEMO_AGENT_IDS, DEMO_LABEL, DEMO_NODE_IDS, DEMO_OPENCLAW_VERSION, DEMO_PREFERRED_PORTS, type DemoLayout, type DemoNodeId } from './layout';
import { startMemoryAgent } from './memory-agent';
import { processHasEnv, recordProcess, stopRecorded, type StopReport } from './processes';
import { ensureTemplate, instantiateTemplate, OPENCLAW_OFFLINE_ENV } from './template';

/**
 * The demo fleet behind `npm start` and the extension's "Try a Demo Node…": two OpenClaw nodes on
 * this machine (`host: local`), each with its own HOME, state dir and loopback gateway port, three
 * agents with lived-in workspaces, gateways started and checked the way ocm starts a remote
 * node's (core/operations/gateway.ts over the local transport), one backup each through the core
 * backup code, and a small process that keeps appending to one MEMORY.md. Everything it starts is
 * in the pid file, and stopDemo stops exactly that.
 */

export interface DemoOptions {
  layout: DemoLayout;
  /** An OpenClaw install to use (npm start passes the tools cache's); default: found or installed in layout.toolsDir. */
  install?: OpenclawInstall;
  /** Rebuild from scratch (the template and the OpenClaw install are kept). */
  reset?: boolean;
  /**
   * Where the demo nodes are registered: `own` (default) replaces <demo ocm home>/nodes.json with
   * exactly the demo nodes on a build; `merge` adds or updates demo-a and demo-b in `path` and
   * leaves every other node alone (the extension's registry).
   */
  registry?: { path: string; mode: 'own' | 'merge' };
  /** Backup store for the first backups (default: the demo ocm home's). */
  backupStore?: BackupStore;
  /** Start the MEMORY.md appender (default true; interval 45–90 s). */
  memoryAgent?: boolean | { minSeconds: number; maxSeconds: number };
  /** How long each gateway may take to get ready (default 5 min: a loaded 2-core machine). */
  readyTimeoutMs?: number;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

export interface DemoNodeReport {
  id: DemoNodeId;
  stateDir: string;
  gatewayPort: number;
  ready: boolean;
  readyAfterMs?: number;
  /** Why it is not ready (gateway start or readiness failure). */
  error?: string;
  backupId?: string;
}

export interface DemoStartResult {
  built: boolean;
  ocmHome: string;
  registryPath: string;
  nodes: DemoNodeReport[];
  memoryFile?: string;
  /** Processes of an earlier run that were still running and were stopped first. */
  cleaned: number;
  durationMs: number;
}

interface BuildMarker {
  version: string;
  builtAt: string;
  nodes: Array<{ id: DemoNodeId; stateDir: string; gatewayPort: number }>;
  backedUp?: boolean;
}

export async function readBuildMarker(layout: DemoLayout): Promise<BuildMarker | undefined> {
  const text = await fs.readFile(layout.buildMarker, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  try {
    return JSON.parse(text) as BuildMarker;
  } catch {
    return undefined;
  }
}

/** What the first build installs and how long it takes, said before it starts. */
export function firstRunNotice(layout: DemoLayout, have: { openclaw: boolean; template: boolean }): string {
  const minutes = (have.openclaw ? 0 : DEMO_DOWNLOAD.minutes) + (have.template ? 1 : 2);
  return [
    `First run: building the demo fleet in ${layout.root}.`,
    have.openclaw
      ? `  OpenClaw ${DEMO_OPENCLAW_VERSION} is already in the tools cache (${layout.toolsDir}).`
      : `  It installs Node.js 24 and OpenClaw ${DEMO_OPENCLAW_VERSION} from the npm registry into ${layout.toolsDir} (about ${DEMO_DOWNLOAD.downloadMb} MB download, ${DEMO_DOWNLOAD.diskMb} MB on disk, 1-2 minutes).`,
    have.template
      ? `  Then it makes two demo nodes (demo-a, demo-b) from the onboarded node kept in ${layout.templateDir}, with agents main, research and support,`
      : `  Then it onboards a demo node for real (openclaw onboard + agents add research, support; about a minute, kept for the next build) and makes demo-a and demo-b from it,`,
    `  starts their gateways on 127.0.0.1 (about 1 GB of memory each; they take 20 s to 2 minutes to get ready, depending on the load) and takes one backup of each.`,
    `  About ${minutes} minute${minutes === 1 ? '' : 's'} in all. Nothing leaves this machine.`,
  ].join('\n');
}

async function exists(path: string): Promise<boolean> {
  return fs.access(path).then(
    () => true,
    () => false,
  );
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freePort(avoid: Set<number>): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (!avoid.has(port)) return port;
  }
}

/** The node's `openclaw`: Node 24 + the cached install, with this node's own HOME and no foreign OPENCLAW_* settings. */
function wrapperScript(install: OpenclawInstall, home: string): string {
  const offline = Object.entries(OPENCLAW_OFFLINE_ENV)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return [
    '#!/bin/sh',
    '# openclaw for an OpenClaw Manager demo node (written by the demo builder; `npm start -- --reset-demo` rewrites it).',
    "# OPENCLAW_STATE_DIR comes from ocm (the registry's stateDir); a config path, profile or home of",
    '# your own OpenClaw must not leak in.',
    'unset OPENCLAW_CONFIG_PATH OPENCLAW_HOME OPENCLAW_PROFILE OPENCLAW_GATEWAY_PORT',
    `export HOME=${shellQuote(home)} ${offline}`,
    `exec ${shellQuote(install.nodeBin)} ${shellQuote(install.bin)} "$@"`,
    '',
  ].join('\n');
}

async function writeAgentContent(stateDir: string, node: DemoNodeId): Promise<void> {
  for (const agent of DEMO_AGENT_IDS) {
    const workspace = join(stateDir, agent === 'main' ? 'workspace' : `workspace-${agent}`);
    // A workspace that has been in use: the first-run script is gone, the persona and memory are written.
    await fs.rm(join(workspace, 'BOOTSTRAP.md'), { force: true });
    for (const [rel, text] of Object.entries(agentFiles(node, agent))) {
      await fs.mkdir(dirname(join(workspace, rel)), { recursive: true });
      await fs.writeFile(join(workspace, rel), text, { mode: 0o644 });
    }
  }
}

async function build(options: DemoOptions, install: OpenclawInstall, say: (m: string) => void): Promise<BuildMarker> {
  const { layout } = options;
  const template = await ensureTemplate(install, layout.templateDir, {
    toolsDir: layout.toolsDir,
    onProgress: say,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const used = new Set<number>();
  const marker: BuildMarker = { version: install.version, builtAt: new Date().toISOString(), nodes: [] };
  for (const id of DEMO_NODE_IDS) {
    const n = layout.node(id);
    const preferred = DEMO_PREFERRED_PORTS[id];
    const port = !used.has(preferred) && (await portIsFree(preferred)) ? preferred : await freePort(used);
    used.add(port);
    say(`${id}: state dir ${n.stateDir}, gateway port ${port}`);
    await fs.mkdir(n.home, { recursive: true, mode: 0o700 });
    await fs.mkdir(dirname(n.wrapper), { recursive: true });
    await instantiateTemplate(template, n.stateDir, { port, logFile: join(n.stateDir, 'logs', 'openclaw.log') });
    await fs.writeFile(n.wrapper, wrapperScript(install, n.home), { mode: 0o755 });
    await writeAgentContent(n.stateDir, id);
    marker.nodes.push({ id, stateDir: n.stateDir, gatewayPort: port });
  }
  await writeRegistry(options, marker, layout);
  await writeFileAtomic(layout.buildMarker, JSON.stringify(marker, null, 2) + '\n', 0o600);
  return marker;
}

function registryOf(options: DemoOptions): { path: string; mode: 'own' | 'merge' } {
  return options.registry ?? { path: join(options.layout.ocmHome, 'nodes.json'), mode: 'own' };
}

async function writeRegistry(options: DemoOptions, marker: BuildMarker, layout: DemoLayout): Promise<void> {
  const { path, mode } = registryOf(options);
  const entries = marker.nodes.map((n) => ({
    id: n.id,
    host: 'local',
    stateDir: n.stateDir,
    gatewayPort: n.gatewayPort,
    openclawPath: layout.node(n.id).wrapper,
    status: 'active' as const,
    labels: [DEMO_LABEL],
  }));
  await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  if (mode === 'own') await fs.rm(path, { force: true });
  const registry = new NodeRegistry(path);
  const { skipped } = await registry.addMany(entries);
  for (const id of skipped) {
    const { id: _id, ...rest } = entries.find((e) => e.id === id)!;
    await registry.patch(id, rest);
  }
}

/** The demo nodes as the registry has them now (a migrate may have changed a state dir or port). */
async function demoEntries(options: DemoOptions): Promise<NodeEntry[]> {
  const registry = new NodeRegistry(registryOf(options).path);
  const all = await registry.list({ includeRetired: false });
  return all.filter((n): n is NodeEntry & { id: DemoNodeId } => (DEMO_NODE_IDS as readonly string[]).includes(n.id) && n.host === 'local');
}

async function targetFor(node: NodeEntry, signal?: AbortSignal): Promise<GatewayTarget> {
  const transport = new LocalTransport({ nodeId: node.id });
  const location = await locateOpenclaw(transport, node, { loginShell: false, ...(signal ? { signal } : {}) });
  if (!location.installed)
    throw new OcmError('notFound', `${node.id}: ${location.reason ?? 'OpenClaw was not found'} Rebuild the demo (npm start -- --reset-demo).`, {
      nodeId: node.id,
    });
  return { transport, location, node };
}

/** Starts one node's gateway the way ocm starts an unmanaged gateway, records its pid, waits for /readyz. */
async function startNodeGateway(options: DemoOptions, node: NodeEntry, say: (m: string) => void): Promise<DemoNodeReport> {
  const report: DemoNodeReport = { id: node.id as DemoNodeId, stateDir: node.stateDir ?? '', gatewayPort: node.gatewayPort ?? 0, ready: false };
  const t = await targetFor(node, options.signal);
  report.gatewayPort = t.location.gatewayPort;
  if (await gatewayListening(t)) {
    throw new OcmError(
      'exists',
      `Port ${t.location.gatewayPort} of ${node.id} is already in use by another program. Stop it, or rebuild the demo with new ports (npm start -- --reset-demo).`,
      { nodeId: node.id },
    );
  }
  const started = Date.now();
  say(`${node.id}: starting the gateway on 127.0.0.1:${t.location.gatewayPort} ...`);
  await startGateway(t, options.signal ? { signal: options.signal } : {});
  let recorded = false;
  try {
    const ready = await waitForReady(t, { timeoutMs: options.readyTimeoutMs ?? 300_000, ...(options.signal ? { signal: options.signal } : {}) });
    const { pids } = await gatewayListenerPids(t);
    for (const pid of pids) recorded = Boolean(await recordProcess(options.layout.pidFile, { pid, kind: 'gateway', nodeId: node.id })) || recorded;
    if (!ready.ready) {
      report.error = `not ready after ${Math.round(ready.waitedMs / 1000)} s${ready.failing.length ? ` (failing: ${ready.failing.join(', ')})` : ''}${ready.lastError ? `: ${ready.lastError}` : ''}`;
      return report;
    }
    report.ready = true;
    report.readyAfterMs = Date.now() - started;
    say(`${node.id}: gateway ready after ${(report.readyAfterMs / 1000).toFixed(1)} s`);
    return report;
  } finally {
    // A gateway we could not record (cancelled, never listened) must not outlive the demo.
    if (!recorded) await stopStartedGateway(t).catch(() => undefined);
  }
}

async function backupDemoNode(store: BackupStore, node: NodeEntry, signal?: AbortSignal): Promise<string> {
  const t = await targetFor(node, signal);
  const r = await backupNode({
    store,
    nodeId: node.id,
    transport: t.transport,
    engine: 'auto',
    openclaw: openclawCommandFromLocation(t.location),
    sources: backupSourcesFromLocation(t.location),
    gatewayRunning: await gatewayIsRunning(t),
    ...(signal ? { signal } : {}),
  });
  return r.index.id;
}

/**
 * Builds the demo when needed (or when `reset`), cleans up what an earlier run left running,
 * starts both gateways, takes the first backups (first build only) and the memory agent.
 */
export async function startDemo(options: DemoOptions): Promise<DemoStartResult> {
  const started = Date.now();
  const say = options.onProgress ?? (() => undefined);
  const { layout } = options;
  const previous = await stopDemo(layout, { registry: registryOf(options).path });
  const cleaned = previous.stopped.length + previous.killed.length;
  if (cleaned > 0) say(`Stopped ${cleaned} process(es) left running by an earlier demo run.`);
  if (options.reset) await removeDemo(layout);

  let marker = await readBuildMarker(layout);
  let built = false;
  if (!marker || marker.version !== DEMO_OPENCLAW_VERSION || !(await exists(layout.node('demo-a').stateDir))) {
    if (marker) await removeDemo(layout);
    const haveOpenclaw = Boolean(options.install) || (await exists(join(layout.toolsDir, `openclaw-${DEMO_OPENCLAW_VERSION}`, '.installed')));
    say(firstRunNotice(layout, { openclaw: haveOpenclaw, template: await exists(join(layout.templateDir, 'template.json')) }));
    const install =
      options.install ??
      (await ensureDemoOpenclaw({
        toolsDir: layout.toolsDir,
        version: DEMO_OPENCLAW_VERSION,
        onProgress: say,
        ...(options.signal ? { signal: options.signal } : {}),
      }));
    marker = await build(options, install, say);
    built = true;
  }

  const nodes = await demoEntries(options);
  const reports = await Promise.all(
    nodes.map((node) =>
      startNodeGateway(options, node, say).catch((e): DemoNodeReport => {
        const err = toOcmError(e);
        if (err.kind === 'cancelled') throw err;
        return { id: node.id as DemoNodeId, stateDir: node.stateDir ?? '', gatewayPort: node.gatewayPort ?? 0, ready: false, error: err.message };
      }),
    ),
  );
  for (const r of reports) if (r.error) say(`${r.id}: ${r.error}`);

  if (!marker.backedUp) {
    const store = options.backupStore ?? backupStoreFor({ ...process.env, OCM_HOME: layout.ocmHome, OCM_BACKUP_DIR: '' });
    for (const r of reports.filter((x) => x.ready)) {
      say(`${r.id}: taking the first backup ...`);
      r.backupId = await backupDemoNode(
        store,
        nodes.find((n) => n.id === r.id)!,
        options.signal,
      );
    }
    if (reports.every((r) => r.backupId)) await writeFileAtomic(layout.buildMarker, JSON.stringify({ ...marker, backedUp: true }, null, 2) + '\n', 0o600);
  }

  let memoryFile: string | undefined;
  const a = nodes.find((n) => n.id === 'demo-a');
  if (options.memoryAgent !== false && a?.stateDir) {
    memoryFile = join(a.stateDir, 'workspace', 'MEMORY.md');
    const timing = typeof options.memoryAgent === 'object' ? options.memoryAgent : {};
    const install = options.install ?? (await ensureDemoOpenclaw({ toolsDir: layout.toolsDir, version: DEMO_OPENCLAW_VERSION }));
    const pid = startMemoryAgent(install.nodeBin, memoryFile, timing);
    await recordProcess(layout.pidFile, { pid, kind: 'memory-agent', nodeId: 'demo-a' });
  }
  return {
    built,
    ocmHome: layout.ocmHome,
    registryPath: registryOf(options).path,
    nodes: reports,
    ...(memoryFile ? { memoryFile } : {}),
    cleaned,
    durationMs: Date.now() - started,
  };
}

/**
 * Stops what the demo runs: every process in the pid file that is still ours, and any gateway on a
 * demo node's port that runs with that node's HOME (one ocm started later, e.g. by a forced
 * restart or a migration). Nothing else is signalled.
 */
export async function stopDemo(layout: DemoLayout, options: { registry?: string; graceMs?: number } = {}): Promise<StopReport> {
  const report = await stopRecorded(layout.pidFile, { graceMs: options.graceMs ?? 20_000 });
  const registry = new NodeRegistry(options.registry ?? join(layout.ocmHome, 'nodes.json'));
  const nodes = await registry.list({ includeRetired: true }).catch(() => [] as NodeEntry[]);
  for (const node of nodes) {
    if (!(DEMO_NODE_IDS as readonly string[]).includes(node.id) || node.host !== 'local' || !node.gatewayPort) continue;
    const t: GatewayTarget = {
      transport: new LocalTransport({ nodeId: node.id }),
      location: { gatewayPort: node.gatewayPort } as GatewayTarget['location'],
      node,
    };
    const { pids } = await gatewayListenerPids(t).catch(() => ({ pids: [] as number[] }));
    const home = layout.node(node.id as DemoNodeId).home;
    for (const pid of pids) {
      if (!(await processHasEnv(pid, 'HOME', home))) continue;
      const entry = await recordProcess(layout.pidFile, { pid, kind: 'gateway', nodeId: node.id });
      if (!entry) continue;
      const more = await stopRecorded(layout.pidFile, { graceMs: options.graceMs ?? 20_000, filter: (p) => p.pid === pid });
      report.stopped.push(...more.stopped);
      report.killed.push(...more.killed);
    }
  }
  return report;
}

/** Removes what a build made (nodes, demo ocm home, marker, run folder); other folders in the demo dir stay. */
async function removeDemo(layout: DemoLayout): Promise<void> {
  for (const p of [join(layout.root, 'nodes'), layout.ocmHome, layout.buildMarker, layout.runDir]) await fs.rm(p, { recursive: true, force: true });
}
