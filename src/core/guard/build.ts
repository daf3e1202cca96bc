import type { BackupStore } from '../backup/store';
import { posix } from 'node:path';
import { listHistoryFiles, readHistoryEntry, sha256Hex } from '../history/store';
import { agentOfPath, GUARDED_FILE_NAMES, isMemoryFile, type AgentInfo } from '../openclaw';
import type { SnapshotEntry } from '../repository/format';
import { buildPostings, type FingerprintIndex, type IndexedAgent, type IndexedFile } from './fingerprint-index';
import { identityName, usableName } from './identity';
import { shingleSet } from './shingles';

/**
 * Builds the guard's fingerprint index from what ocm keeps locally: each node's newest snapshot
 * and the newest history entry of each file (whichever is newer), for every memory file of every
 * agent in the given rosters. Files whose sha256 did not change since the previous index reuse
 * its shingles (nothing is read). Nodes without a roster this time keep what the previous index
 * knew of them. Runs in the background; a save never waits for it.
 */

export interface GuardRoster {
  nodeId: string;
  agents: readonly AgentInfo[];
}

export interface BuildParams {
  home: string;
  store?: BackupStore;
  rosters: readonly GuardRoster[];
  previous?: FingerprintIndex;
  /**
   * Reads a file on the node, for guarded files (MEMORY/SOUL/IDENTITY/USER.md) that no snapshot or
   * history entry holds yet — background refreshes only, never on the save path.
   */
  readLive?: (nodeId: string, remotePath: string) => Promise<Buffer | undefined>;
  /** Daily notes per agent fingerprinted (newest first). Default 60. */
  maxDailyNotes?: number;
  now?: () => number;
}

interface Candidate {
  remotePath: string;
  relativePath: string;
  agentId: string;
  sha256: string;
  timeMs: number;
  from: IndexedFile['from'];
  read(): Promise<Buffer>;
}

export async function buildFingerprintIndex(p: BuildParams): Promise<FingerprintIndex> {
  const agents: IndexedAgent[] = [];
  const files: IndexedFile[] = [];
  const sets: Set<number>[] = [];
  const previousSets = p.previous ? setsOf(p.previous) : new Map<string, Set<number>>();
  const rebuilt = new Set(p.rosters.map((r) => r.nodeId));

  for (const roster of p.rosters) {
    const candidates = await candidatesOf(p, roster);
    const byAgent = new Map<string, Candidate[]>();
    for (const c of candidates.values()) (byAgent.get(c.agentId) ?? byAgent.set(c.agentId, []).get(c.agentId)!).push(c);
    for (const agent of roster.agents) {
      const mine = byAgent.get(agent.id) ?? [];
      const notes = mine.filter((c) => c.relativePath.startsWith('memory/')).sort((a, b) => (a.relativePath < b.relativePath ? 1 : -1));
      const keep = [...mine.filter((c) => !c.relativePath.startsWith('memory/')), ...notes.slice(0, p.maxDailyNotes ?? 60)];
      const names = new Set<string>();
      if (usableName(agent.name)) names.add(agent.name!);
      const agentIndex = agents.length;
      for (const c of keep) {
        const key = `${roster.nodeId}\0${c.remotePath}\0${c.sha256}`;
        let set = previousSets.get(key);
        let text: string | undefined;
        if (!set || c.relativePath === 'IDENTITY.md') {
          text = (await c.read().catch(() => undefined))?.toString('utf8');
          if (text === undefined && !set) continue;
          set ??= shingleSet(text!);
        }
        if (c.relativePath === 'IDENTITY.md' && text !== undefined) {
          const n = identityName(text);
          if (usableName(n)) names.add(n!);
        }
        files.push({ agent: agentIndex, remotePath: c.remotePath, relativePath: c.relativePath, sha256: c.sha256, from: c.from, timeMs: c.timeMs });
        sets.push(set);
      }
      agents.push({ nodeId: roster.nodeId, agentId: agent.id, workspace: agent.workspace, ...(agent.isDefault ? { isDefault: true } : {}), names: [...names] });
    }
  }
  // Nodes not rebuilt this time: carried over from the previous index.
  if (p.previous) {
    const map = new Map<number, number>();
    p.previous.agents.forEach((a, i) => {
      if (rebuilt.has(a.nodeId)) return;
      map.set(i, agents.length);
      agents.push(a);
    });
    for (const f of p.previous.files) {
      const to = map.get(f.agent);
      if (to === undefined) continue;
      const set = previousSets.get(`${p.previous.agents[f.agent]!.nodeId}\0${f.remotePath}\0${f.sha256}`);
      if (!set) continue;
      files.push({ ...f, agent: to });
      sets.push(set);
    }
  }
  const { hashes, postings } = buildPostings(sets);
  return { builtAt: (p.now ?? Date.now)(), agents, files, hashes, postings };
}

