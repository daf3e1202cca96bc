import type { Finding, NodeFacts } from '../types';

export const DEFAULT_BACKUP_MAX_AGE_MS = 7 * 24 * 3600_000;

/** Nodes with no backup in the snapshot repository, or none newer than the limit. */
export function checkBackups(facts: readonly NodeFacts[], options: { now: number; maxAgeMs: number }): Finding[] {
  const out: Finding[] = [];
  for (const f of facts) {
    if (!f.lastBackupAt) {
      out.push({ code: 'noBackup', severity: 'warning', nodeId: f.nodeId, message: `${f.nodeId} has no backup`, fix: `ocm backup ${f.nodeId}`, params: {} });
      continue;
    }
    const age = options.now - Date.parse(f.lastBackupAt);
    if (age > options.maxAgeMs) {
      const days = Math.floor(age / (24 * 3600_000));
      out.push({
        code: 'backupOld',
        severity: 'warning',
        nodeId: f.nodeId,
        message: `${f.nodeId}'s newest backup is ${days} days old (${f.lastBackupAt})`,
        fix: `ocm backup ${f.nodeId}`,
        params: { days, at: f.lastBackupAt },
      });
    }
  }
  return out;
}
