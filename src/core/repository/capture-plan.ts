import { posix } from 'node:path';
import { OcmError } from '../errors';
import { excludedReason } from '../backup/exclusions';
import { isWithin, planAssets, type OpenClawManifest, type PlannedAsset } from '../backup/manifest';
import type { BackupSources } from '../backup/types';
import type { SnapshotEntry } from './format';
import { FILE_CHUNKER } from './chunker';
import { stampOf, type ListedEntry, type NodeListing } from './listing';

/**
 * What a snapshot needs from the node, decided on the client from one listing: entries whose
 * stamp (size, mtime, ctime, inode) equals the parent's reuse the parent's objects; new and
 * changed files are asked for; live SQLite databases are captured consistently (or refused).
 */

export interface CapturePlan {
  assets: PlannedAsset[];
  skipped: OpenClawManifest['skipped'];
  /** Entries complete without reading content (directories, symlinks, unchanged files). */
  ready: SnapshotEntry[];
  /** Files to read as they are: path → its listing. */
  wanted: Map<string, ListedEntry>;
  /** Wanted files that grew: the parent's chunks but the last, as [length, id] (the node may send only the rest). */
  grown: Map<string, Array<[number, string]>>;
  /**
   * Databases to snapshot with the online backup API; `known`: the parent copy's 64 KiB block ids;
   * `wal`: a -wal file exists (then the copy opens the database read-only, see capture-stream).
   */
  databases: Array<{ listed: ListedEntry; stamp: string; known?: string[]; wal: boolean }>;
  sqliteMode: 'none' | 'snapshot' | 'copy';
  sqliteTool?: 'sqlite3' | 'node';
  warnings: string[];
  listedFiles: number;
}

export interface PlanOptions {
  sources: BackupSources;
  includeTranscripts: boolean;
  configOnly: boolean;
  fullRescan: boolean;
  /** false = the caller knows the gateway is stopped. */
  gatewayRunning?: boolean;
  nodeId: string;
  /** An object's raw length, when the repository has it (for grown files' leading chunks). */
  sizeOf?: (id: string) => number | undefined;
}

export function planCapture(listing: NodeListing, parent: readonly SnapshotEntry[] | undefined, o: PlanOptions): CapturePlan {
  const { assets, skipped } = planAssets(o.sources, { configOnly: o.configOnly, exists: (p) => listing.existing.has(p) });
  if (!assets.some((a) => a.kind === 'config' || a.kind === 'state')) {
    throw new OcmError(
      'notFound',
      `Neither the state dir ${o.sources.stateDir} nor the config ${o.sources.configPath} exists on ${o.nodeId}; check the node's state dir ("ocm add --state-dir").`,
      { nodeId: o.nodeId },
    );
  }
  const ctx = {
    stateDir: o.sources.stateDir,
    includeTranscripts: o.includeTranscripts,
    protectedPaths: new Set([o.sources.configPath, ...assets.map((a) => a.sourcePath)]),
  };
  const inAssets = (p: string): boolean => assets.some((a) => isWithin(p, a.sourcePath));
  const byPath = new Map(listing.entries.map((e) => [e.path, e]));
  const parentByPath = new Map((parent ?? []).map((e) => [e.path, e]));
  const plan: CapturePlan = {
    assets,
    skipped,
    ready: [],
    wanted: new Map(),
    grown: new Map(),
    databases: [],
    sqliteMode: 'none',
    warnings: [],
    listedFiles: 0,
  };
  const seen = new Set<string>();
  const dbs: ListedEntry[] = [];
  for (const e of listing.entries) {
    if (seen.has(e.path) || !inAssets(e.path) || excludedReason(e.path, ctx) !== undefined) continue;
    seen.add(e.path);
    // Object literals, not spreads: this loop runs once per listed entry on every snapshot.
    const mode = e.mode & 0o7777;
    if (e.type === 'directory') plan.ready.push({ path: e.path, mode, mtimeNs: e.mtimeNs, type: 'directory', size: 0 });
    else if (e.type === 'symlink') plan.ready.push({ path: e.path, mode, mtimeNs: e.mtimeNs, type: 'symlink', size: 0, linkTarget: e.linkTarget ?? '' });
    else if (e.type === 'other') plan.warnings.push(`skipped ${e.path}: special files (sockets, pipes, devices) are not backed up`);
    else if (!o.configOnly && e.path.endsWith('.sqlite')) dbs.push(e);
    else {
      plan.listedFiles++;
      const stamp = stampOf(e);
      const prev = parentByPath.get(e.path);
      if (!o.fullRescan && prev && prev.type === 'file' && prev.stamp === stamp && prev.sha256) {
        const entry: SnapshotEntry = {
          path: e.path,
          mode,
          mtimeNs: e.mtimeNs,
          type: 'file',
          size: e.size,
          ctimeNs: e.ctimeNs,
          ino: e.ino,
          stamp,
          sha256: prev.sha256,
        };
        if (prev.chunks) entry.chunks = prev.chunks;
        plan.ready.push(entry);
      } else {
        plan.wanted.set(e.path, e);
        const lead = !o.fullRescan && prev?.type === 'file' && e.size > prev.size ? leadingChunks(prev, o.sizeOf) : undefined;
        if (lead) plan.grown.set(e.path, lead);
      }
    }
  }
  planDatabases(plan, dbs, byPath, parentByPath, listing, o);
  return plan;
}

