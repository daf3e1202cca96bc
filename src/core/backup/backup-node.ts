import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { OcmError } from '../errors';
import type { Transport } from '../transport/types';
import { scanArchive, type ArchiveLimits } from './archive-scan';
import { archiveRootName } from './manifest';
import { hasNativeBackup, NATIVE_BACKUP_MIN_VERSION, runNativeEngine, type OpenclawCommand } from './native-engine';
import { runOwnEngine } from './ocm-engine';
import type { BackupStore } from './store';
import { BACKUP_INDEX_FORMAT, type BackupEngine, type BackupIndex, type BackupProgress, type BackupSources } from './types';
import { compareWithIndex, verifyArchive } from './verify';

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
  /** Needed by the own engine when SQLite files exist and the node has no sqlite3. */
  gatewayRunning?: boolean;
  onProgress?: (progress: BackupProgress) => void;
  signal?: AbortSignal;
  limits?: Partial<ArchiveLimits>;
  /**
   * How the own engine's archive is checked before it is published: `full` (default) runs every
   * safety check and compares every entry's sha256 with the index, on the archive bytes as they
   * are written (inflated and parsed again, alongside the writing), then re-hashes the file on
   * disk against the hash of those bytes; `checksum` only re-hashes
   * the file against the hash taken while writing (the structure is safe by construction: every
   * path was checked as it was written). OpenClaw-engine archives are always fully scanned.
   */
  verify?: 'full' | 'checksum';
}

export interface BackupNodeResult {
  index: BackupIndex;
  archivePath: string;
  engine: BackupEngine;
  warnings: string[];
}

/** Which engine `auto` picks: OpenClaw's own when it exists and can do what was asked. */
export function chooseEngine(choice: EngineChoice, openclaw: BackupNodeParams['openclaw'], includeTranscripts: boolean): BackupEngine {
  const native = Boolean(openclaw?.command) && hasNativeBackup(openclaw?.version);
  if (choice === 'openclaw') {
    if (!native) {
      throw new OcmError(
        'unsupported',
        openclaw?.command
          ? `OpenClaw ${openclaw.version ?? '(unknown version)'} has no "backup create" (needs ${NATIVE_BACKUP_MIN_VERSION} or later); use --engine ocm or auto.`
          : 'No openclaw binary was found on the node; use --engine ocm or auto, or set the binary path with "ocm add --openclaw".',
        { version: openclaw?.version ?? null },
      );
    }
    if (includeTranscripts) throw new OcmError('invalidInput', "OpenClaw's own backup leaves session transcripts out; use --engine ocm (or auto) with --include-transcripts.", { usage: true });
    return 'openclaw';
  }
  if (choice === 'ocm') return 'ocm';
  return native && !includeTranscripts ? 'openclaw' : 'ocm';
}

/**
 * Backs up one node into the store: the chosen engine writes a partial file, the archive is
 * verified (structure, and for the own engine every entry against what was sent), then published
 * with its index. On failure or cancel the partial file is removed: no half archive remains.
 */
