import type { BackupStore } from '../backup/store';
import { OcmError } from '../errors';
import { agentOfPath, isGuardedFile, type AgentInfo } from '../openclaw';
import { buildFingerprintIndex, withWrittenFile, type GuardRoster } from './build';
import { checkMixup, type MixupFinding, type MixupTarget, type MixupVerdict } from './check';
import { emptyIndex, loadIndex, saveIndex, type FingerprintIndex } from './fingerprint-index';

/**
 * The mix-up guard as the faces use it: the fingerprint index in memory (loaded from the ocm home
 * once, rebuilt in the background), and a safe-save hook (`beforeWrite`) that stops a save into
 * a guarded file of agent X when it brings in another agent's text. The hook uses the bytes the
 * safe save already read: no extra round trip.
 */

export const MIXUP_DETAIL = 'mixup';

export class MixupGuard {
  private index: FingerprintIndex | undefined;
  private loading: Promise<FingerprintIndex> | undefined;
  private refreshing: Promise<FingerprintIndex> | undefined;

  constructor(
    private readonly home: string,
    private readonly store?: BackupStore,
  ) {}

  /** The index (from disk the first time; empty when there is none yet). */
  async ready(): Promise<FingerprintIndex> {
    if (this.index) return this.index;
    this.loading ??= loadIndex(this.home).then((i) => (this.index ??= i));
    return this.loading;
  }

  /** Rebuilds from snapshots and history for these nodes (others are kept) and saves it; one at a time. */
  async refresh(
    rosters: readonly GuardRoster[],
    options: { readLive?: (nodeId: string, remotePath: string) => Promise<Buffer | undefined> } = {},
  ): Promise<FingerprintIndex> {
    const previous = this.refreshing ?? Promise.resolve(undefined);
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        const built = await buildFingerprintIndex({
          home: this.home,
          ...(this.store ? { store: this.store } : {}),
          rosters,
          previous: await this.ready(),
          ...(options.readLive ? { readLive: options.readLive } : {}),
        });
        await saveIndex(this.home, built);
        this.index = built;
        return built;
      });
    this.refreshing = run;
    return run;
  }

  /**
   * After a save landed in a memory file: its text counts as this agent's at once (in memory and
   * on disk), so pasting it into another agent is caught before any backup holds it.
   */
  async noteWritten(nodeId: string, agents: readonly AgentInfo[], remotePath: string, content: Uint8Array, now = Date.now()): Promise<void> {
    const previous = this.refreshing ?? Promise.resolve(undefined);
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        const index = await this.ready();
        const updated = withWrittenFile(index, { nodeId, agents, remotePath, content, timeMs: now });
        if (updated === index) return index;
        await saveIndex(this.home, updated);
        this.index = updated;
        return updated;
      });
    this.refreshing = run;
    await run;
  }

  /** The agents the index knows on a node (as the last refresh saw them), for agentOfPath without a round trip. */
  async knownAgents(nodeId: string): Promise<AgentInfo[] | undefined> {
    const index = await this.ready();
    const mine = index.agents.filter((a) => a.nodeId === nodeId);
    if (mine.length === 0) return undefined;
    return mine.map((a) => ({
      id: a.agentId,
      ...(a.names[0] ? { name: a.names[0] } : {}),
      workspace: a.workspace,
      agentDir: '',
      isDefault: a.isDefault === true,
      source: 'entries' as const,
    }));
  }

  /** Seconds since the index was built (Infinity when never). */
  ageMs(now = Date.now()): number {
    return this.index && this.index.builtAt ? now - this.index.builtAt : Infinity;
  }

  check(target: MixupTarget, content: Uint8Array | string, current: Uint8Array | undefined): MixupVerdict {
    const text = typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
    return checkMixup(this.index ?? emptyIndex(), target, text, current ? Buffer.from(current).toString('utf8') : undefined);
  }

  /** The safe-save hook for a save into `remotePath` of the node, or undefined when the file is not guarded. */
  hookFor(nodeId: string, agents: readonly AgentInfo[], remotePath: string): ((content: Uint8Array, current: Buffer | undefined) => void) | undefined {
    const target = guardedTarget(nodeId, agents, remotePath);
    if (!target) return undefined;
    return (content, current) => {
      const verdict = this.check(target, content, current);
      if (!verdict.ok) throw mixupError(target, remotePath, verdict.findings);
    };
  }
}

/** X and the file when `remotePath` is a guarded file (MEMORY/SOUL/IDENTITY/USER.md) of an agent. */
export function guardedTarget(nodeId: string, agents: readonly AgentInfo[], remotePath: string): MixupTarget | undefined {
  const owner = agentOfPath(agents, remotePath);
  if (!owner || !isGuardedFile(owner.relativePath)) return undefined;
  return { nodeId, agentId: owner.agent.id, relativePath: owner.relativePath, ...(owner.agent.name ? { names: [owner.agent.name] } : {}) };
}

/** One finding in a sentence (English; the faces localize from `details.findings`). */
export function describeFinding(f: MixupFinding): string {
  const who = `agent ${f.other.agentId}${f.other.name ? ` (${f.other.name})` : ''} on node ${f.other.nodeId}`;
  const where = f.lines.length ? ` (line${f.lines.length > 1 ? 's' : ''} ${lineRanges(f.lines)})` : '';
  return f.kind === 'overlap'
    ? `${f.matched} phrases match ${f.file?.relativePath ?? 'a file'} of ${who}${where}`
    : `the name "${f.name}" of ${who} appears where this agent's own name does not${where}`;
}

export function lineRanges(lines: readonly number[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === lines[j]! + 1) j++;
    out.push(i === j ? `${lines[i]}` : `${lines[i]}–${lines[j]}`);
    i = j + 1;
  }
  return out.slice(0, 6).join(', ') + (out.length > 6 ? ', …' : '');
}

export function mixupError(target: MixupTarget, remotePath: string, findings: MixupFinding[]): OcmError {
  return new OcmError(
    'conflict',
    `${target.relativePath} of agent ${target.agentId} on ${target.nodeId} was NOT saved: the new text looks like another agent's memory — ${findings.map(describeFinding).join('; ')}. Compare and remove it, or save anyway on purpose (Save Anyway in VS Code, --force on the command line).`,
    { [MIXUP_DETAIL]: true, nodeId: target.nodeId, agentId: target.agentId, remotePath, relativePath: target.relativePath, findings },
  );
}

export function isMixupError(e: unknown): e is OcmError {
  return e instanceof OcmError && e.details[MIXUP_DETAIL] === true;
}
