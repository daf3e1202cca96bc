import { backupStoreFor } from '../core/backup/store';
import { isMixupError, lineRanges, MixupGuard, type MixupFinding } from '../core/guard';
import { ocmHome } from '../core/home';
import { agentsFromLocation, GUARDED_FILE_NAMES, locateOpenclaw, type AgentInfo } from '../core/openclaw';
import type { NodeEntry } from '../core/registry';
import type { Transport } from '../core/transport/types';
import type { CliContext } from './context';
import { cliError, l10n } from './l10n';

/**
 * The mix-up guard for CLI saves (`ocm put`, `ocm timeline --restore`, `ocm history restore`,
 * `ocm undelete`): the fingerprint index from the ocm home; the node's agents from the index when
 * it knows them (no round trip), else located once and the index refreshed for that node from
 * local snapshots and history.
 */
export async function cliGuardHook(ctx: CliContext, t: Transport, node: NodeEntry, remotePath: string): Promise<GuardHook | undefined> {
  return cliGuardFor(ctx, t, node)(remotePath);
}

export type GuardHook = (content: Uint8Array, current: Buffer | undefined) => void;

/**
 * One guard for several paths of a node (a folder undelete): the index and the agents are looked
 * up once. `noteWritten` tells it a save landed (the text counts as that agent's own at once); it
 * uses the index already loaded for a check, else only the agents the index knows (no round trip),
 * and a failure there never fails the save that already happened.
 */
export type CliGuard = ((remotePath: string) => Promise<GuardHook | undefined>) & {
  noteWritten(remotePath: string, content: Uint8Array): Promise<void>;
};

export function cliGuardFor(ctx: CliContext, t: Transport, node: NodeEntry): CliGuard {
  let ready: Promise<{ guard: MixupGuard; agents: AgentInfo[] } | undefined> | undefined;
  const load = async () => {
    const guard = new MixupGuard(ocmHome(ctx.env), backupStoreFor(ctx.env));
    let agents = await guard.knownAgents(node.id);
    if (!agents) {
      try {
        agents = agentsFromLocation(await locateOpenclaw(t, node));
        await guard.refresh([{ nodeId: node.id, agents }]);
      } catch {
        return undefined; // no agents known: nothing to guard against yet
      }
    }
    return { guard, agents };
  };
  const known = async () => {
    const guard = new MixupGuard(ocmHome(ctx.env));
    const agents = await guard.knownAgents(node.id);
    return agents ? { guard, agents } : undefined;
  };
  const hook = async (remotePath: string): Promise<GuardHook | undefined> => {
    const name = remotePath.split('/').pop() ?? '';
    if (!(GUARDED_FILE_NAMES as readonly string[]).includes(name)) return undefined;
    const g = await (ready ??= load());
    return g?.guard.hookFor(node.id, g.agents, remotePath);
  };
  return Object.assign(hook, {
    async noteWritten(remotePath: string, content: Uint8Array): Promise<void> {
      try {
        const g = await (ready ?? known());
        if (g) await g.guard.noteWritten(node.id, g.agents, remotePath, content);
      } catch {
        // the index is rebuilt by the next refresh
      }
    },
  });
}

/** A core mix-up refusal as a localized CLI error (the English message stays in --json). */
export function localizeMixup(e: unknown): unknown {
  if (!isMixupError(e)) return e;
  const findings = (e.details.findings ?? []) as MixupFinding[];
  const lines = findings.map((f) => '  - ' + findingText(f) + (f.excerpt.length ? `\n      ${f.excerpt.slice(0, 3).join('\n      ')}` : ''));
  const message = l10n.both(
    "{0} of agent {1} on {2} was NOT saved: the new text looks like another agent's memory.\n{3}\nCompare and remove that text, or save anyway on purpose with --force.",
    String(e.details.relativePath),
    String(e.details.agentId),
    String(e.details.nodeId),
    lines.join('\n'),
  );
  return cliError('conflict', { en: e.message, text: message.text }, e.details);
}

export function findingText(f: MixupFinding): string {
  const who = f.other.name ? `${f.other.agentId} (${f.other.name})` : f.other.agentId;
  const where = lineRanges(f.lines);
  if (f.kind === 'overlap')
    return l10n.t('{0} phrases match {1} of agent {2} on node {3} (lines {4})', f.matched ?? 0, f.file?.relativePath ?? '?', who, f.other.nodeId, where);
  return l10n.t('the name "{0}" of agent {1} on node {2} appears where this agent\'s own name does not (lines {3})', f.name ?? '', who, f.other.nodeId, where);
}
