import type { ReadEntry } from 'tar';
import { OcmError } from '../errors';
import { checkArchivePath } from '../backup/archive-scan';
import { byteTap } from '../backup/byte-tap';
import { decompressor } from '../backup/node-stream';
import type { ExecStream, Transport } from '../transport/types';
import { tar } from '../vendor';
import type { CapturePlan } from './capture-plan';
import type { SnapshotEntry } from './format';
import { FILE_CHUNKER, SQLITE_CHUNKER } from './chunker';
import { captureScript } from './capture-script';
import { ingestDelta, ingestTail, type TailRequest } from './deltas';
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
  options: {
    signal?: AbortSignal;
    env?: Record<string, string>;
    onBytes?: (n: number) => void;
    /** Runs once the node has its input: client work that can wait for the node (it overlaps it). */
    meanwhile?: () => void;
  },
): Promise<StreamResult> {
  const { script, stdin, token, deltas, tails, wire } = captureScript(listing, plan);
  const dbByIndex = plan.databases;
  const entries: SnapshotEntry[] = [];
  const warnings: string[] = [];
  let transferred = 0;
  let exec: ExecStream | undefined;
  let decomp: ReturnType<typeof decompressor> | undefined;
  const cancelled = (): OcmError =>
    new OcmError('cancelled', `Backup of ${transport.nodeId} was cancelled; no snapshot was kept.`, { nodeId: transport.nodeId });
  try {
    exec = await transport.execStream(script, {
      stdin,
      signal: options.signal,
      timeoutMs: 6 * 3600_000,
      ...(options.env ? { env: options.env } : {}),
    });
    const remote = exec;
    options.meanwhile?.();
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
