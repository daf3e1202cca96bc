import { randomBytes } from 'node:crypto';
import type { ReadEntry } from 'tar';
import { OcmError } from '../errors';
import { checkArchivePath } from '../backup/archive-scan';
import { byteTap } from '../backup/byte-tap';
import { decompressor, localZstd, NODE_SQLITE_BACKUP } from '../backup/node-stream';
import { shellQuote } from '../transport/shell-quote';
import type { ExecStream, Transport } from '../transport/types';
import { tar } from '../vendor';
import type { CapturePlan } from './capture-plan';
import type { SnapshotEntry } from './format';
import { FILE_CHUNKER, SQLITE_CHUNKER } from './chunker';
import { ingestDelta, ingestTail, NODE_DELTAS, type DeltaInput, type TailRequest } from './deltas';
import { ingestFile } from './ingest';
import type { NodeListing } from './listing';
import type { WriteSession } from './object-store';

/**
 * The second (and last) exec of a snapshot: one tar stream of exactly the new and changed files
 * (their names sent on stdin, NUL-separated), plus consistent snapshots of changed databases,
 * zstd on the wire when both sides can. Each file is hashed, chunked and stored as it arrives.
 */

export interface StreamResult {
  entries: SnapshotEntry[];
  transferredBytes: number;
  warnings: string[];
}

