import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { posix } from 'node:path';
import { Duplex, PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import type { ReadEntry } from 'tar';
import { OcmError } from '../errors';
import { shellQuote } from '../transport/shell-quote';
import type { ExecStream, Transport } from '../transport/types';
import { tar } from '../vendor';
import { checkArchivePath, scanArchiveStream, type ArchiveLimits, type ArchiveScan } from './archive-scan';
import { excludedReason, tarExcludePatterns } from './exclusions';
import { archivePathFor, isWithin, planAssets, type OpenClawManifest } from './manifest';
import { ParallelGzip } from './parallel-gzip';
import { TarWriter } from './tar-writer';
import type { BackupProgress, BackupSources, IndexEntry } from './types';

/**
 * The tool's own backup engine, for nodes without a usable `openclaw backup`: ONE exec streams a
 * compressed tar of the state dir, config, workspaces and agentDirs (zstd when the node has it,
 * else gzip); the client re-packs it on the fly into OpenClaw's layout (`<root>/payload/posix/...`
 * + `<root>/manifest.json`, gzip, so `openclaw backup verify` accepts it), hashing every file.
 * Memory stays bounded: entries are streamed with backpressure, never buffered whole.
 *
 * Live SQLite databases are not copied byte by byte while the gateway may write them: with
 * `sqlite3` on the node each database is captured with `.backup` (SQLite's online backup API),
 * else with the node's own Node.js (`node:sqlite` backup(), Node ≥ 22.16 — what OpenClaw versions
 * with SQLite run on); without either the backup is refused unless the gateway is stopped.
 */

export interface OwnEngineParams {
  transport: Transport;
  sources: BackupSources;
  /** Local file to write (the store's partial file). */
  partialPath: string;
  archiveRoot: string;
  createdAt: Date;
  includeTranscripts?: boolean;
  configOnly?: boolean;
  /** false = the caller stopped the gateway (or knows it is not running); undefined counts as running. */
  gatewayRunning?: boolean;
  openclawVersion?: string | null;
  /** Compression on the wire: auto = zstd when both sides can, else gzip. */
  compression?: 'auto' | 'zstd' | 'gzip';
  /** gzip level of the stored archive (1 fastest ... 9 smallest); default 1. */
  gzipLevel?: number;
  onProgress?: (progress: BackupProgress) => void;
  signal?: AbortSignal;
  /** Timeout for the whole stream (ms); default 6 hours. */
  timeoutMs?: number;
  /** Environment for the commands on the node (e.g. OpenClaw's PATH, so its `node` is found). */
  env?: Record<string, string>;
  /**
   * Check the archive while it is written: the bytes going to the partial file are also fed
   * through scanArchive's checks (inflated on the thread pool, every entry re-hashed), so the
   * caller gets the same scan as re-reading the file afterwards, without a second pass.
   */
  scan?: { limits?: Partial<ArchiveLimits> };
}

export interface OwnEngineResult {
  entries: IndexEntry[];
  manifest: OpenClawManifest;
  archiveSha256: string;
  archiveSize: number;
  /** Bytes received from the node (compressed). */
  transferredBytes: number;
  warnings: string[];
  compression: 'zstd' | 'gzip';
  sqliteMode: 'none' | 'snapshot' | 'copy';
  /** Which tool took the SQLite snapshots. */
  sqliteTool?: 'sqlite3' | 'node';
  /** With `scan`: the scan of exactly the bytes written (archiveSha256 is theirs). */
  scan?: ArchiveScan;
}

interface Probe {
  tools: Set<string>;
  platform: string;
  existing: Set<string>;
  sqlite: Array<{ path: string; walNonEmpty: boolean }>;
}

export const NODE_SQLITE_CHECK = `node -e "process.exit(typeof require('node:sqlite').backup === 'function' ? 0 : 1)" >/dev/null 2>&1`;
/** `node <this> SRC DEST`: SQLite's online backup API through Node's built-in node:sqlite. */
export const NODE_SQLITE_BACKUP =
  "const s=require('node:sqlite');const db=new s.DatabaseSync(process.argv[1]);s.backup(db,process.argv[2]).then(()=>db.close(),(e)=>{console.error(e.message);process.exit(1)})";

async function probeNode(transport: Transport, roots: string[], signal?: AbortSignal, env?: Record<string, string>): Promise<Probe> {
  const script = [
    `for t in zstd gzip sqlite3 tar; do if command -v "$t" >/dev/null 2>&1; then echo "tool:$t"; fi; done`,
    `echo "uname:$(uname -s)"`,
    `set --; for r in ${roots.map(shellQuote).join(' ')}; do if [ -e "$r" ]; then echo "exists:$r"; set -- "$@" "$r"; fi; done`,
    `dbs=; if [ $# -gt 0 ]; then dbs=$(find "$@" -name node_modules -prune -o -type f -name '*.sqlite' -print 2>/dev/null); fi`,
    `if [ -n "$dbs" ]; then printf '%s\\n' "$dbs" | while IFS= read -r f; do if [ -s "$f-wal" ]; then echo "sqlite-wal:$f"; else echo "sqlite:$f"; fi; done; fi`,
    // node:sqlite is only used for databases when sqlite3 is missing: start a Node (0.1–0.3 s) only then.
    `if [ -n "$dbs" ] && ! command -v sqlite3 >/dev/null 2>&1 && command -v node >/dev/null 2>&1 && ${NODE_SQLITE_CHECK}; then echo "tool:node-sqlite"; fi`,
  ].join('\n');
  const r = await transport.exec(script, { signal, timeoutMs: 120_000, ...(env ? { env } : {}) });
  const probe: Probe = { tools: new Set(), platform: 'unknown', existing: new Set(), sqlite: [] };
  for (const line of r.stdout.split('\n')) {
    const at = line.indexOf(':');
    if (at < 0) continue;
    const [key, value] = [line.slice(0, at), line.slice(at + 1)];
    if (key === 'tool') probe.tools.add(value);
    else if (key === 'uname') probe.platform = value.toLowerCase();
    else if (key === 'exists') probe.existing.add(value);
    else if (key === 'sqlite' || key === 'sqlite-wal') probe.sqlite.push({ path: value, walNonEmpty: key === 'sqlite-wal' });
  }
  if (!probe.tools.has('tar')) {
    throw new OcmError('unsupported', `Node ${transport.nodeId} has no "tar" command; install tar there (or use --engine openclaw).`, { nodeId: transport.nodeId });
  }
  return probe;
}

/** Can this client decompress zstd (Node ≥ 22.15 zlib, or a local `zstd` binary)? */
export function localZstd(): 'zlib' | 'binary' | undefined {
  if (typeof (zlib as unknown as { createZstdDecompress?: unknown }).createZstdDecompress === 'function') return 'zlib';
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  return dirs.some((dir) => existsSync(posix.join(dir, 'zstd'))) ? 'binary' : undefined;
}

export function decompressor(kind: 'zstd' | 'gzip'): { stream: Duplex; kill: () => void } {
  if (kind === 'gzip') return { stream: zlib.createGunzip(), kill: () => undefined };
  const viaZlib = (zlib as unknown as { createZstdDecompress?: () => Duplex }).createZstdDecompress;
  if (typeof viaZlib === 'function') return { stream: viaZlib(), kill: () => undefined };
  // Node 20 has no zstd in zlib: a local `zstd -d` process does it (in parallel, off this thread).
  const child = spawn('zstd', ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const stream = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on('error', (e) => stream.destroy(e));
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) stream.destroy(new Error(`zstd -d exited with ${code}`));
  });
  return { stream, kill: () => child.kill('SIGKILL') };
}

