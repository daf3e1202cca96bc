import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { OcmError } from '../errors';
import { fsyncDir, fsyncFile } from '../fs-atomic';
import { archivePathFor, archiveRootName, isWithin, type OpenClawManifest } from '../backup/manifest';
import { byteTap } from '../backup/byte-tap';
import { ParallelGzip } from '../backup/parallel-gzip';
import { TarWriter } from '../backup/tar-writer';
import { BACKUP_INDEX_FORMAT, type BackupIndex, type IndexEntry } from '../backup/types';
import type { Snapshot, SnapshotEntry } from './format';
import type { Repository } from './repository';

/**
 * A snapshot as an OpenClaw archive (`<root>/manifest.json` + `<root>/payload/posix/...`, gzip),
 * which `openclaw backup verify` and `openclaw backup restore` accept, and which today's restore
 * and migrate upload. Written to a temp name, fsynced and renamed: a failed export leaves no file,
 * and a returned one is on the disk.
 */

export interface ExportResult {
  archivePath: string;
  archiveSha256: string;
  archiveSize: number;
  /** The archive described like a stored backup (for restore and migrate). */
  index: BackupIndex;
}

export async function exportSnapshot(
  repo: Repository,
  snapshot: Snapshot,
  outFile: string,
  options: { signal?: AbortSignal; gzipLevel?: number } = {},
): Promise<ExportResult> {
  const entries = (await repo.readEntries(snapshot)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const createdAt = new Date(snapshot.createdAt);
  const archiveRoot = archiveRootName(createdAt);
  const temp = join(dirname(outFile), `.${basename(outFile)}.${randomBytes(6).toString('hex')}.partial`);
  const gzip = new ParallelGzip(options.gzipLevel ?? 1);
  const counter = byteTap({ hash: true });
  const file = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
  const done = pipeline(gzip, counter.stream, file);
  done.catch(() => undefined);
  const writer = new TarWriter(gzip);
  const payload = `${archiveRoot}/payload/posix`;
  const indexEntries: IndexEntry[] = [];
  const links: OpenClawManifest['externalSymbolicLinks'] = [];
  try {
    for (const e of entries) {
      if (options.signal?.aborted) throw new OcmError('cancelled', 'The export was cancelled; no archive was written.');
      const name = `${payload}${e.path}`;
      const mtime = mtimeOf(e);
      if (e.type === 'directory') {
        await writer.writeHeader({ path: name + '/', type: 'Directory', size: 0, mode: e.mode, mtime });
        indexEntries.push({ path: e.path, type: 'directory', size: 0, mode: e.mode });
      } else if (e.type === 'symlink') {
        await writer.writeHeader({ path: name, type: 'SymbolicLink', size: 0, mode: e.mode, mtime, linkpath: e.linkTarget ?? '' });
        indexEntries.push({ path: e.path, type: 'symlink', size: 0, mode: e.mode, linkTarget: e.linkTarget ?? '' });
        if (isExternal(e, snapshot.sourcePaths.stateDir)) links.push({ entryPath: name, linkpath: e.linkTarget ?? '' });
      } else {
        await writer.writeHeader({ path: name, type: 'File', size: e.size, mode: e.mode, mtime });
        let n = 0;
        for await (const part of repo.streamContent(e)) {
          n += part.length;
          await writer.writeData(part);
        }
        if (n !== e.size)
          throw new OcmError('failed', `${e.path} in snapshot ${snapshot.id} has ${n} bytes instead of ${e.size}: the repository is damaged. Run "ocm check".`);
        await writer.endEntry();
        indexEntries.push({ path: e.path, type: 'file', size: e.size, mode: e.mode, ...(e.sha256 ? { sha256: e.sha256 } : {}) });
      }
    }
    const manifest = manifestFor(snapshot, archiveRoot, links);
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
    await writer.writeFile(`${archiveRoot}/manifest.json`, manifestBytes, 0o600, createdAt);
    await writer.finish();
    gzip.end();
    await done;
    // The bytes reach the disk before the name (and the index the caller records) exists, and the
    // name survives a crash once returned.
    await fsyncFile(temp);
    await fs.rename(temp, outFile);
    await fsyncDir(dirname(outFile));
    const archiveSha256 = counter.sha256();
    const index: BackupIndex = {
      formatVersion: BACKUP_INDEX_FORMAT,
      id: snapshot.id,
      nodeId: snapshot.nodeId,
      createdAt: snapshot.createdAt,
      engine: 'ocm',
      openclawVersion: snapshot.openclawVersion,
      archiveFile: basename(outFile),
      archiveSha256,
      archiveSize: counter.bytes,
      archiveRoot,
      manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'),
      options: snapshot.options,
      sourcePaths: {
        ...(snapshot.sourcePaths.stateDir ? { stateDir: snapshot.sourcePaths.stateDir } : {}),
        ...(snapshot.sourcePaths.configPath ? { configPath: snapshot.sourcePaths.configPath } : {}),
        workspaceDirs: snapshot.sourcePaths.workspaceDirs,
        agentDirs: snapshot.sourcePaths.agentDirs,
      },
      pinned: snapshot.pinned,
      externalSymbolicLinks: links,
      entries: indexEntries,
    };
    return { archivePath: outFile, archiveSha256, archiveSize: counter.bytes, index };
  } catch (e) {
    gzip.destroy();
    file.destroy();
    await fs.rm(temp, { force: true });
    throw e;
  }
}

function mtimeOf(e: SnapshotEntry): Date {
  if (!e.mtimeNs) return new Date(0);
  return new Date(Number(BigInt(e.mtimeNs) / 1_000_000n));
}

function isExternal(e: SnapshotEntry, stateDir: string | undefined): boolean {
  const link = e.linkTarget ?? '';
  if (!stateDir) return link.startsWith('/');
  const target = link.startsWith('/') ? posix.normalize(link) : posix.normalize(posix.join(posix.dirname(e.path), link));
  return !isWithin(target, stateDir);
}

function manifestFor(s: Snapshot, archiveRoot: string, links: OpenClawManifest['externalSymbolicLinks']): OpenClawManifest {
  const configOnly = s.options.configOnly;
  return {
    schemaVersion: 1,
    createdAt: s.createdAt,
    archiveRoot,
    runtimeVersion: s.openclawVersion ?? 'unknown',
    platform: s.platform,
    nodeVersion: 'unknown',
    options: {
      includeWorkspace: true,
      onlyConfig: configOnly,
      includeTranscripts: s.options.includeTranscripts,
      engine: 'ocm',
      sqlite: s.capture.sqlite,
      snapshot: s.id,
    },
    paths: {
      ...(s.sourcePaths.stateDir ? { stateDir: s.sourcePaths.stateDir } : {}),
      configPath: s.sourcePaths.configPath ?? '',
      ...(s.sourcePaths.stateDir && !configOnly ? { oauthDir: posix.join(s.sourcePaths.stateDir, 'credentials') } : {}),
      workspaceDirs: s.sourcePaths.workspaceDirs,
      agentRoots: s.sourcePaths.agentRoots,
    },
    assets: s.assets.map((a) => ({ kind: a.kind, sourcePath: a.sourcePath, archivePath: archivePathFor(archiveRoot, a.sourcePath) })),
    skipped: s.skipped,
    externalSymbolicLinks: links,
  };
}
