import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { OcmError } from '../errors';
import { fsyncDir, fsyncFile, writeFileAtomic } from '../fs-atomic';
import { ocmHome } from '../home';
import { lazyObject } from '../vendor';
import { BackupIndexSchema, type BackupIndex } from './types';

/**
 * The backup store of ocm ≤ 0.1 (before the repository): `<root>/<nodeId>/<id>.tar.gz` + `<id>.index.json`.
 * Only read now, to import its archives into the repository (repository/legacy.ts); tests still
 * write it to stand for an operator's existing backups. Folders 0700, files
 * 0600. Archives are written under a `.partial` name and published with a hard link, which fails
 * instead of overwriting, so an archive name is never reused. Listing reads only the head of each
 * index file (the summary precedes the entry list), so it stays fast with thousands of entries.
 */

export const ARCHIVE_SUFFIX = '.tar.gz';
export const INDEX_SUFFIX = '.index.json';
const PARTIAL_SUFFIX = '.partial';
const ENTRIES_MARKER = ',"entries":[';

/** An index without its entry list: what listings show. */
export type BackupSummary = Omit<BackupIndex, 'entries'> & { entryCount?: number };

export interface PruneResult {
  /** Backups removed (or, with dryRun, that would be removed). */
  removed: BackupSummary[];
  kept: BackupSummary[];
  dryRun: boolean;
}