export async function backupNode(p: BackupNodeParams): Promise<BackupNodeResult> {
  const includeTranscripts = Boolean(p.includeTranscripts);
  const configOnly = Boolean(p.configOnly);
  const engine = chooseEngine(p.engine ?? 'auto', p.openclaw, includeTranscripts);
  const partial = await p.store.createPartial(p.nodeId);
  try {
    const warnings: string[] = [];
    let index: Omit<BackupIndex, 'id' | 'archiveFile'>;
    let baseName: string;
    if (engine === 'openclaw') {
      const native = await runNativeEngine({ transport: p.transport, openclaw: p.openclaw!, partialPath: partial, configOnly, onProgress: p.onProgress, signal: p.signal });
      p.onProgress?.({ phase: 'verifying', bytes: native.archiveSize });
      // One pass: every structural/safety check of verify, and the entries for the index.
      const full = await scanArchive(partial, { limits: p.limits, signal: p.signal });
      const createdAt = typeof full.manifest.createdAt === 'string' ? full.manifest.createdAt : new Date().toISOString();
      const runtimeVersion = typeof full.manifest.runtimeVersion === 'string' ? full.manifest.runtimeVersion : 'unknown';
      const paths = (full.manifest.paths ?? {}) as Record<string, unknown>;
      const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
      const agentRoots = Array.isArray(paths.agentRoots) ? (paths.agentRoots as Array<{ sourcePath?: unknown }>) : [];
      index = {
        formatVersion: BACKUP_INDEX_FORMAT,
        nodeId: p.nodeId,
        createdAt,
        engine,
        openclawVersion: runtimeVersion !== 'unknown' ? runtimeVersion : (p.openclaw?.version ?? null),
        archiveSha256: full.archiveSha256,
        archiveSize: full.archiveSize,
        archiveRoot: full.archiveRoot,
        manifestSha256: full.manifestSha256,
        options: { includeTranscripts: false, configOnly },
        sourcePaths: {
          ...(typeof paths.stateDir === 'string' && !configOnly ? { stateDir: paths.stateDir } : {}),
          ...(typeof paths.configPath === 'string' ? { configPath: paths.configPath } : {}),
          workspaceDirs: configOnly ? [] : strings(paths.workspaceDirs),
          agentDirs: configOnly ? [] : agentRoots.map((a) => a.sourcePath).filter((x): x is string => typeof x === 'string'),
        },
        pinned: false,
        externalSymbolicLinks: full.externalSymbolicLinks,
        entries: full.entries,
      };
      if (full.archiveSha256 !== native.archiveSha256) throw new OcmError('failed', `The archive changed on disk while it was checked (${partial}). Retry the backup.`);
      baseName = native.baseName;
    } else {
      const createdAt = new Date();
      const archiveRoot = archiveRootName(createdAt);
      const own = await runOwnEngine({
        transport: p.transport,
        sources: p.sources,
        partialPath: partial,
        archiveRoot,
        createdAt,
        includeTranscripts,
        configOnly,
        gatewayRunning: p.gatewayRunning,
        openclawVersion: p.openclaw?.version ?? null,
        ...(p.openclaw?.env ? { env: p.openclaw.env } : {}),
        onProgress: p.onProgress,
        signal: p.signal,
        // Full verification runs while the archive is written (same checks, no second pass).
        ...(p.verify === 'checksum' ? {} : { scan: { limits: p.limits } }),
      });
      warnings.push(...own.warnings);
      const manifestBytes = Buffer.from(JSON.stringify(own.manifest, null, 2) + '\n');
      index = {
        formatVersion: BACKUP_INDEX_FORMAT,
        nodeId: p.nodeId,
        createdAt: createdAt.toISOString(),
        engine,
        openclawVersion: p.openclaw?.version ?? null,
        archiveSha256: own.archiveSha256,
        archiveSize: own.archiveSize,
        archiveRoot,
        manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'),
        options: { includeTranscripts, configOnly },
        sourcePaths: {
          ...(configOnly ? {} : { stateDir: p.sources.stateDir }),
          configPath: p.sources.configPath,
          workspaceDirs: configOnly ? [] : [...p.sources.workspaceDirs],
          agentDirs: configOnly ? [] : p.sources.agentDirs.map((a) => a.path),
        },
        pinned: false,
        externalSymbolicLinks: own.manifest.externalSymbolicLinks,
        entries: own.entries,
      };
      if (own.scan) {
        // What was written is a safe archive whose every entry matches what was sent (scanned
        // while writing), and the file on disk holds exactly those bytes (re-hashed below).
        compareWithIndex(own.scan, { ...index, id: 'partial', archiveFile: partial });
      } else if (p.verify !== 'checksum') {
        // Re-read what was written: it must be a safe archive whose every entry matches what was sent.
        await verifyArchive(partial, { ...index, id: 'partial', archiveFile: partial }, { limits: p.limits, signal: p.signal });
      }
      if (own.scan || p.verify === 'checksum') {
        const onDisk = await sha256OfFile(partial);
        if (onDisk !== own.archiveSha256) throw new OcmError('failed', `The archive written to ${partial} does not read back as written (disk problem?). Retry the backup.`);
      }
      baseName = archiveRoot.replace(/-openclaw-backup$/, '-ocm-backup');
    }
    if (p.signal?.aborted) throw new OcmError('cancelled', `Backup of ${p.nodeId} was cancelled; no archive was kept.`, { nodeId: p.nodeId });
    const stored = await p.store.publish(partial, baseName, index);
    p.onProgress?.({ phase: 'done', bytes: stored.archiveSize });
    return { index: stored, archivePath: p.store.archivePath(stored), engine, warnings };
  } finally {
    await p.store.removePartial(partial);
  }
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