export async function streamChanged(
  transport: Transport,
  listing: NodeListing,
  plan: CapturePlan,
  session: WriteSession,
  options: { signal?: AbortSignal; env?: Record<string, string>; onBytes?: (n: number) => void },
): Promise<StreamResult> {
  const token = `.ocm-snapshot-${randomBytes(6).toString('hex')}`;
  const wire: 'zstd' | 'gzip' | 'none' = listing.tools.has('zstd') && localZstd() ? 'zstd' : listing.tools.has('gzip') ? 'gzip' : 'none';
  // Where the node has Node.js, databases with a parent copy send only their changed blocks and
  // grown files only what follows their unchanged start (see deltas.ts).
  const onNode = listing.tools.has('node');
  const deltas = onNode ? plan.databases.flatMap((d, i) => (d.known ? [i] : [])) : [];
  const tails: TailRequest[] = onNode ? [...plan.grown].map(([path, segs]) => ({ path, segs })) : [];
  const tailed = new Set(tails.map((t) => t.path));
  const nodeSide = deltas.length > 0 || tails.length > 0;
  const names = [...plan.wanted.keys()].filter((p) => !tailed.has(p)).map((p) => '.' + p);
  // GNU tar and bsdtar read a NUL-separated list; BusyBox tar reads one name per line.
  const nul = listing.gnuTar || listing.platform === 'darwin';
  const ignore = listing.gnuTar ? '--ignore-failed-read ' : '';
  const listArgs = nul ? '--no-recursion --null -T "$T/list"' : '-T "$T/list"';
  const lines = [
    'umask 077',
    ...scratchDir(plan.databases.reduce((n, d) => n + d.listed.size, 0)),
    `trap 'rm -rf "$T"' EXIT`,
    `trap 'exit 143' INT TERM HUP PIPE`,
    nodeSide ? 'cat > "$T/in" || exit 94' : 'cat > "$T/list" || exit 94',
  ];
  const dbFile = (i: number): string => `$T/db${i}${token}`;
  plan.databases.forEach((d, i) => {
    // A backup must not write to the node's databases. With a -wal file, the copy's connection may
    // be the last one, and a read-write last connection checkpoints the WAL into the database on
    // close: open read-only then. Without one, read-write: a read-only connection would create and
    // leave behind -wal/-shm files, where a read-write one removes those it made when it closes.
    const snap =
      plan.sqliteTool === 'sqlite3'
        ? `sqlite3${d.wal ? ' -readonly' : ''} -cmd '.timeout 10000' ${shellQuote(d.listed.path)} ".backup '${dbFile(i)}'" >/dev/null`
        : `node -e ${shellQuote(NODE_SQLITE_BACKUP)} ${shellQuote(d.listed.path)} "${dbFile(i)}"${d.wal ? ' ro' : ''}`;
    lines.push(`${snap} || { echo ${shellQuote(`SQLite snapshot (${plan.sqliteTool}) of ${d.listed.path} failed`)} >&2; exit 91; }`);
  });
  if (nodeSide) {
    const args = deltas.map((i, k) => ` "${dbFile(i)}" ${k}`).join('');
    lines.push(
      `node -e ${shellQuote(NODE_DELTAS)} "$T/in" "$T/list" ${shellQuote(token)}${args} || { echo 'Computing the changed parts of large files failed' >&2; exit 95; }`,
    );
  }
  plan.databases.forEach((_, i) => {
    const name = `${dbFile(i)}${deltas.includes(i) ? '.delta' : ''}`;
    lines.push(nul ? `printf '%s\\0' "${name}" >> "$T/list"` : `printf '%s\\n' "${name}" >> "$T/list"`);
  });
  const compress = wire === 'zstd' ? ' | zstd -q -1 -c' : wire === 'gzip' ? ' | gzip -1 -c' : '';
  lines.push(
    'cd / || exit 93',
    `{ tar -cf - ${ignore}${listArgs}; echo $? > "$T/rc"; }${compress}`,
    'rc=$(cat "$T/rc" 2>/dev/null || echo 99)',
    'if [ "$rc" = 1 ]; then echo "ocm-warning: some files changed while they were read" >&2; elif [ "$rc" != 0 ]; then echo "tar failed with exit code $rc" >&2; exit 92; fi',
    'exit 0',
  );
  const list = Buffer.from(names.map((n) => n + (nul ? '\0' : '\n')).join(''));
  const input: DeltaInput = { known: deltas.map((i) => plan.databases[i]!.known!), tails, sep: nul ? '\0' : '\n' };
  const stdin = nodeSide ? Buffer.concat([Buffer.from(JSON.stringify(input) + '\n'), list]) : list;
  const dbByIndex = plan.databases;
  const entries: SnapshotEntry[] = [];
  const warnings: string[] = [];
  let transferred = 0;
  let exec: ExecStream | undefined;
  let decomp: ReturnType<typeof decompressor> | undefined;
  const cancelled = (): OcmError =>
    new OcmError('cancelled', `Backup of ${transport.nodeId} was cancelled; no snapshot was kept.`, { nodeId: transport.nodeId });
  try {
    exec = await transport.execStream(lines.join('\n'), {
      stdin,
      signal: options.signal,
      timeoutMs: 6 * 3600_000,
      ...(options.env ? { env: options.env } : {}),
    });
    const remote = exec;
    const parser = new (tar().Parser)({ strict: true, maxDecompressionRatio: 100_000 });
    let chain: Promise<void> = Promise.resolve();
    const onEntry = async (entry: ReadEntry): Promise<void> => {
      const name = entry.path.replace(/^(\.\/)+/, '');
      if (!checkArchivePath(name).ok)
        throw new OcmError('failed', `The node sent an unsafe path "${entry.path}"; backup aborted.`, { nodeId: transport.nodeId });
      let path = '/' + name;
      let listed = plan.wanted.get(path);
      let captured: string | undefined;
      let stamp: string | undefined;
      let known: string[] | undefined;
      let tail: TailRequest | undefined;
      const t = name.endsWith(`${token}.tail`) ? /\/t(\d+)\.ocm-snapshot-[0-9a-f]+\.tail$/.exec(path) : null;
      if (t) {
        tail = tails[Number(t[1])];
        if (!tail) return void entry.resume();
        path = tail.path;
        listed = plan.wanted.get(path);
      } else if (name.endsWith(token) || name.endsWith(`${token}.delta`)) {
        const m = /\/db(\d+)\.ocm-snapshot-[0-9a-f]+(\.delta)?$/.exec(path);
        const db = m ? dbByIndex[Number(m[1])] : undefined;
        if (!db || (m![2] !== undefined) !== deltas.includes(Number(m![1]))) return void entry.resume();
        if (m![2]) known = db.known;
        path = db.listed.path;
        listed = db.listed;
        captured = `sqlite-backup:${plan.sqliteTool}`;
        stamp = db.stamp;
      }
      if (!listed || (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile')) return void entry.resume();
      const data = entry as AsyncIterable<Buffer>;
      const { size, ...content } = tail
        ? await ingestTail(
            session,
            data,
            tail.segs.map(([, id]) => id),
            tail.segs.reduce((n, [len]) => n + len, 0),
          )
        : known
          ? await ingestDelta(session, data, known)
          : { size: entry.size ?? 0, ...(await ingestFile(session, data, entry.size ?? 0, path.endsWith('.sqlite') ? SQLITE_CHUNKER : FILE_CHUNKER)) };
      plan.wanted.delete(path);
      entries.push({
        path,
        type: 'file',
        size,
        mode: listed.mode & 0o7777,
        mtimeNs: listed.mtimeNs,
        ctimeNs: listed.ctimeNs,
        ino: listed.ino,
        stamp: stamp ?? `${listed.size}:${listed.mtimeNs}:${listed.ctimeNs}:${listed.ino}`,
        ...content,
        ...(captured ? { captured } : {}),
      });
    };
    const parsed = new Promise<void>((resolve, reject) => {
      parser.on('entry', (entry: ReadEntry) => {
        chain = chain.then(() => onEntry(entry));
        chain.catch((e: unknown) => {
          entry.resume();
          reject(e);
        });
      });
      parser.on('warn', (code: string, message: string | Error) =>
        reject(
          new OcmError(
            'failed',
            `The backup stream from ${transport.nodeId} is damaged (${code}: ${String(message instanceof Error ? message.message : message)}).`,
          ),
        ),
      );
      parser.on('error', (e: Error) => reject(new OcmError('failed', `The backup stream from ${transport.nodeId} is damaged (${e.message}).`)));
      parser.on('end', () => chain.then(resolve, reject));
    });
    parsed.catch(() => undefined);
    const tap = byteTap({ onBytes: (n) => ((transferred = n), options.onBytes?.(n)) });
    const counter = tap.stream;
    const failed = new Promise<never>((_, reject) => {
      const onErr = (e: Error): void =>
        reject(
          e instanceof OcmError
            ? e
            : new OcmError('disconnected', `The backup stream from ${transport.nodeId} broke: ${e.message}`, { nodeId: transport.nodeId }),
        );
      remote.stdout.on('error', onErr);
      counter.on('error', onErr);
      options.signal?.addEventListener('abort', () => reject(cancelled()), { once: true });
    });
    failed.catch(() => undefined);
    remote.stdout.pipe(counter);
    if (wire === 'none') counter.pipe(parser as unknown as NodeJS.WritableStream);
    else {
      decomp = decompressor(wire);
      decomp.stream.on('error', (e: Error) => parser.emit('error', new Error(`could not decompress: ${e.message}`)));
      counter.pipe(decomp.stream).pipe(parser as unknown as NodeJS.WritableStream);
    }
    await Promise.race([parsed, failed]);
    const status = await Promise.race([remote.done, failed]);
    if (status.exitCode !== 0) throw remoteFailure(transport.nodeId, status);
    for (const l of status.stderr.split('\n')) if (l.startsWith('ocm-warning: ')) warnings.push(l.slice('ocm-warning: '.length));
    for (const missing of plan.wanted.keys()) warnings.push(`${missing} vanished or could not be read while the backup ran; it is not in this snapshot`);
    if (options.signal?.aborted) throw cancelled();
    return { entries, transferredBytes: transferred, warnings };
  } catch (e) {
    const status = exec
      ? await Promise.race([exec.done.catch(() => undefined), new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000).unref())])
      : undefined;
    exec?.cancel();
    decomp?.kill();
    if (options.signal?.aborted) throw cancelled();
    if (status && status.exitCode !== 0 && status.exitCode !== null && !(e instanceof OcmError && /failed \(exit/.test(e.message)))
      throw remoteFailure(transport.nodeId, status);
    throw e;
  }
}

/**
 * Shell lines that make `$T`, the capture's scratch folder. Consistent database copies go to RAM
 * (`/dev/shm`, a tmpfs on Linux) when it has ample room: a copy written to a disk-backed /tmp
 * costs its write and SQLite's fsyncs — for a 50 MB database 0.21 s there against 0.06 s in
 * /dev/shm, most of a daily snapshot's time. "Ample" is four times the copy and its delta, so a
 * backup never crowds the node's shared memory; else, and where there is no /dev/shm, /tmp.
 */
export function scratchDir(databaseBytes: number): string[] {
  const make = 'mktemp -d /tmp/ocm-backup.$$.XXXXXX';
  if (databaseBytes <= 0) return [`T=$(${make}) || { echo "mktemp failed" >&2; exit 90; }`];
  const needKb = Math.ceil((databaseBytes * 2 * 4) / 1024) + 64 * 1024;
  return [
    `shm=$(df -Pk /dev/shm 2>/dev/null | awk 'NR==2{print $4}')`,
    `T=; case "$shm" in ''|*[!0-9]*) ;; *) [ "$shm" -gt ${needKb} ] && T=$(mktemp -d /dev/shm/ocm-backup.$$.XXXXXX 2>/dev/null) ;; esac`,
    `[ -n "$T" ] || T=$(${make}) || { echo "mktemp failed" >&2; exit 90; }`,
  ];
}

function remoteFailure(nodeId: string, status: { exitCode: number | null; signal?: string; stderr: string }): OcmError {
  const message = status.stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('ocm-warning'))
    .join(' ')
    .slice(0, 500);
  return new OcmError('failed', `The backup command on ${nodeId} failed (exit ${status.exitCode ?? status.signal}): ${message || 'no message'}.`, {
    nodeId,
    exitCode: status.exitCode,
  });
}
