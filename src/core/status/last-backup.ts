import { existsSync } from 'node:fs';
import type { LastBackup, NodeStatus } from './types';

/**
 * The newest backup of each node, from the backup repository on this machine (backups are local,
 * so this costs no round trip to any node). `ocm status` and the VS Code status monitor both add
 * it to their NodeStatus values (field `lastBackup`), so the CLI's `--json`, its table and the
 * dashboard show the same age.
 */

/** What is read from the store: BackupStore (src/core/backup/store.ts) satisfies it. */
export interface BackupLister {
  /** The store's folder; when it does not exist there are no backups (and nothing is created). */
  readonly root: string;
  list(): Promise<ReadonlyArray<{ id: string; nodeId: string; createdAt: string }>>;
}

/** Newest backup per node id. A store that cannot be read yields an empty map (status never fails on it). */
export async function lastBackupsOf(store: BackupLister): Promise<Map<string, { id: string; createdAt: string }>> {
  const newest = new Map<string, { id: string; createdAt: string }>();
  if (!existsSync(store.root)) return newest;
  let all: ReadonlyArray<{ id: string; nodeId: string; createdAt: string }>;
  try {
    all = await store.list();
  } catch {
    return newest;
  }
  for (const b of all) {
    const known = newest.get(b.nodeId);
    if (!known || Date.parse(b.createdAt) > Date.parse(known.createdAt)) newest.set(b.nodeId, { id: b.id, createdAt: b.createdAt });
  }
  return newest;
}

/** `statuses` with `lastBackup` set for every node that has one; `ageMs` is measured at `now`. */
export async function withLastBackups(statuses: NodeStatus[], store: BackupLister, now: number = Date.now()): Promise<NodeStatus[]> {
  const newest = await lastBackupsOf(store);
  return statuses.map((s) => {
    const b = newest.get(s.nodeId);
    if (!b) return s;
    const lastBackup: LastBackup = { id: b.id, createdAt: b.createdAt, ageMs: Math.max(0, now - Date.parse(b.createdAt)) };
    return { ...s, lastBackup };
  });
}
