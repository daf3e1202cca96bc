import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import { Duplex } from 'node:stream';
import * as zlib from 'node:zlib';

/**
 * What the client needs to read a backup stream from a node: the consistent-SQLite commands a
 * node may run (node:sqlite where the node has no sqlite3 CLI), and the decompressor for the
 * wire (zstd through Node's zlib where it has it, else a local `zstd -d`, else gzip).
 */

export const NODE_SQLITE_CHECK = `node -e "process.exit(typeof require('node:sqlite').backup === 'function' ? 0 : 1)" >/dev/null 2>&1`;
/**
 * `node <this> SRC DEST [ro]`: SQLite's online backup API through Node's built-in node:sqlite;
 * `ro` opens the source read-only (when it has a -wal: see capture-stream.ts).
 */
export const NODE_SQLITE_BACKUP =
  "const s=require('node:sqlite');const db=new s.DatabaseSync(process.argv[1],{readOnly:process.argv[3]==='ro'});s.backup(db,process.argv[2]).then(()=>db.close(),(e)=>{console.error(e.message);process.exit(1)})";

/** Can this client decompress zstd (Node ≥ 22.15 zlib, or a local `zstd` binary)? */
export function localZstd(): 'zlib' | 'binary' | undefined {
  if (typeof (zlib as unknown as { createZstdDecompress?: unknown }).createZstdDecompress === 'function') return 'zlib';
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  return dirs.some((dir) => existsSync(posix.join(dir, 'zstd'))) ? 'binary' : undefined;
}

/**
 * Output pieces of 256 KiB instead of zlib's 16 KiB: a 211 MB first snapshot otherwise meant
 * 13,000 callbacks and buffers through the tar parser (on Node 24 ~0.8 s of the main thread's
 * time in zlib's callbacks, and more garbage collection).
 */
const WIRE_CHUNK = 256 * 1024;

export function decompressor(kind: 'zstd' | 'gzip'): { stream: Duplex; kill: () => void } {
  if (kind === 'gzip') return { stream: zlib.createGunzip({ chunkSize: WIRE_CHUNK }), kill: () => undefined };
  const viaZlib = (zlib as unknown as { createZstdDecompress?: (o: object) => Duplex }).createZstdDecompress;
  if (typeof viaZlib === 'function') return { stream: viaZlib({ chunkSize: WIRE_CHUNK }), kill: () => undefined };
  // Node 20 has no zstd in zlib: a local `zstd -d` process does it (in parallel, off this thread).
  const child = spawn('zstd', ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const stream = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on('error', (e) => stream.destroy(e));
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) stream.destroy(new Error(`zstd -d exited with ${code}`));
  });
  return { stream, kill: () => child.kill('SIGKILL') };
}
