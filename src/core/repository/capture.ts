import { OcmError } from '../errors';
import type { BackupProgress, BackupSources } from '../backup/types';
import type { Transport } from '../transport/types';
import { planCapture } from './capture-plan';
import { streamChanged } from './capture-stream';
import { REPOSITORY_FORMAT, type Snapshot, type SnapshotEntry } from './format';
import { listNode } from './listing';
import type { Repository } from './repository';
import { byPath, entryLines, newSnapshotId, writeTree } from './snapshots';

/**
 * A snapshot of one node: one exec lists the backup roots, the client compares with the node's
 * latest snapshot, a second exec (only when something changed) streams exactly the new and
 * changed files. Write order: objects → index → snapshot document, under a shared repository
 * lock; a run that fails or is cancelled leaves no snapshot, and what it stored is reused by the
 * next run or collected by prune.
 */

export interface CaptureParams {
  repo: Repository;
  nodeId: string;
  transport: Transport;
  sources: BackupSources;
  openclawVersion?: string | null;
  includeTranscripts?: boolean;
  configOnly?: boolean;
  /** Read every file and compare by content, ignoring the parent's stamps. */
  fullRescan?: boolean;
  gatewayRunning?: boolean;
  env?: Record<string, string>;
  tags?: string[];
  onProgress?: (p: BackupProgress) => void;
  signal?: AbortSignal;
}

export interface CaptureStats {
  listedFiles: number;
  changedFiles: number;
  transferredBytes: number;
  objectsWritten: number;
  objectsReused: number;
  storedBytes: number;
  durationMs: number;
}

export interface CaptureResult {
  snapshot: Snapshot;
  /** The snapshot's entries (what its tree holds), so callers need not read them back. */
  entries: SnapshotEntry[];
  stats: CaptureStats;
  warnings: string[];
}

export async function captureSnapshot(p: CaptureParams): Promise<CaptureResult> {
  const started = Date.now();
  const includeTranscripts = Boolean(p.includeTranscripts);
  const configOnly = Boolean(p.configOnly);
  p.onProgress?.({ phase: 'preparing', bytes: 0 });
  const lock = await p.repo.lock({ exclusive: false, purpose: `backup of ${p.nodeId}`, waitMs: 10 * 60_000, signal: p.signal });
  const session = p.repo.objects.startWrite();
  try {
    const createdAt = new Date();
    const roots = configOnly
      ? [p.sources.configPath]
      : [p.sources.stateDir, p.sources.configPath, ...p.sources.workspaceDirs, ...p.sources.agentDirs.map((a) => a.path)];
    // The node lists its files while the client reads the index and the parent's entries.
    const listed = listNode(p.transport, roots, configOnly ? undefined : p.sources.stateDir, { signal: p.signal, ...(p.env ? { env: p.env } : {}) });
    listed.catch(() => undefined);
    await p.repo.objects.load();
    const parentDoc = await p.repo.latestSnapshot(
      p.nodeId,
      (s) => s.capture.method === 'own' && s.options.configOnly === configOnly && s.options.includeTranscripts === includeTranscripts,
    );
    const parentEntries = parentDoc ? await p.repo.readEntries(parentDoc).catch(() => undefined) : undefined;
    const listing = await listed;
    const plan = planCapture(listing, parentEntries, {
      sources: p.sources,
      includeTranscripts,
      configOnly,
      fullRescan: Boolean(p.fullRescan),
      gatewayRunning: p.gatewayRunning,
      nodeId: p.nodeId,
      sizeOf: (id) => p.repo.objects.location(id)?.rawLength,
    });
    const changedFiles = plan.wanted.size + plan.databases.length;
    const warnings = [...plan.warnings];
    let entries: SnapshotEntry[] = plan.ready;
    let transferredBytes = 0;
    let lines: Map<SnapshotEntry, string> | undefined;
    if (changedFiles > 0) {
      p.onProgress?.({ phase: 'transferring', bytes: 0 });
      const streamed = await streamChanged(p.transport, listing, plan, session, {
        signal: p.signal,
        ...(p.env ? { env: p.env } : {}),
        onBytes: (bytes) => p.onProgress?.({ phase: 'transferring', bytes }),
        meanwhile: () => (lines = entryLines(plan.ready)),
      });
      entries = [...entries, ...streamed.entries];
      transferredBytes = streamed.transferredBytes;
      warnings.push(...streamed.warnings);
    }
    if (p.signal?.aborted) throw new OcmError('cancelled', `Backup of ${p.nodeId} was cancelled; no snapshot was kept.`, { nodeId: p.nodeId });
    p.onProgress?.({ phase: 'verifying', bytes: transferredBytes });
    entries.sort(byPath);
    const tree = await writeTree(session, entries, lines);
    await session.commit();
    const snapshot: Snapshot = {
      formatVersion: REPOSITORY_FORMAT,
      id: newSnapshotId(createdAt),
      nodeId: p.nodeId,
      createdAt: createdAt.toISOString(),
      openclawVersion: p.openclawVersion ?? null,
      capture: { method: 'own', sqlite: plan.sqliteMode, ...(plan.sqliteTool ? { sqliteTool: plan.sqliteTool } : {}), fullRescan: Boolean(p.fullRescan) },
      options: { includeTranscripts, configOnly },
      sourcePaths: {
        ...(configOnly ? {} : { stateDir: p.sources.stateDir }),
        configPath: p.sources.configPath,
        workspaceDirs: configOnly ? [] : [...p.sources.workspaceDirs],
        agentDirs: configOnly ? [] : p.sources.agentDirs.map((a) => a.path),
        agentRoots: configOnly ? [] : p.sources.agentDirs.map((a) => ({ agentId: a.agentId, sourcePath: a.path })),
      },
      assets: plan.assets,
      skipped: plan.skipped,
      externalSymbolicLinks: [],
      platform: listing.platform,
      parent: parentDoc?.id ?? null,
      pinned: false,
      tags: p.tags ?? [],
      entryCount: entries.length,
      totalSize: entries.reduce((n, e) => n + (e.type === 'file' ? e.size : 0), 0),
      tree,
      warnings,
    };
    // Folding index files never unreferences an object, so it may run while the document is written.
    const consolidated = p.repo.objects.consolidate().catch(() => false);
    await p.repo.writeSnapshot(snapshot);
    await consolidated;
    p.onProgress?.({ phase: 'done', bytes: transferredBytes });
    return {
      snapshot,
      entries,
      warnings,
      stats: {
        listedFiles: plan.listedFiles,
        changedFiles,
        transferredBytes,
        objectsWritten: session.written,
        objectsReused: session.reused,
        storedBytes: session.storedBytes,
        durationMs: Date.now() - started,
      },
    };
  } catch (e) {
    await session.abort();
    throw e;
  } finally {
    await lock.release();
  }
}
