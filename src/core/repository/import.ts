import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { ReadEntry } from 'tar';
import { OcmError } from '../errors';
import { PAYLOAD_PREFIX, scanArchive, type ArchiveLimits } from '../backup/archive-scan';
import { tar } from '../vendor';
import { REPOSITORY_FORMAT, SNAPSHOT_ID, type Snapshot, type SnapshotEntry } from './format';
import { ingestFile } from './ingest';
import type { Repository } from './repository';
import { newSnapshotId, writeTree } from './snapshots';

/**
 * Any OpenClaw archive into the repository as a snapshot: first the hostile-archive scan (paths,
 * links, sizes, the manifest), then one more read that stores each file (deduplicated against
 * everything already stored). Used by `ocm import-archive` and for today's `.tar.gz` backups the
 * first time the repository is used (their ids and pins are kept).
 */

export interface ImportOptions {
  nodeId: string;
  /** Keep this id (legacy backups); default: a new id from the archive's time. */
  id?: string;
  pinned?: boolean;
  method?: 'import' | 'legacy';
  engine?: 'openclaw' | 'ocm';
  openclawVersion?: string | null;
  limits?: Partial<ArchiveLimits>;
  signal?: AbortSignal;
}

export async function importArchive(repo: Repository, archivePath: string, o: ImportOptions): Promise<Snapshot> {
  const scan = await scanArchive(archivePath, { limits: o.limits, signal: o.signal });
  const manifest = scan.manifest as Record<string, unknown>;
  const createdAt =
    typeof manifest.createdAt === 'string' && !Number.isNaN(Date.parse(manifest.createdAt))
      ? new Date(manifest.createdAt).toISOString()
      : new Date().toISOString();
  const id = o.id ?? newSnapshotId(new Date(createdAt));
  if (!SNAPSHOT_ID.test(id)) throw new OcmError('invalidInput', `"${id}" cannot be a snapshot id (letters, digits, ".", "_", "+", "-").`, { id });
  const lock = await repo.lock({ exclusive: false, purpose: `import of ${archivePath}`, waitMs: 60_000, signal: o.signal });
  const session = repo.objects.startWrite();
  try {
    await repo.objects.load();
    const byPath = new Map(scan.entries.map((e) => [e.path, e]));
    const contents = new Map<string, { sha256: string; chunks?: string[] }>();
    const prefix = `${scan.archiveRoot}/${PAYLOAD_PREFIX}/`;
    await new Promise<void>((resolve, reject) => {
      const parser = new (tar().Parser)({ strict: true });
      let chain: Promise<void> = Promise.resolve();
      parser.on('entry', (entry: ReadEntry) => {
        chain = chain.then(async () => {
          const name = entry.path.replace(/^(\.\/)+/, '');
          const path = name.startsWith(prefix) ? '/' + name.slice(prefix.length).replace(/\/+$/, '') : undefined;
          const listed = path ? byPath.get(path) : undefined;
          if (!listed || listed.type !== 'file' || (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile'))
            return void entry.resume();
          const content = await ingestFile(session, entry as AsyncIterable<Buffer>, entry.size ?? 0);
          if (listed.sha256 && content.sha256 !== listed.sha256)
            throw new OcmError('failed', `${path} in ${archivePath} changed between two reads. Retry the import.`);
          contents.set(listed.path, content);
        });
        chain.catch((e: unknown) => {
          entry.resume();
          reject(e);
        });
      });
      parser.on('error', reject);
      parser.on('end', () => chain.then(resolve, reject));
      const input = createReadStream(archivePath);
      input.on('error', reject);
      input
        .pipe(createGunzip())
        .on('error', reject)
        .pipe(parser as unknown as NodeJS.WritableStream);
    });
    const entries: SnapshotEntry[] = [];
    for (const e of scan.entries) {
      if (e.type === 'directory') entries.push({ path: e.path, type: 'directory', size: 0, mode: e.mode });
      else if (e.type === 'symlink') entries.push({ path: e.path, type: 'symlink', size: 0, mode: e.mode, linkTarget: e.linkTarget ?? '' });
      else {
        const c = e.type === 'hardlink' && e.linkTarget ? contents.get(e.linkTarget) : contents.get(e.path);
        if (!c) throw new OcmError('failed', `${e.path} could not be read from ${archivePath}. Verify the archive ("ocm verify ${archivePath}").`);
        entries.push({ path: e.path, type: 'file', size: e.size, mode: e.mode, ...c });
      }
    }
    const tree = await writeTree(session, entries);
    await session.commit();
    const paths = (manifest.paths ?? {}) as Record<string, unknown>;
    const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    const agentRoots = (Array.isArray(paths.agentRoots) ? paths.agentRoots : []).filter(
      (a): a is { agentId: string; sourcePath: string } =>
        typeof (a as { agentId?: unknown }).agentId === 'string' && typeof (a as { sourcePath?: unknown }).sourcePath === 'string',
    );
    const options = (manifest.options ?? {}) as Record<string, unknown>;
    const runtime = typeof manifest.runtimeVersion === 'string' && manifest.runtimeVersion !== 'unknown' ? manifest.runtimeVersion : null;
    const snapshot: Snapshot = {
      formatVersion: REPOSITORY_FORMAT,
      id,
      nodeId: o.nodeId,
      createdAt,
      openclawVersion: runtime ?? o.openclawVersion ?? null,
      capture: {
        method: o.method ?? 'import',
        engine: o.engine ?? (options.engine === 'ocm' ? 'ocm' : 'openclaw'),
        sqlite: options.sqlite === 'snapshot' || options.sqlite === 'copy' ? options.sqlite : 'none',
        fullRescan: false,
        source: archivePath.split('/').pop(),
      },
      options: { includeTranscripts: options.includeTranscripts === true, configOnly: options.onlyConfig === true },
      sourcePaths: {
        ...(typeof paths.stateDir === 'string' ? { stateDir: paths.stateDir } : {}),
        ...(typeof paths.configPath === 'string' ? { configPath: paths.configPath } : {}),
        workspaceDirs: strings(paths.workspaceDirs),
        agentDirs: agentRoots.map((a) => a.sourcePath),
        agentRoots,
      },
      assets: (Array.isArray(manifest.assets) ? manifest.assets : []).flatMap((a: { kind?: unknown; sourcePath?: unknown }) =>
        typeof a.kind === 'string' && typeof a.sourcePath === 'string' ? [{ kind: a.kind, sourcePath: a.sourcePath }] : [],
      ),
      skipped: [],
      externalSymbolicLinks: scan.externalSymbolicLinks,
      platform: typeof manifest.platform === 'string' ? manifest.platform : 'unknown',
      parent: null,
      pinned: Boolean(o.pinned),
      tags: [],
      entryCount: entries.length,
      totalSize: entries.reduce((n, e) => n + (e.type === 'file' ? e.size : 0), 0),
      tree,
      warnings: [],
    };
    await repo.writeSnapshot(snapshot);
    return snapshot;
  } catch (e) {
    await session.abort();
    throw e;
  } finally {
    await lock.release();
  }
}