/** The newest known version of each memory file of the roster's agents. */
async function candidatesOf(p: BuildParams, roster: GuardRoster): Promise<Map<string, Candidate>> {
  const out = new Map<string, Candidate>();
  const consider = (remotePath: string, c: Omit<Candidate, 'remotePath' | 'relativePath' | 'agentId'>) => {
    const owner = agentOfPath(roster.agents, remotePath);
    if (!owner || !isMemoryFile(owner.relativePath)) return;
    const have = out.get(remotePath);
    if (have && have.timeMs >= c.timeMs) return;
    out.set(remotePath, { ...c, remotePath, relativePath: owner.relativePath, agentId: owner.agent.id });
  };
  if (p.store) {
    const repo = await p.store.repository();
    const latest = (await repo.listSnapshots(roster.nodeId))[0];
    if (latest) {
      const timeMs = Date.parse(latest.createdAt);
      for (const e of await repo.readEntries(latest)) {
        if (e.type !== 'file' || !e.sha256) continue;
        const entry: SnapshotEntry = e;
        consider(e.path, { sha256: e.sha256, timeMs, from: { snapshotId: latest.id }, read: () => repo.readContent(entry) });
      }
    }
  }
  for (const h of await listHistoryFiles(p.home, roster.nodeId)) {
    const newest = h.newest;
    if ((newest.reason as string) === 'pre-delete') continue;
    consider(h.remotePath, {
      sha256: newest.sha256,
      timeMs: newest.timeMs,
      from: { historyId: newest.id },
      read: async () => (await readHistoryEntry(p.home, newest.id)).content,
    });
  }
  // Versions the index learnt from the node itself (a save just made, a background read) stay
  // until a snapshot or a history entry is newer: their shingles are in the previous index.
  const previous = p.previous;
  const self = previous?.agents.map((a) => a.nodeId === roster.nodeId) ?? [];
  for (const f of previous?.files ?? []) {
    if (!f.from.live || !self[f.agent]) continue;
    consider(f.remotePath, { sha256: f.sha256, timeMs: f.timeMs, from: f.from, read: () => Promise.reject(new Error('not kept')) });
  }
  if (p.readLive) {
    const missing = roster.agents.flatMap((a) => GUARDED_FILE_NAMES.map((name) => posix.join(a.workspace, name))).filter((path) => !out.has(path));
    await Promise.all(
      missing.map(async (path) => {
        const content = await p.readLive!(roster.nodeId, path).catch(() => undefined);
        if (content) consider(path, { sha256: sha256Hex(content), timeMs: (p.now ?? Date.now)(), from: { live: true }, read: async () => content });
      }),
    );
  }
  return out;
}

/**
 * The index with one file's new content as its agent's newest version, at once: a save that
 * landed makes its text this agent's own before any snapshot holds it (a refresh keeps it until a
 * newer snapshot or history entry). Unknown agents and files that are not memory files change nothing.
 */
export function withWrittenFile(
  index: FingerprintIndex,
  write: { nodeId: string; agents: readonly AgentInfo[]; remotePath: string; content: Uint8Array; timeMs: number },
): FingerprintIndex {
  const owner = agentOfPath(write.agents, write.remotePath);
  if (!owner || !isMemoryFile(owner.relativePath)) return index;
  const agent = index.agents.findIndex((a) => a.nodeId === write.nodeId && a.agentId === owner.agent.id);
  if (agent < 0) return index;
  const sets = setsOf(index);
  const files: IndexedFile[] = [];
  const perFile: Set<number>[] = [];
  for (const f of index.files) {
    const nodeId = index.agents[f.agent]!.nodeId;
    if (nodeId === write.nodeId && f.remotePath === write.remotePath) continue;
    files.push(f);
    perFile.push(sets.get(`${nodeId}\0${f.remotePath}\0${f.sha256}`) ?? new Set());
  }
  const content = Buffer.from(write.content);
  files.push({
    agent,
    remotePath: write.remotePath,
    relativePath: owner.relativePath,
    sha256: sha256Hex(content),
    from: { live: true },
    timeMs: write.timeMs,
  });
  perFile.push(shingleSet(content.toString('utf8')));
  return { ...index, files, ...buildPostings(perFile) };
}

/** Per file of an index, its shingle set (keyed node, path, sha256), from the posting list. */
function setsOf(index: FingerprintIndex): Map<string, Set<number>> {
  const byFile: Set<number>[] = index.files.map(() => new Set<number>());
  for (let i = 0; i < index.hashes.length; i++) byFile[index.postings[i]!]?.add(index.hashes[i]!);
  const out = new Map<string, Set<number>>();
  index.files.forEach((f, i) => out.set(`${index.agents[f.agent]!.nodeId}\0${f.remotePath}\0${f.sha256}`, byFile[i]!));
  return out;
}