export function defaultBackupRoot(home: string = ocmHome()): string {
  return join(home, 'backups');
}

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export class LegacyStore {
  constructor(readonly root: string) {}

  nodeDir(nodeId: string): string {
    if (!NODE_ID.test(nodeId) || nodeId.includes('..')) {
      throw new OcmError('invalidInput', `"${nodeId}" is not a valid node id for the backup store (letters, digits, ".", "_", "-").`, { nodeId });
    }
    return join(this.root, nodeId);
  }

  archivePath(summary: Pick<BackupSummary, 'nodeId' | 'archiveFile'>): string {
    return join(this.nodeDir(summary.nodeId), summary.archiveFile);
  }

  indexPath(summary: Pick<BackupSummary, 'nodeId' | 'id'>): string {
    return join(this.nodeDir(summary.nodeId), summary.id + INDEX_SUFFIX);
  }

  /** Creates the node's folder (0700, root too) and returns it. */
  async ensureNodeDir(nodeId: string): Promise<string> {
    const dir = this.nodeDir(nodeId);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.chmod(this.root, 0o700);
    await fs.chmod(dir, 0o700);
    return dir;
  }

  /** A fresh, empty, owner-only partial file in the node's folder; remove it on failure. */
  async createPartial(nodeId: string): Promise<string> {
    const dir = await this.ensureNodeDir(nodeId);
    const path = join(dir, `.${randomBytes(8).toString('hex')}${PARTIAL_SUFFIX}`);
    const handle = await fs.open(path, 'wx', 0o600);
    await handle.close();
    return path;
  }

  async removePartial(partialPath: string): Promise<void> {
    if (!partialPath.endsWith(PARTIAL_SUFFIX)) return;
    await fs.rm(partialPath, { force: true });
  }

  /**
   * Moves a complete, verified partial archive to `<baseName>.tar.gz` (or `<baseName>-2.tar.gz`, ...
   * if taken) and writes its index. Returns the index as stored.
   */
  async publish(partialPath: string, baseName: string, index: Omit<BackupIndex, 'id' | 'archiveFile'>): Promise<BackupIndex> {
    const dir = await this.ensureNodeDir(index.nodeId);
    if (dirname(resolve(partialPath)) !== resolve(dir)) throw new OcmError('invalidInput', `Partial archive ${partialPath} is not in ${dir}.`);
    const safeBase = baseName.replace(/[^A-Za-z0-9._+-]/g, '_');
    // The archive's bytes are on the disk before any name or index points at them.
    await fsyncFile(partialPath);
    for (let n = 1; n < 1000; n++) {
      const id = n === 1 ? safeBase : `${safeBase}-${n}`;
      const archiveFile = id + ARCHIVE_SUFFIX;
      const finalPath = join(dir, archiveFile);
      if (await exists(join(dir, id + INDEX_SUFFIX))) continue;
      try {
        await fs.link(partialPath, finalPath);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw e;
      }
      const stored: BackupIndex = { ...index, id, archiveFile } as BackupIndex;
      try {
        await fs.chmod(finalPath, 0o600);
        await fsyncDir(dir);
        await writeFileAtomic(join(dir, id + INDEX_SUFFIX), serializeIndex(stored), 0o600, { durable: true });
      } catch (e) {
        await fs.rm(finalPath, { force: true });
        throw e;
      }
      await fs.rm(partialPath, { force: true });
      return stored;
    }
    throw new OcmError('exists', `Could not find a free archive name for ${baseName} in ${dir}.`);
  }

  /** Summaries of the stored backups, newest first; one node or all. Reads only index heads. */
  async list(nodeId?: string): Promise<BackupSummary[]> {
    const nodeIds = nodeId !== undefined ? [nodeId] : await this.nodeIds();
    const out: BackupSummary[] = [];
    for (const id of nodeIds) {
      const dir = this.nodeDir(id);
      let names: string[];
      try {
        names = await fs.readdir(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      const heads = await Promise.all(names.filter((n) => n.endsWith(INDEX_SUFFIX)).map((n) => readSummary(join(dir, n))));
      for (const s of heads) if (s) out.push(s);
    }
    out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
    return out;
  }

  async nodeIds(): Promise<string[]> {
    try {
      const dirents = await fs.readdir(this.root, { withFileTypes: true });
      return dirents
        .filter((d) => d.isDirectory() && NODE_ID.test(d.name))
        .map((d) => d.name)
        .sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  /** Reads a full index (with entries). */
  async readIndex(summary: Pick<BackupSummary, 'nodeId' | 'id'>): Promise<BackupIndex> {
    return readIndexFile(this.indexPath(summary));
  }

  /**
   * Finds one backup by reference: `<nodeId>/<id>`, an id (unique across nodes), a unique id
   * prefix, `<nodeId>/latest`, or the path of an archive or index file in the store.
   */
  async resolve(ref: string): Promise<BackupIndex> {
    const trimmed = ref.trim();
    if (trimmed.endsWith(ARCHIVE_SUFFIX) || trimmed.endsWith(INDEX_SUFFIX) || isAbsolute(trimmed)) {
      const path = resolve(trimmed);
      const indexFile = path.endsWith(INDEX_SUFFIX) ? path : path.slice(0, -ARCHIVE_SUFFIX.length) + INDEX_SUFFIX;
      if (await exists(indexFile)) return readIndexFile(indexFile);
      if (isAbsolute(trimmed) || trimmed.includes('/')) {
        throw new OcmError(
          'notFound',
          `No index beside ${basename(path)}: it is not a backup from this store. Check it with "ocm verify <archive>" or list backups with "ocm backups".`,
          { ref },
        );
      }
    }
    const slash = trimmed.indexOf('/');
    const nodeId = slash > 0 ? trimmed.slice(0, slash) : undefined;
    const idPart = slash > 0 ? trimmed.slice(slash + 1) : trimmed;
    const all = await this.list(nodeId);
    let matches = idPart === 'latest' && nodeId ? all.slice(0, 1) : all.filter((s) => s.id === idPart);
    if (matches.length === 0) matches = all.filter((s) => s.id.startsWith(idPart));
    if (matches.length === 0) {
      throw new OcmError('notFound', `No backup matches "${ref}". List them with "ocm backups${nodeId ? ' ' + nodeId : ''}".`, { ref });
    }
    if (matches.length > 1) {
      throw new OcmError(
        'invalidInput',
        `"${ref}" matches ${matches.length} backups (${matches
          .slice(0, 3)
          .map((m) => `${m.nodeId}/${m.id}`)
          .join(', ')}${matches.length > 3 ? ', ...' : ''}). Use <nodeId>/<id>.`,
        { ref },
      );
    }
    return this.readIndex(matches[0]);
  }

  async setPinned(ref: string, pinned: boolean): Promise<BackupIndex> {
    const index = await this.resolve(ref);
    if (index.pinned === pinned) return index;
    const updated = { ...index, pinned };
    await writeFileAtomic(this.indexPath(index), serializeIndex(updated), 0o600);
    return updated;
  }

  /** Keeps the newest `keep` backups of each node plus every pinned one; removes the rest. */
  async prune(options: { keep: number; nodeId?: string; dryRun?: boolean }): Promise<PruneResult> {
    if (!Number.isInteger(options.keep) || options.keep < 0) {
      throw new OcmError('invalidInput', `--keep must be a whole number ≥ 0 (got ${options.keep}).`, { usage: true });
    }
    const dryRun = Boolean(options.dryRun);
    const all = await this.list(options.nodeId);
    const byNode = new Map<string, BackupSummary[]>();
    for (const s of all) byNode.set(s.nodeId, [...(byNode.get(s.nodeId) ?? []), s]);
    const removed: BackupSummary[] = [];
    const kept: BackupSummary[] = [];
    for (const list of byNode.values()) {
      list.forEach((s, i) => (i < options.keep || s.pinned ? kept : removed).push(s));
    }
    if (!dryRun) for (const s of removed) await this.remove(s);
    return { removed, kept, dryRun };
  }

  /** Deletes a backup (index first, so a half-deleted backup is never listed). */
  async remove(summary: Pick<BackupSummary, 'nodeId' | 'id' | 'archiveFile'>): Promise<void> {
    await fs.rm(this.indexPath(summary), { force: true });
    await fs.rm(this.archivePath(summary), { force: true });
  }
}

/** Index JSON with the entry list last, so listings can parse just the head. */
export function serializeIndex(index: BackupIndex): string {
  const { entries, ...summary } = index;
  const head = JSON.stringify(summary);
  return `${head.slice(0, -1)}${ENTRIES_MARKER.slice(0, -1)}${JSON.stringify(entries)}}\n`;
}

export async function readIndexFile(path: string): Promise<BackupIndex> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new OcmError('notFound', `Backup index ${path} does not exist.`, { path });
    throw e;
  }
  const parsed = BackupIndexSchema.safeParse(safeJson(text));
  if (!parsed.success) {
    throw new OcmError(
      'invalidConfig',
      `Backup index ${path} is damaged (${parsed.error.issues[0]?.message ?? 'invalid'}). Run "ocm verify" on its archive or delete both files.`,
      { path },
    );
  }
  return parsed.data;
}

const SummarySchema = lazyObject(() => BackupIndexSchema.omit({ entries: true }));

async function readSummary(path: string): Promise<BackupSummary | undefined> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(path, 'r');
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    let text = buf.subarray(0, bytesRead).toString('utf8');
    let at = text.indexOf(ENTRIES_MARKER);
    if (at < 0) {
      text = await fs.readFile(path, 'utf8');
      at = text.indexOf(ENTRIES_MARKER);
    }
    const headJson = at >= 0 ? text.slice(0, at) + '}' : text;
    const parsed = SummarySchema.safeParse(safeJson(headJson));
    // A damaged index is left out of listings; "ocm verify" reports it when asked about that backup.
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch {
    return false;
  }
}
