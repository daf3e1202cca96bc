import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { OcmError } from '../errors';
import { captureSnapshot, type CaptureStats } from '../repository/capture';
import type { Snapshot } from '../repository/format';
import { importArchive } from '../repository/import';
import type { Transport } from '../transport/types';
import type { ArchiveLimits } from './archive-scan';
import { hasNativeBackup, NATIVE_BACKUP_MIN_VERSION, runNativeEngine, type OpenclawCommand } from './native-engine';
import { viewOf, type BackupStore } from './store';
import type { BackupEngine, BackupIndex, BackupProgress, BackupSources } from './types';

export type EngineChoice = 'auto' | BackupEngine;

export interface BackupNodeParams {
  store: BackupStore;
  nodeId: string;
  transport: Transport;
  engine?: EngineChoice;
  /** The node's `openclaw` binary and version; omit when none was found. */
  openclaw?: OpenclawCommand & { version?: string | null };
  /** Paths from the OpenClaw model (state dir, config, each agent's workspace and agentDir). */
  sources: BackupSources;
  includeTranscripts?: boolean;
  configOnly?: boolean;
  /** Read every file again and compare by content (ignores the parent snapshot's stamps). */
  fullRescan?: boolean;
  /** false = the gateway is known to be stopped (live SQLite may then be copied as it is). */
  gatewayRunning?: boolean;
  onProgress?: (progress: BackupProgress) => void;
  signal?: AbortSignal;
  limits?: Partial<ArchiveLimits>;
  tags?: string[];
}

export interface BackupNodeResult {
  /** The new backup as the store shows it (entries with sha256). */
  index: BackupIndex;
  snapshot: Snapshot;
  engine: BackupEngine;
  warnings: string[];
  /** What crossed the wire and what was stored (own engine). */
  stats?: CaptureStats;
}

/**
 * Which engine: `ocm` (default; incremental snapshots: only what changed crosses the wire) or
 * `openclaw` (OpenClaw's own `backup create`, imported into the repository: a full archive every
 * time, for operators who want OpenClaw to take it).
 */
export function chooseEngine(choice: EngineChoice, openclaw: BackupNodeParams['openclaw'], includeTranscripts: boolean): BackupEngine {
  if (choice !== 'openclaw') return 'ocm';
  if (!openclaw?.command || !hasNativeBackup(openclaw.version)) {
    throw new OcmError(
      'unsupported',
      openclaw?.command
        ? `OpenClaw ${openclaw.version ?? '(unknown version)'} has no "backup create" (needs ${NATIVE_BACKUP_MIN_VERSION} or later); use --engine ocm or auto.`
        : 'No openclaw binary was found on the node; use --engine ocm or auto, or set the binary path with "ocm add --openclaw".',
      { version: openclaw?.version ?? null },
    );
  }
  if (includeTranscripts)
    throw new OcmError('invalidInput', "OpenClaw's own backup leaves session transcripts out; use --engine ocm (or auto) with --include-transcripts.", {
      usage: true,
    });
  return 'openclaw';
}

/**
 * Backs up one node into the repository as a snapshot. On failure or cancel no snapshot is
 * written; objects already stored are reused by the next backup or collected by prune.
 */
export async function backupNode(p: BackupNodeParams): Promise<BackupNodeResult> {
  const includeTranscripts = Boolean(p.includeTranscripts);
  const configOnly = Boolean(p.configOnly);
  const engine = chooseEngine(p.engine ?? 'auto', p.openclaw, includeTranscripts);
  const repo = await p.store.repository();
  let snapshot: Snapshot;
  let index: BackupIndex | undefined;
  let warnings: string[] = [];
  let stats: CaptureStats | undefined;
  if (engine === 'openclaw') {
    const dir = join(repo.root, 'tmp');
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const partial = join(dir, `${randomBytes(8).toString('hex')}.tar.gz.partial`);
    try {
      await runNativeEngine({ transport: p.transport, openclaw: p.openclaw!, partialPath: partial, configOnly, onProgress: p.onProgress, signal: p.signal });
      p.onProgress?.({ phase: 'verifying', bytes: 0 });
      snapshot = await importArchive(repo, partial, {
        nodeId: p.nodeId,
        method: 'import',
        engine: 'openclaw',
        openclawVersion: p.openclaw?.version ?? null,
        limits: p.limits,
        signal: p.signal,
      });
    } finally {
      await fs.rm(partial, { force: true });
    }
  } else {
    const r = await captureSnapshot({
      repo,
      nodeId: p.nodeId,
      transport: p.transport,
      sources: p.sources,
      openclawVersion: p.openclaw?.version ?? null,
      includeTranscripts,
      configOnly,
      fullRescan: p.fullRescan,
      gatewayRunning: p.gatewayRunning,
      ...(p.openclaw?.env ? { env: p.openclaw.env } : {}),
      ...(p.tags ? { tags: p.tags } : {}),
      onProgress: p.onProgress,
      signal: p.signal,
    });
    snapshot = r.snapshot;
    index = viewOf(r.snapshot, r.entries);
    warnings = r.warnings;
    stats = r.stats;
  }
  index ??= await p.store.readIndex(snapshot);
  p.onProgress?.({ phase: 'done', bytes: stats?.transferredBytes ?? 0 });
  return { index, snapshot, engine, warnings, ...(stats ? { stats } : {}) };
}
