import type { z } from 'zod';
import { lazyObject, once, zod } from '../vendor';

/**
 * The repository's on-disk format (docs/repository.md): `config.json`, `packs/<xx>/<sha256>.pack`,
 * `index/<sha256>.json`, `snapshots/<nodeId>/<id>.json`, `locks/`. Everything is named by what it
 * holds or is unique by construction, so writers never overwrite each other's files.
 */
export const REPOSITORY_FORMAT = 1;

/** Object ids and pack names: sha256 of the (uncompressed) content, lower-case hex. */
export const OBJECT_ID = /^[0-9a-f]{64}$/;
/** Snapshot ids: safe as one path segment (legacy backup ids are kept as they were). */
export const SNAPSHOT_ID = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;
/** Node ids as the registry allows them. */
export const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function buildSchemas() {
  const z = zod();
  const hex = z.string().regex(OBJECT_ID);
  const ConfigSchema = z.object({
    formatVersion: z.literal(REPOSITORY_FORMAT),
    id: z.string().min(8),
    createdAt: z.string(),
    chunker: z.object({ algorithm: z.literal('fastcdc-gear-v1'), minSize: z.number(), avgSize: z.number(), maxSize: z.number() }),
    /** Reserved: null until encryption exists (then the key parameters live here). */
    encryption: z.null().default(null),
  });
  /** One entry in a pack index: [object id, offset, stored length, raw length, codec]. */
  const IndexFileSchema = z.object({
    formatVersion: z.literal(REPOSITORY_FORMAT),
    packs: z.array(
      z.object({
        pack: hex,
        blobs: z.array(
          z.tuple([hex, z.number().int().nonnegative(), z.number().int().nonnegative(), z.number().int().nonnegative(), z.enum(['zstd', 'deflate', 'none'])]),
        ),
      }),
    ),
    /** Index files this one replaces (written by prune's repack; readers ignore the superseded). */
    supersedes: z.array(hex).default([]),
  });
  const EntrySchema = z.object({
    path: z.string().startsWith('/'),
    type: z.enum(['file', 'directory', 'symlink', 'hardlink']),
    size: z.number().int().nonnegative(),
    mode: z.number().int().nonnegative(),
    /** Nanoseconds since the epoch, as a decimal string (find's %T@ without the dot). */
    mtimeNs: z.string().optional(),
    ctimeNs: z.string().optional(),
    ino: z.number().optional(),
    /** What the node's listing said (size, times, inode; a database's -wal too): unchanged = reuse. */
    stamp: z.string().optional(),
    /** sha256 of the whole content (files, hard links). */
    sha256: z.string().regex(OBJECT_ID).optional(),
    /** Chunk ids in order, for files split by the chunker; absent = one object whose id is sha256. */
    chunks: z.array(hex).optional(),
    linkTarget: z.string().optional(),
    /** How the content was captured when not read as it is (e.g. 'sqlite-backup'). */
    captured: z.string().optional(),
  });
  const SnapshotSchema = z.object({
    formatVersion: z.literal(REPOSITORY_FORMAT),
    id: z.string().regex(SNAPSHOT_ID),
    nodeId: z.string().regex(NODE_ID),
    createdAt: z.string(),
    openclawVersion: z.string().nullable(),
    /** own = ocm's incremental capture; import = an OpenClaw archive; legacy = today's .tar.gz store. */
    capture: z.object({
      method: z.enum(['own', 'import', 'legacy']),
      /** Who made the archive an import came from: OpenClaw's own backup, or ocm's engine. */
      engine: z.enum(['openclaw', 'ocm']).optional(),
      sqlite: z.enum(['none', 'snapshot', 'copy']).default('none'),
      sqliteTool: z.string().optional(),
      fullRescan: z.boolean().default(false),
      source: z.string().optional(),
    }),
    options: z.object({ includeTranscripts: z.boolean().default(false), configOnly: z.boolean().default(false) }),
    sourcePaths: z.object({
      stateDir: z.string().optional(),
      configPath: z.string().optional(),
      workspaceDirs: z.array(z.string()).default([]),
      agentDirs: z.array(z.string()).default([]),
      agentRoots: z.array(z.object({ agentId: z.string(), sourcePath: z.string() })).default([]),
    }),
    /** The roots actually captured (OpenClaw's assets) and those skipped, for export. */
    assets: z.array(z.object({ kind: z.string(), sourcePath: z.string() })).default([]),
    skipped: z.array(z.object({ kind: z.string(), sourcePath: z.string(), reason: z.string(), coveredBy: z.string().optional() })).default([]),
    externalSymbolicLinks: z.array(z.object({ entryPath: z.string(), linkpath: z.string() })).default([]),
    platform: z.string().default('unknown'),
    parent: z.string().nullable().default(null),
    pinned: z.boolean().default(false),
    tags: z.array(z.string()).default([]),
    entryCount: z.number().int().nonnegative(),
    totalSize: z.number().int().nonnegative(),
    /** The entry list: NDJSON sorted by path, chunked (TREE_CHUNKER); object ids in order. */
    tree: z.array(hex),
    warnings: z.array(z.string()).default([]),
  });
  return { ConfigSchema, IndexFileSchema, EntrySchema, SnapshotSchema };
}
const schemas = once(buildSchemas);
type Schemas = ReturnType<typeof buildSchemas>;

export const RepoConfigSchema: Schemas['ConfigSchema'] = lazyObject(() => schemas().ConfigSchema);
export type RepoConfig = z.infer<typeof RepoConfigSchema>;
export const IndexFileSchema: Schemas['IndexFileSchema'] = lazyObject(() => schemas().IndexFileSchema);
export type IndexFile = z.infer<typeof IndexFileSchema>;
export const SnapshotEntrySchema: Schemas['EntrySchema'] = lazyObject(() => schemas().EntrySchema);
export type SnapshotEntry = z.infer<typeof SnapshotEntrySchema>;
export const SnapshotSchema: Schemas['SnapshotSchema'] = lazyObject(() => schemas().SnapshotSchema);
export type Snapshot = z.infer<typeof SnapshotSchema>;

/** Where one object lives. */
export interface BlobLocation {
  pack: string;
  offset: number;
  length: number;
  rawLength: number;
  codec: 'zstd' | 'deflate' | 'none';
}

/** The object ids an entry's content is made of, in order. */
export function entryObjects(entry: Pick<SnapshotEntry, 'type' | 'sha256' | 'chunks'>): string[] {
  if (entry.type !== 'file' && entry.type !== 'hardlink') return [];
  if (entry.chunks) return entry.chunks;
  return entry.sha256 ? [entry.sha256] : [];
}
