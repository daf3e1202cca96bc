import { posix } from 'node:path';
import { OcmError } from '../errors';
import type { PathMapping } from './config-rewrite';

/**
 * Which folders migrate may take whole. Each root (the state dir, and agent folders outside it) is
 * copied as one tree and, with `--replace`, whatever sits at its place on the target is moved
 * aside; an agent whose workspace is `~` would copy the source's whole home and move the target's
 * home away. So `/`, a home folder (or a folder holding it) and a folder holding the state dir are
 * refused on either side, before anything is read or changed.
 */

export interface RootsSide {
  nodeId: string;
  home: string;
  /** The state dir migrate copies from (source) or into (target). */
  stateDir: string;
  /** Target only: the state dir its current gateway uses, when it is another one. */
  currentStateDir?: string;
}

export interface RootOwner {
  id: string;
  workspace: string;
  agentDir: string;
}

function within(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith('/') ? parent : `${parent}/`);
}

/** Why `dir` must not be a migrated root on `side`, or undefined when it may. */
export function unsafeRootReason(dir: string, side: RootsSide, isStateDir: boolean): string | undefined {
  const d = posix.normalize(dir).replace(/(.)\/+$/, '$1');
  if (d === '/') return 'the root folder /';
  if (d === side.home) return `the home folder of ${side.nodeId}`;
  if (within(side.home, d)) return `a folder holding the home folder ${side.home} of ${side.nodeId}`;
  if (!isStateDir && within(side.stateDir, d)) return `a folder holding the state dir ${side.stateDir}`;
  if (side.currentStateDir && side.currentStateDir !== d && within(side.currentStateDir, d))
    return `a folder holding the current state dir ${side.currentStateDir} of ${side.nodeId}`;
  return undefined;
}

/**
 * Throws OcmError('invalidInput') naming the first unsafe root, on which node, why, and what to
 * change. `roots[0]` is the state dir mapping.
 */
export function assertSafeRoots(roots: readonly PathMapping[], source: RootsSide, target: RootsSide, agents: readonly RootOwner[]): void {
  roots.forEach((root, i) => {
    const isStateDir = i === 0;
    // The agents whose folders (outside the state dir) made this root.
    const made = (p: string): boolean => within(p, root.from) && !within(p, source.stateDir);
    const owners = agents.filter((a) => made(a.workspace) || made(a.agentDir)).map((a) => a.id);
    const what = isStateDir ? 'the state dir' : `the folder of agent${owners.length > 1 ? 's' : ''} ${owners.map((o) => `"${o}"`).join(', ') || '?'}`;
    const fromReason = unsafeRootReason(root.from, source, isStateDir);
    const toReason = fromReason ? undefined : unsafeRootReason(root.to, target, isStateDir);
    if (!fromReason && !toReason) return;
    const where = fromReason ? `${source.nodeId}:${root.from}` : `${target.nodeId}:${root.to}`;
    const fix = isStateDir
      ? fromReason
        ? `Give ${source.nodeId} a state dir of its own (e.g. ~/.openclaw), then migrate.`
        : 'Choose a --state-dir of its own on the target, e.g. ~/.openclaw.'
      : `Give ${owners.length > 1 ? 'those agents' : 'the agent'} a workspace and agent dir of their own (e.g. ~/.openclaw/workspace-<agent>) in openclaw.json on ${source.nodeId}, then migrate.`;
    throw new OcmError(
      'invalidInput',
      `Cannot migrate ${what} (${where}): it is ${fromReason ?? toReason}. Migrate copies each such folder whole and, with --replace, moves the target's folder at that place aside, so it refuses this one. ${fix}`,
      { nodeId: fromReason ? source.nodeId : target.nodeId, path: fromReason ? root.from : root.to, ...(isStateDir ? {} : { agents: owners }) },
    );
  });
}