export async function runOwnEngine(p: OwnEngineParams): Promise<OwnEngineResult> {
  const { transport, sources } = p;
  const signal = p.signal;
  const includeTranscripts = Boolean(p.includeTranscripts);
  const configOnly = Boolean(p.configOnly);
  const warnings: string[] = [];
  p.onProgress?.({ phase: 'preparing', bytes: 0 });

  const allRoots = [sources.stateDir, sources.configPath, ...sources.workspaceDirs, ...sources.agentDirs.map((a) => a.path)];
  const probe = await probeNode(transport, configOnly ? [sources.configPath] : allRoots, signal, p.env);
  const { assets, skipped } = planAssets(sources, { configOnly, exists: (path) => probe.existing.has(path) });
  if (!assets.some((a) => a.kind === 'config' || a.kind === 'state')) {
    throw new OcmError('notFound', `Neither the state dir ${sources.stateDir} nor the config ${sources.configPath} exists on ${transport.nodeId}; check the node's state dir ("ocm add --state-dir").`, {
      nodeId: transport.nodeId,
    });
  }
  const ctx = { stateDir: sources.stateDir, includeTranscripts, protectedPaths: new Set([sources.configPath, ...assets.map((a) => a.sourcePath)]) };

  // SQLite: consistent snapshots, or refuse.
  const databases = configOnly ? [] : probe.sqlite.filter((d) => excludedReason(d.path, ctx) === undefined && assets.some((a) => isWithin(d.path, a.sourcePath)));
  let sqliteMode: OwnEngineResult['sqliteMode'] = 'none';
  const sqliteTool: OwnEngineResult['sqliteTool'] = probe.tools.has('sqlite3') ? 'sqlite3' : probe.tools.has('node-sqlite') ? 'node' : undefined;
  if (databases.length > 0) {
    if (sqliteTool) sqliteMode = 'snapshot';
    else if (p.gatewayRunning !== false) {
      throw new OcmError(
        'unsupported',
        `Node ${transport.nodeId} has live SQLite databases (${databases.map((d) => posix.basename(d.path)).slice(0, 3).join(', ')}) and neither "sqlite3" nor a Node.js with node:sqlite to copy them consistently. Install sqlite3 on the node, stop the gateway first, or use OpenClaw's own backup (--engine openclaw).`,
        { nodeId: transport.nodeId, databases: databases.map((d) => d.path) },
      );
    } else if (databases.some((d) => d.walNonEmpty)) {
      throw new OcmError(
        'unsupported',
        `SQLite database ${databases.find((d) => d.walNonEmpty)!.path} on ${transport.nodeId} has uncheckpointed changes (a non-empty -wal file) although the gateway is stopped. Start and cleanly stop the gateway, or install sqlite3 on the node, then retry.`,
        { nodeId: transport.nodeId },
      );
    } else sqliteMode = 'copy';
  }

  const zstdLocal = localZstd();
  const wire: 'zstd' | 'gzip' =
    p.compression === 'gzip' ? 'gzip' : p.compression === 'zstd' || (probe.tools.has('zstd') && zstdLocal) ? 'zstd' : 'gzip';
  if (wire === 'zstd' && !probe.tools.has('zstd')) throw new OcmError('unsupported', `Node ${transport.nodeId} has no zstd; use gzip.`);
  if (wire === 'gzip' && !probe.tools.has('gzip')) throw new OcmError('unsupported', `Node ${transport.nodeId} has neither zstd nor gzip; install one of them.`);

  // The remote script.
  const token = `.ocm-snapshot-${randomBytes(6).toString('hex')}`;
  const rel = (abs: string): string => './' + abs.replace(/^\/+/, '');
  const lines = [
    'umask 077',
    // A run killed with SIGKILL (dropped connection) cannot run its EXIT trap: remove such leftovers
    // (they may hold database snapshots) when the shell whose pid is in their name is gone.
    `for d in /tmp/ocm-backup.*; do [ -d "$d" ] && [ -O "$d" ] || continue; p=\${d#/tmp/ocm-backup.}; p=\${p%%.*}; case "$p" in ''|*[!0-9]*) continue;; esac; kill -0 "$p" 2>/dev/null || rm -rf "$d"; done`,
    'T=$(mktemp -d /tmp/ocm-backup.$$.XXXXXX) || { echo "mktemp failed" >&2; exit 90; }',
    `trap 'rm -rf "$T"' EXIT`,
    `trap 'exit 143' INT TERM HUP PIPE`,
    'mkdir "$T/snap"',
  ];
  const snapMembers: string[] = [];
  if (sqliteMode === 'snapshot') {
    databases.forEach((d, i) => {
      const snapRel = rel(d.path) + token;
      const snapshot =
        sqliteTool === 'sqlite3'
          ? `sqlite3 -cmd '.timeout 10000' ${shellQuote(d.path)} ".backup '$T/db${i}'" >/dev/null`
          : `node -e ${shellQuote(NODE_SQLITE_BACKUP)} ${shellQuote(d.path)} "$T/db${i}"`;
      lines.push(
        `${snapshot} || { echo ${shellQuote(`SQLite snapshot (${sqliteTool}) of ${d.path} failed`)} >&2; exit 91; }`,
        `mkdir -p "$T/snap/"${shellQuote(posix.dirname(snapRel))} && mv "$T/db${i}" "$T/snap/"${shellQuote(snapRel)}`,
      );
      snapMembers.push(snapRel);
    });
  }
  const excludes = configOnly ? [] : tarExcludePatterns({ stateDir: sources.stateDir, includeTranscripts, snapshotSqlite: sqliteMode === 'snapshot' });
  const tarArgs = [
    ...excludes.map((e) => `--exclude=${shellQuote(e)}`),
    ...assets.map((a) => shellQuote(rel(a.sourcePath))),
    ...(snapMembers.length ? ['-C', '"$T/snap"', ...snapMembers.map(shellQuote)] : []),
  ].join(' ');
  const compress = wire === 'zstd' ? 'zstd -q -1 -c' : 'gzip -1 -c';
  lines.push(
    'cd / || exit 93',
    `{ tar -cf - ${tarArgs}; echo $? > "$T/rc"; } | ${compress}`,
    'rc=$(cat "$T/rc" 2>/dev/null || echo 99)',
    'if [ "$rc" = 1 ]; then echo "ocm-warning: some files changed while they were read" >&2; elif [ "$rc" != 0 ]; then echo "tar failed with exit code $rc" >&2; exit 92; fi',
    'exit 0',
  );

  let exec: ExecStream | undefined;
  let decomp: ReturnType<typeof decompressor> | undefined;
  const archiveHash = createHash('sha256');
  let archiveSize = 0;
  let transferredBytes = 0;
  const entries: IndexEntry[] = [];
  const emitted = new Set<string>();
  const links: Array<{ entryPath: string; linkpath: string; sourcePath: string }> = [];

  const gzip = new ParallelGzip(p.gzipLevel ?? 1);
  const scanIn = p.scan ? new PassThrough({ highWaterMark: 1024 * 1024 }) : undefined;
  const scanDone = scanIn ? scanArchiveStream(scanIn, p.partialPath, { limits: p.scan!.limits, signal, inflateOffThread: true }) : undefined;
  scanDone?.catch(() => undefined);
  const hashOut = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      archiveHash.update(chunk);
      archiveSize += chunk.length;
      if (!scanIn || scanIn.destroyed || scanIn.write(chunk)) return cb(null, chunk);
      // The check keeps pace with the writing (memory stays bounded): wait until it takes more.
      const go = (): void => {
        scanIn.off('drain', go);
        scanIn.off('close', go);
        cb(null, chunk);
      };
      scanIn.once('drain', go);
      scanIn.once('close', go);
    },
    flush(cb) {
      scanIn?.end();
      cb();
    },
  });
  const file = createWriteStream(p.partialPath, { flags: 'w', mode: 0o600 });
  const outputDone = pipeline(gzip, hashOut, file);
  outputDone.catch(() => undefined);
  const writer = new TarWriter(gzip);
  const payloadRoot = `${p.archiveRoot}/payload/posix`;

  const abortError = (): OcmError => new OcmError('cancelled', `Backup of ${transport.nodeId} was cancelled; no archive was kept.`, { nodeId: transport.nodeId });

  try {
    if (signal?.aborted) throw abortError();
    exec = await transport.execStream(lines.join('\n'), { signal, timeoutMs: p.timeoutMs ?? 6 * 3600_000, ...(p.env ? { env: p.env } : {}) });
    const remote = exec;
    decomp = decompressor(wire);
    const parser = new (tar().Parser)({ strict: true, maxDecompressionRatio: 100_000 });

    let chain: Promise<void> = Promise.resolve();
    const processEntry = async (entry: ReadEntry): Promise<void> => {
      let name = entry.path.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
      if (name === '' || name === '.') return void entry.resume();
      const checked = checkArchivePath(name);
      if (!checked.ok) throw new OcmError('failed', `The node sent an unsafe path "${entry.path}" (${checked.reason}); backup aborted.`, { nodeId: transport.nodeId, entry: entry.path });
      if (name.endsWith(token)) name = name.slice(0, -token.length);
      const sourcePath = '/' + name;
      const type = entry.type;
      const mode = (entry.mode ?? 0o600) & 0o7777;
      const mtime = entry.mtime ?? new Date(0);
      const archiveName = `${payloadRoot}/${name}`;
      const reason = excludedReason(sourcePath, ctx);
      const isRawSqlite = sqliteMode === 'snapshot' && sourcePath.endsWith('.sqlite') && !entry.path.endsWith(token);
      if (reason !== undefined || isRawSqlite || emitted.has(sourcePath)) return void entry.resume();
      if (type === 'Directory') {
        emitted.add(sourcePath);
        await writer.writeHeader({ path: archiveName + '/', type: 'Directory', size: 0, mode, mtime });
        entries.push({ path: sourcePath, type: 'directory', size: 0, mode });
        return void entry.resume();
      }
      if (type === 'SymbolicLink') {
        const linkpath = entry.linkpath ?? '';
        if (!linkpath.startsWith('/')) {
          const target = posix.normalize(posix.join(posix.dirname(`payload/posix/${name}`), linkpath));
          if (!target.startsWith('payload/posix/')) {
            warnings.push(`skipped symbolic link ${sourcePath} -> ${linkpath}: its relative target leaves the backed-up tree`);
            skipped.push({ kind: 'link', sourcePath, reason: 'unsafe-link' });
            return void entry.resume();
          }
        }
        emitted.add(sourcePath);
        await writer.writeHeader({ path: archiveName, type: 'SymbolicLink', size: 0, mode, mtime, linkpath });
        entries.push({ path: sourcePath, type: 'symlink', size: 0, mode, linkTarget: linkpath });
        links.push({ entryPath: archiveName, linkpath, sourcePath });
        return void entry.resume();
      }
      if (type === 'Link') {
        const targetName = (entry.linkpath ?? '').replace(/^(\.\/)+/, '');
        const target = entries.find((e) => e.path === '/' + targetName && e.type === 'file');
        if (!target) {
          warnings.push(`skipped hard link ${sourcePath}: its target ${targetName} is not in the backup`);
          return void entry.resume();
        }
        emitted.add(sourcePath);
        await writer.writeHeader({ path: archiveName, type: 'Link', size: 0, mode, mtime, linkpath: `${payloadRoot}/${targetName}` });
        entries.push({ path: sourcePath, type: 'hardlink', size: target.size, mode, sha256: target.sha256!, linkTarget: target.path });
        return void entry.resume();
      }
      if (type !== 'File' && type !== 'OldFile' && type !== 'ContiguousFile') {
        warnings.push(`skipped ${sourcePath}: ${type} entries are not backed up`);
        return void entry.resume();
      }
      emitted.add(sourcePath);
      const size = entry.size ?? 0;
      await writer.writeHeader({ path: archiveName, type: 'File', size, mode, mtime });
      const hash = createHash('sha256');
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        hash.update(chunk);
        await writer.writeData(chunk);
      }
      await writer.endEntry();
      entries.push({ path: sourcePath, type: 'file', size, mode, sha256: hash.digest('hex') });
    };

    const parsed = new Promise<void>((resolve, reject) => {
      parser.on('entry', (entry: ReadEntry) => {
        chain = chain.then(() => processEntry(entry));
        chain.catch((e: unknown) => {
          entry.resume();
          reject(e);
        });
      });
      parser.on('warn', (code: string, message: string | Error) => reject(new OcmError('failed', `The backup stream from ${transport.nodeId} is damaged (${code}: ${String(message instanceof Error ? message.message : message)}).`)));
      parser.on('error', (e: Error) => reject(new OcmError('failed', `The backup stream from ${transport.nodeId} is damaged (${e.message}).`)));
      parser.on('end', () => chain.then(resolve, reject));
    });
    parsed.catch(() => undefined);

    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        transferredBytes += chunk.length;
        p.onProgress?.({ phase: 'transferring', bytes: transferredBytes });
        cb(null, chunk);
      },
    });
    const inputFailed = new Promise<never>((_, reject) => {
      const onErr = (e: Error): void => reject(e instanceof OcmError ? e : new OcmError('disconnected', `The backup stream from ${transport.nodeId} broke: ${e.message}`, { nodeId: transport.nodeId }));
      remote.stdout.on('error', onErr);
      counter.on('error', onErr);
      decomp!.stream.on('error', (e: Error) => reject(new OcmError('failed', `The backup stream from ${transport.nodeId} could not be decompressed (${e.message}).`)));
      signal?.addEventListener('abort', () => reject(abortError()), { once: true });
    });
    inputFailed.catch(() => undefined);
    remote.stdout.pipe(counter).pipe(decomp.stream);
    decomp.stream.pipe(parser as unknown as NodeJS.WritableStream);

    await Promise.race([parsed, inputFailed]);
    const status = await Promise.race([remote.done, inputFailed]);
    if (status.exitCode !== 0) throw remoteFailure(transport.nodeId, status);
    for (const l of status.stderr.split('\n')) if (l.startsWith('ocm-warning: ')) warnings.push(l.slice('ocm-warning: '.length));
    if (signal?.aborted) throw abortError();

    const stateAsset = assets.find((a) => a.kind === 'state');
    const manifest: OpenClawManifest = {
      schemaVersion: 1,
      createdAt: p.createdAt.toISOString(),
      archiveRoot: p.archiveRoot,
      runtimeVersion: p.openclawVersion ?? 'unknown',
      platform: probe.platform,
      nodeVersion: 'unknown',
      options: { includeWorkspace: true, onlyConfig: configOnly, includeTranscripts, engine: 'ocm', sqlite: sqliteMode, ...(sqliteMode === 'snapshot' ? { sqliteTool } : {}) },
      paths: {
        ...(configOnly ? {} : { stateDir: sources.stateDir }),
        configPath: sources.configPath,
        ...(configOnly ? {} : { oauthDir: posix.join(sources.stateDir, 'credentials') }),
        workspaceDirs: configOnly ? [] : [...sources.workspaceDirs],
        agentRoots: configOnly ? [] : sources.agentDirs.map((a) => ({ agentId: a.agentId, sourcePath: a.path })),
      },
      assets: assets.map((a) => ({ kind: a.kind, sourcePath: a.sourcePath, archivePath: archivePathFor(p.archiveRoot, a.sourcePath) })),
      skipped,
      externalSymbolicLinks: links
        .filter((l) => isExternal(l, stateAsset?.sourcePath))
        .map((l) => ({ entryPath: l.entryPath, linkpath: l.linkpath })),
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
    await writer.writeFile(`${p.archiveRoot}/manifest.json`, manifestBytes, 0o600, p.createdAt);
    await writer.finish();
    gzip.end();
    await outputDone;
    p.onProgress?.({ phase: 'verifying', bytes: transferredBytes });
    const scan = scanDone ? await scanDone : undefined;
    return {
      entries,
      manifest,
      archiveSha256: archiveHash.digest('hex'),
      archiveSize,
      transferredBytes,
      warnings,
      compression: wire,
      sqliteMode,
      ...(sqliteTool ? { sqliteTool } : {}),
      ...(scan ? { scan } : {}),
    };
  } catch (e) {
    // A broken stream is often only the symptom: prefer the node's own error when it has one.
    const status = exec ? await Promise.race([exec.done.catch(() => undefined), new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000).unref())]) : undefined;
    exec?.cancel();
    decomp?.kill();
    gzip.destroy();
    file.destroy();
    scanIn?.destroy(new Error('the backup stopped'));
    if (signal?.aborted) throw abortError();
    if (status && status.exitCode !== 0 && status.exitCode !== null && !(e instanceof OcmError && /failed \(exit/.test(e.message))) throw remoteFailure(transport.nodeId, status);
    throw e;
  }
}

function remoteFailure(nodeId: string, status: { exitCode: number | null; signal?: string; stderr: string }): OcmError {
  const message = status.stderr.trim().split('\n').filter((l) => !l.startsWith('ocm-warning')).join(' ').slice(0, 500);
  return new OcmError('failed', `The backup command on ${nodeId} failed (exit ${status.exitCode ?? status.signal}): ${message || 'no message'}.`, { nodeId, exitCode: status.exitCode });
}

function isExternal(link: { linkpath: string; sourcePath: string }, stateDir: string | undefined): boolean {
  if (!stateDir) return link.linkpath.startsWith('/');
  const target = link.linkpath.startsWith('/') ? posix.normalize(link.linkpath) : posix.normalize(posix.join(posix.dirname(link.sourcePath), link.linkpath));
  return !isWithin(target, stateDir);
}
