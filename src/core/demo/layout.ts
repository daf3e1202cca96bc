import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the demo fleet lives: one folder (the demo dir) holding the demo's ocm home (registry and
 * backups), each demo node's HOME, state dir and `openclaw` wrapper, and the run folder with the
 * pid file. The onboarded template and the OpenClaw install sit in the tools cache beside it, so a
 * rebuild (`--reset-demo`) reuses them.
 */

/** The OpenClaw release the demo runs (the newest layout: agents.entries, SQLite sessions). */
export const DEMO_OPENCLAW_VERSION = '2026.9.6';
export const DEMO_NODE_IDS = ['demo-a', 'demo-b'] as const;
export type DemoNodeId = (typeof DEMO_NODE_IDS)[number];
export const DEMO_AGENT_IDS = ['main', 'research', 'support'] as const;
/** Preferred gateway ports (a free one is taken when one is in use). */
export const DEMO_PREFERRED_PORTS: Record<DemoNodeId, number> = { 'demo-a': 18801, 'demo-b': 18802 };
/** Label on the demo's registry entries: the extension and the CLI can tell demo nodes apart. */
export const DEMO_LABEL = 'demo';

/** $OCM_TOOLS_DIR, else ~/.cache/openclaw-manager-tools (the same rule as scripts/tools.mjs). */
export function defaultToolsDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.OCM_TOOLS_DIR?.trim();
  return configured ? configured : join(homedir(), '.cache', 'openclaw-manager-tools');
}

export interface DemoLayout {
  /** The demo dir (everything the demo created, removed by a reset). */
  root: string;
  /** Tools cache: Node 24, OpenClaw, the onboarded template. */
  toolsDir: string;
  /** The demo's own ocm home (npm start points OCM_HOME here). */
  ocmHome: string;
  /** Marker written when a build finished: {version, builtAt, nodes}. */
  buildMarker: string;
  /** Pid file of the processes the demo started. */
  pidFile: string;
  runDir: string;
  /** The onboarded state dir copied into each node (cached per OpenClaw version). */
  templateDir: string;
  node(id: DemoNodeId): DemoNodeLayout;
}

export interface DemoNodeLayout {
  id: DemoNodeId;
  dir: string;
  /** HOME of this node's OpenClaw processes (its caches and temp files stay here). */
  home: string;
  stateDir: string;
  /** `openclaw` for this node: a small sh script running the cached install with Node 24. */
  wrapper: string;
}

export function demoLayout(options: { root?: string; toolsDir?: string; templateDir?: string } = {}): DemoLayout {
  const toolsDir = options.toolsDir ?? defaultToolsDir();
  const root = options.root ?? join(toolsDir, 'demo');
  const runDir = join(root, 'run');
  return {
    root,
    toolsDir,
    ocmHome: join(root, 'ocm-home'),
    buildMarker: join(root, 'demo.json'),
    runDir,
    pidFile: join(runDir, 'processes.json'),
    templateDir: options.templateDir ?? join(toolsDir, `openclaw-${DEMO_OPENCLAW_VERSION}-demo-template`),
    node(id) {
      const dir = join(root, 'nodes', id);
      return { id, dir, home: join(dir, 'home'), stateDir: join(dir, 'state'), wrapper: join(dir, 'bin', 'openclaw') };
    },
  };
}
