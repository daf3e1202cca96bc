import type { z } from 'zod';
import { lazyObject, once, zod } from '../vendor';

/**
 * The per-archive index: everything listing, comparing and browsing need, so those never re-read
 * whole archives. Stored as `<id>.index.json` beside `<id>.tar.gz`.
 */
export const BACKUP_INDEX_FORMAT = 1;

export type BackupEngine = 'openclaw' | 'ocm';

/** The schemas, built on first use (zod is loaded when an index is first read, not at activation). */
function buildSchemas() {
  const z = zod();
  /** One archive member below `<root>/payload/posix/`, named by its absolute path on the node. */
  const IndexEntrySchema = z.object({
    /** Absolute source path on the node, e.g. `/home/u/.openclaw/workspace/MEMORY.md`. */
    path: z.string().startsWith('/'),
    type: z.enum(['file', 'directory', 'symlink', 'hardlink']),
    size: z.number().int().nonnegative(),
    /** Permission bits (e.g. 0o600). */
    mode: z.number().int().nonnegative(),
    /** sha256 (hex) of the content; files and hard links only. */
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    /** Symlink target as stored (may be absolute), or the source path a hard link points to. */
    linkTarget: z.string().optional(),
  });

  const BackupSourcePathsSchema = z.object({
    stateDir: z.string().optional(),
    configPath: z.string().optional(),
    workspaceDirs: z.array(z.string()).default([]),
    agentDirs: z.array(z.string()).default([]),
  });

  const BackupOptionsSchema = z.object({
    includeTranscripts: z.boolean().default(false),
    configOnly: z.boolean().default(false),
  });

  const BackupIndexSchema = z.object({
    formatVersion: z.literal(BACKUP_INDEX_FORMAT),
    /** Unique within the node's folder: the archive file name without `.tar.gz`. */
    id: z.string().min(1),
    nodeId: z.string().min(1),
    /** ISO-8601 UTC. */
    createdAt: z.string(),
    engine: z.enum(['openclaw', 'ocm']),
    openclawVersion: z.string().nullable(),
    /** Archive file name (in the same folder as the index). */
    archiveFile: z.string().min(1),
    archiveSha256: z.string().regex(/^[0-9a-f]{64}$/),
    archiveSize: z.number().int().nonnegative(),
    /** The single top-level folder inside the archive (`<root>/manifest.json`). */
    archiveRoot: z.string().min(1),
    manifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
    options: BackupOptionsSchema,
    sourcePaths: BackupSourcePathsSchema,
    pinned: z.boolean().default(false),
    /** Absolute symlink targets and links leaving the state dir, as OpenClaw's manifest lists them. */
    externalSymbolicLinks: z.array(z.object({ entryPath: z.string(), linkpath: z.string() })).default([]),
    entries: z.array(IndexEntrySchema),
  });
  return { IndexEntrySchema, BackupSourcePathsSchema, BackupOptionsSchema, BackupIndexSchema };
}
const schemas = once(buildSchemas);
type Schemas = ReturnType<typeof buildSchemas>;

/** One archive member below `<root>/payload/posix/`, named by its absolute path on the node. */
export const IndexEntrySchema: Schemas['IndexEntrySchema'] = lazyObject(() => schemas().IndexEntrySchema);
export type IndexEntry = z.infer<typeof IndexEntrySchema>;

export const BackupSourcePathsSchema: Schemas['BackupSourcePathsSchema'] = lazyObject(() => schemas().BackupSourcePathsSchema);
export type BackupSourcePaths = z.infer<typeof BackupSourcePathsSchema>;

export const BackupOptionsSchema: Schemas['BackupOptionsSchema'] = lazyObject(() => schemas().BackupOptionsSchema);
export type BackupOptions = z.infer<typeof BackupOptionsSchema>;

export const BackupIndexSchema: Schemas['BackupIndexSchema'] = lazyObject(() => schemas().BackupIndexSchema);
export type BackupIndex = z.infer<typeof BackupIndexSchema>;

/** What the OpenClaw model tells us about a node: the sources a backup covers. */
export interface BackupSources {
  stateDir: string;
  configPath: string;
  workspaceDirs: string[];
  /** Each agent's agentDir with its id (OpenClaw's manifest records `agentRoots: [{agentId, sourcePath}]`). */
  agentDirs: Array<{ agentId: string; path: string }>;
}

/** Progress of a running backup: bytes received from the node so far. */
export interface BackupProgress {
  phase: 'preparing' | 'transferring' | 'verifying' | 'done';
  bytes: number;
  totalBytes?: number;
}