/**
 * What a grown file should still start with: the parent's chunks with their lengths. The last one
 * is kept too when it is full-sized (≥ the chunker's minimum): the appended bytes then start new
 * chunks, so a transcript that grows every day re-stores only what was appended instead of the
 * ~1 MiB (up to 8 MiB) last chunk around it. A shorter last chunk is cut again with the new bytes,
 * so frequent small appends leave no trail of tiny chunks. (A full read may cut such a file
 * differently after a kept boundary; content-defined cuts realign within a chunk or two.)
 */
function leadingChunks(prev: SnapshotEntry, sizeOf: PlanOptions['sizeOf']): Array<[number, string]> | undefined {
  if (!sizeOf) return undefined;
  const ids = prev.chunks ?? (prev.size >= FILE_CHUNKER.minSize && prev.sha256 ? [prev.sha256] : []);
  const lead: Array<[number, string]> = [];
  for (const id of ids) {
    const size = sizeOf(id);
    if (size === undefined) return undefined;
    lead.push([size, id]);
  }
  if (lead.length > 0 && lead.at(-1)![0] < FILE_CHUNKER.minSize) lead.pop();
  return lead.length > 0 ? lead : undefined;
}

function planDatabases(
  plan: CapturePlan,
  dbs: ListedEntry[],
  byPath: Map<string, ListedEntry>,
  parentByPath: Map<string, SnapshotEntry>,
  listing: NodeListing,
  o: PlanOptions,
): void {
  if (dbs.length === 0) return;
  const tool = listing.tools.has('sqlite3') ? 'sqlite3' : listing.tools.has('node-sqlite') ? 'node' : undefined;
  const walOf = (db: ListedEntry): ListedEntry | undefined => byPath.get(`${db.path}-wal`);
  if (tool) {
    plan.sqliteMode = 'snapshot';
    plan.sqliteTool = tool;
  } else if (o.gatewayRunning !== false) {
    throw new OcmError(
      'unsupported',
      `Node ${o.nodeId} has live SQLite databases (${dbs
        .map((d) => posix.basename(d.path))
        .slice(0, 3)
        .join(', ')}) and neither "sqlite3" nor a Node.js with node:sqlite to copy them consistently. Install sqlite3 on the node, or stop the gateway first.`,
      { nodeId: o.nodeId, databases: dbs.map((d) => d.path) },
    );
  } else {
    const busy = dbs.find((d) => (walOf(d)?.size ?? 0) > 0);
    if (busy) {
      throw new OcmError(
        'unsupported',
        `SQLite database ${busy.path} on ${o.nodeId} has uncheckpointed changes (a non-empty -wal file) although the gateway is stopped. Start and cleanly stop the gateway, or install sqlite3 on the node, then retry.`,
        { nodeId: o.nodeId },
      );
    }
    plan.sqliteMode = 'copy';
  }
  for (const db of dbs) {
    const stamp = stampOf(db, walOf(db));
    const prev = parentByPath.get(db.path);
    const base = { path: db.path, mode: db.mode & 0o7777, mtimeNs: db.mtimeNs, ctimeNs: db.ctimeNs, ino: db.ino, stamp };
    if (!o.fullRescan && prev?.stamp === stamp && prev.sha256) {
      plan.ready.push({
        ...base,
        type: 'file',
        size: prev.size,
        sha256: prev.sha256,
        ...(prev.chunks ? { chunks: prev.chunks } : {}),
        ...(prev.captured ? { captured: prev.captured } : {}),
      });
    } else if (plan.sqliteMode === 'snapshot') {
      const known = !o.fullRescan && prev?.type === 'file' && prev.captured?.startsWith('sqlite-backup') ? prev.chunks : undefined;
      plan.databases.push({ listed: db, stamp, wal: walOf(db) !== undefined, ...(known ? { known } : {}) });
    } else plan.wanted.set(db.path, db);
  }
}
