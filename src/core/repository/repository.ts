import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { OcmError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { FILE_CHUNKER } from './chunker';
import { entryObjects, REPOSITORY_FORMAT, RepoConfigSchema, type RepoConfig, type Snapshot, type SnapshotEntry } from './format';
import { acquireLock, type HeldLock } from './lock';
import { ObjectStore } from './object-store';
import { latestSnapshotDoc, listSnapshotDocs, readSnapshotFile, readTree, snapshotFile, writeSnapshotDoc } from './snapshots';

/**
 * The backup repository: one per ocm home (or configured backup folder) for all nodes, so a file
 * that several agents or nodes share is stored once. Objects (content-addressed, compressed,
 * packed) + index + snapshot documents + locks; format in docs/repository.md.
 */
export class Repository {
  readonly objects: ObjectStore;

  private constructor(
    readonly root: string,
    readonly config: RepoConfig,
  ) {
    this.objects = new ObjectStore(root);
  }

  /** Opens the repository at `root`, creating it (owner-only) when it does not exist yet. */
  static async open(root: string, options: { create?: boolean } = {}): Promise<Repository> {
    const configFile = join(root, 'config.json');
    let text: string | undefined;
    try {
      text = await fs.readFile(configFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text === undefined) {
      if (options.create === false) throw new OcmError('notFound', `No backup repository at ${root}. Take a backup first ("ocm backup <node>").`, { root });
      return Repository.init(root);
    }
    let parsed: ReturnType<typeof RepoConfigSchema.safeParse> | undefined;
    try {
      parsed = RepoConfigSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      const version = (() => {
        try {
          return (JSON.parse(text) as { formatVersion?: unknown }).formatVersion;
        } catch {
          return undefined;
        }
      })();
      if (typeof version === 'number' && version > REPOSITORY_FORMAT) {
        throw new OcmError(
          'unsupported',
          `The backup repository at ${root} has format ${version}, newer than this ocm understands (${REPOSITORY_FORMAT}). Update ocm.`,
          { root },
        );
      }
      throw new OcmError(
        'invalidConfig',
        `The backup repository's config ${configFile} is damaged. Restore it from a copy of the folder, or move the folder away to start a new repository.`,
        { root },
      );
    }
    return new Repository(root, parsed.data);
  }

  private static async init(root: string): Promise<Repository> {
    await fs.mkdir(root, { recursive: true, mode: 0o700 });
    await fs.chmod(root, 0o700);
    for (const d of ['packs', 'index', 'snapshots', 'locks']) await fs.mkdir(join(root, d), { recursive: true, mode: 0o700 });
    const config: RepoConfig = {
      formatVersion: REPOSITORY_FORMAT,
      id: randomBytes(16).toString('hex'),
      createdAt: new Date().toISOString(),
      chunker: { algorithm: 'fastcdc-gear-v1', ...FILE_CHUNKER },
      encryption: null,
    };
    const configFile = join(root, 'config.json');
    // Two processes creating it at once: the first one's config wins, the other re-reads it.
    const temp = join(root, `.config.${randomBytes(6).toString('hex')}.tmp`);
    await writeFileAtomic(temp, JSON.stringify(config, null, 2) + '\n', 0o600, { durable: true });
    try {
      await fs.link(temp, configFile);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      await fs.rm(temp, { force: true });
    }
    return Repository.open(root, { create: false });
  }

  lock(options: {
    exclusive: boolean;
    purpose: string;
    waitMs?: number;
    signal?: AbortSignal;
    onStale?: (l: { pid: number; host: string }) => void;
  }): Promise<HeldLock> {
    return acquireLock(this.root, options);
  }

  async listSnapshots(nodeId?: string): Promise<Snapshot[]> {
    return listSnapshotDocs(this.root, nodeId);
  }

  /** The newest snapshot of `nodeId` that `accept` takes (see latestSnapshotDoc). */
  async latestSnapshot(nodeId: string, accept: (s: Snapshot) => boolean = () => true): Promise<Snapshot | undefined> {
    return latestSnapshotDoc(this.root, nodeId, accept);
  }

  async readSnapshot(nodeId: string, id: string): Promise<Snapshot> {
    const doc = await readSnapshotFile(snapshotFile(this.root, nodeId, id));
    if (!doc) throw new OcmError('notFound', `No snapshot ${nodeId}/${id}. List them with "ocm backups ${nodeId}".`, { nodeId, id });
    return doc;
  }

  async writeSnapshot(snapshot: Snapshot): Promise<void> {
    await writeSnapshotDoc(this.root, snapshot);
  }

  async removeSnapshot(snapshot: Pick<Snapshot, 'nodeId' | 'id'>): Promise<void> {
    await fs.rm(snapshotFile(this.root, snapshot.nodeId, snapshot.id), { force: true });
  }

  /**
   * Finds one snapshot: `<nodeId>/<id>`, an id (unique across nodes), a unique id prefix, or
   * `<nodeId>/latest`.
   */
  async resolve(ref: string): Promise<Snapshot> {
    const trimmed = ref.trim();
    const slash = trimmed.indexOf('/');
    const nodeId = slash > 0 ? trimmed.slice(0, slash) : undefined;
    const idPart = slash > 0 ? trimmed.slice(slash + 1) : trimmed;
    const all = await this.listSnapshots(nodeId);
    let matches = idPart === 'latest' && nodeId ? all.slice(0, 1) : all.filter((s) => s.id === idPart);
    if (matches.length === 0 && idPart) matches = all.filter((s) => s.id.startsWith(idPart));
    if (matches.length === 0) throw new OcmError('notFound', `No backup matches "${ref}". List them with "ocm backups${nodeId ? ' ' + nodeId : ''}".`, { ref });
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
    return matches[0];
  }

  async setPinned(ref: string, pinned: boolean): Promise<Snapshot> {
    const snap = await this.resolve(ref);
    if (snap.pinned === pinned) return snap;
    const updated = { ...snap, pinned };
    await this.writeSnapshot(updated);
    return updated;
  }

  async readEntries(snapshot: Pick<Snapshot, 'tree'>): Promise<SnapshotEntry[]> {
    await this.objects.ensureLoaded();
    return readTree(this.objects, snapshot.tree);
  }

  /** The content of one file entry (every object checked against its hash). */
  async readContent(entry: SnapshotEntry): Promise<Buffer> {
    await this.objects.ensureLoaded();
    const ids = entryObjects(entry);
    if (ids.length === 0) {
      if (entry.type === 'file' && entry.size === 0) return Buffer.alloc(0);
      throw new OcmError('invalidInput', `${entry.path} is a ${entry.type}, not a file.`, { path: entry.path });
    }
    const parts = await Promise.all(ids.map((id) => this.objects.read(id)));
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** Streams one file entry's content chunk by chunk (restore, export of large files). */
  async *streamContent(entry: SnapshotEntry): AsyncGenerator<Buffer> {
    await this.objects.ensureLoaded();
    for (const id of entryObjects(entry)) yield await this.objects.read(id);
  }

  /** Reads several files of one snapshot by absolute path; missing paths are left out. */
  async readFiles(snapshot: Pick<Snapshot, 'tree'>, paths: readonly string[]): Promise<Map<string, Buffer>> {
    const entries = await this.readEntries(snapshot);
    const byPath = new Map(entries.map((e) => [e.path, e]));
    const out = new Map<string, Buffer>();
    for (const p of paths) {
      const e = byPath.get(p);
      if (e && (e.type === 'file' || e.type === 'hardlink')) out.set(p, await this.readContent(e));
    }
    return out;
  }
}

export function defaultRepositoryRoot(backupRoot: string): string {
  return join(backupRoot, 'repository');
}
