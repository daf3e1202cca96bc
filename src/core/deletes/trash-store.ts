import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { OcmError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { NODE_ID_PATTERN } from '../registry/schema';

/**
 * "Recently Deleted": one record per delete (or per file a rename replaced), in
 * <ocm home>/deleted/<nodeId>/<id>.json, owner-only. The bytes themselves are history entries
 * (reason pre-delete): a record only says which entries make up the deleted file or folder.
 */

export interface DeletedFile {
  /** Path relative to the deleted path ('' for a deleted file itself). */
  rel: string;
  historyId: string;
  size: number;
  sha256: string;
  mode?: number;
}

export interface DeletedEntry {
  id: string;
  nodeId: string;
  path: string;
  kind: 'file' | 'folder';
  /** delete: deleted; overwrite: replaced by a rename onto it. */
  via: 'delete' | 'overwrite';
  deletedAt: string;
  files: DeletedFile[];
  /** Sub-folders of a deleted folder (relative), recreated on restore, empty ones included. */
  dirs: string[];
  /** Entries not kept (symlinks, sockets...), relative paths. */
  skipped: string[];
  totalBytes: number;
  restoredAt?: string;
}

const ID = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;

function nodeDir(home: string, nodeId: string): string {
  if (!NODE_ID_PATTERN.test(nodeId)) throw new OcmError('invalidInput', `"${nodeId}" is not a valid node id.`, { nodeId });
  return join(home, 'deleted', nodeId);
}

export function newDeletedId(now: Date = new Date()): string {
  return `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
}

export async function saveDeleted(home: string, entry: DeletedEntry): Promise<void> {
  const dir = nodeDir(home, entry.nodeId);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  for (const d of [join(home, 'deleted'), dir]) await fs.chmod(d, 0o700);
  await writeFileAtomic(join(dir, `${entry.id}.json`), JSON.stringify(entry, null, 2) + '\n', 0o600);
}

export async function dropDeleted(home: string, nodeId: string, id: string): Promise<void> {
  if (!ID.test(id)) return;
  await fs.rm(join(nodeDir(home, nodeId), `${id}.json`), { force: true });
}

/** A node's deleted entries, newest first; restored ones only with `includeRestored`. */
export async function listDeleted(home: string, nodeId: string, options: { includeRestored?: boolean } = {}): Promise<DeletedEntry[]> {
  const dir = nodeDir(home, nodeId);
  const names = (await fs.readdir(dir).catch(() => [] as string[]))
    .filter((n) => n.endsWith('.json') && ID.test(n.slice(0, -5)))
    .sort()
    .reverse();
  const out: DeletedEntry[] = [];
  for (const name of names) {
    try {
      const e = JSON.parse(await fs.readFile(join(dir, name), 'utf8')) as DeletedEntry;
      if (options.includeRestored || !e.restoredAt) out.push(e);
    } catch {
      // a damaged record hides only itself
    }
  }
  return out;
}

/** An entry by id, or the newest unrestored one deleted at `path`. */
export async function findDeleted(home: string, nodeId: string, ref: string): Promise<DeletedEntry> {
  const all = await listDeleted(home, nodeId, { includeRestored: true });
  const hit = ID.test(ref) ? all.find((e) => e.id === ref) : all.find((e) => !e.restoredAt && e.path === ref.replace(/\/+$/, ''));
  if (!hit) {
    throw new OcmError('notFound', `Nothing deleted on ${nodeId} matches "${ref}". List what can be restored with: ocm deleted ${nodeId}`, { nodeId, ref });
  }
  return hit;
}
