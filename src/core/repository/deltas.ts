import { createHash } from 'node:crypto';
import { OcmError } from '../errors';
import { Chunker, FILE_CHUNKER, SQLITE_CHUNKER } from './chunker';
import type { WriteSession } from './object-store';

/**
 * Only what changed inside a file crosses the wire, for the two kinds of large file that change a
 * little every day. Both are computed on the node by Node.js (every OpenClaw node has one; where
 * it is missing, or on --full-rescan, whole files cross as before):
 *
 * - **Databases** are stored in fixed 64 KiB chunks (page-aligned, see SQLITE_CHUNKER), so a
 *   chunk's id is the sha256 of one 64 KiB block. The client sends the parent copy's block ids; the
 *   node hashes each block of the fresh consistent copy and writes a delta: a header, every block's
 *   id, then only the blocks the client does not have. A 50 MB database whose pages change 2 % a
 *   day moves ~1 MB instead of 50.
 * - **Grown files** (transcripts, logs: appended to) are stored in content-defined chunks. The
 *   client sends the parent's chunks but the last (lengths and ids); when the node's file still
 *   starts with exactly those bytes, only the rest crosses, and the client chunks it from the old
 *   cut point (FastCDC restarts at every cut, so the cuts are the ones a full read would give).
 *   Otherwise the whole file goes into the tar stream as usual.
 *
 * Database delta (one file in the capture's tar stream):
 *   `OCMDELTA1 {"size":N,"sha256":"…","blockSize":65536,"blocks":K}\n`
 *   K × 32 bytes: each block's sha256, in file order
 *   the bytes of each block whose id is neither known to the client nor sent earlier in this delta
 * Tail of a grown file:
 *   `OCMTAIL1 {"size":N,"offset":X}\n`, the file's bytes X..N, then the sha256 of bytes 0..N (64 hex)
 */

export const DELTA_BLOCK = SQLITE_CHUNKER.avgSize;
const MAGIC = 'OCMDELTA1 ';
const TAIL_MAGIC = 'OCMTAIL1 ';

/** A grown file the node may send from `offset` on: the parent's leading chunks as [length, id]. */
export interface TailRequest {
  path: string;
  segs: Array<[number, string]>;
}

/** What the node-side script reads first from its input file (then the tar name list follows). */
export interface DeltaInput {
  /** Per database delta: the block ids the client has. */
  known: string[][];
  tails: TailRequest[];
  /** The tar list's separator. */
  sep: '\0' | '\n';
}

/**
 * `node -e <this> IN TOKEN [DB KNOWN-INDEX]...` on the node, its stdout feeding `tar -T -`. IN
 * holds a JSON line (DeltaInput) then the tar name list. The script writes that list to stdout at
 * once (tar streams the plain files meanwhile), then per tail request either its tail file
 * (`$T/t<k><TOKEN>.tail`) or the file itself (`./path`, when its start changed), then per
 * database its delta at DB + ".delta". Each DB is a consistent copy that a job started beside this
 * script is still making: the script waits for DB + ".rc" (the copy's exit status, written last)
 * and leaves out a database whose copy failed (the shell reports that). Plain CommonJS, no
 * dependency: runs on any Node the node has.
 */
export const NODE_DELTAS = [
  "const fs=require('fs'),c=require('crypto'),P=require('path');const a=process.argv.slice(1);const T=P.dirname(a[0]);",
  'const inp=fs.readFileSync(a[0]);const nl=inp.indexOf(10);const hdr=JSON.parse(inp.subarray(0,nl).toString());',
  "const H=(b)=>c.createHash('sha256').update(b).digest('hex');const Z=new Int32Array(new SharedArrayBuffer(4));",
  // Blocking writes of whole buffers to tar's name pipe (EAGAIN only if someone made it non-blocking).
  "const W=(b)=>{if(typeof b==='string')b=Buffer.from(b);let o=0;while(o<b.length){try{o+=fs.writeSync(1,b,o)}catch(e){if(e.code!=='EAGAIN')throw e;Atomics.wait(Z,0,0,2)}}};",
  'W(inp.subarray(nl+1));',
  // Tails: the start must be the parent's chunks, byte for byte; then bytes X..N and the whole hash.
  "hdr.tails.forEach((t,k)=>{let fd=-1,out=-1,name;const o=T+'/t'+k+a[1]+'.tail';try{fd=fs.openSync(t.path,'r');const size=fs.fstatSync(fd).size;const w=c.createHash('sha256');let off=0;",
  'for(const [len,id] of t.segs){if(off+len>size)throw 0;const b=Buffer.alloc(len);if(fs.readSync(fd,b,0,len,off)!==len)throw 0;if(H(b)!==id)throw 0;w.update(b);off+=len}',
  "out=fs.openSync(o,'w');fs.writeSync(out,'" + TAIL_MAGIC + "'+JSON.stringify({size,offset:off})+'\\n');const buf=Buffer.alloc(1<<20);",
  'while(off<size){const n=fs.readSync(fd,buf,0,Math.min(buf.length,size-off),off);if(n<=0)throw 0;w.update(buf.subarray(0,n));fs.writeSync(out,buf,0,n);off+=n}',
  "fs.writeSync(out,w.digest('hex'));name=o}catch(e){if(out>=0)try{fs.unlinkSync(o)}catch{}name='.'+t.path}finally{if(fd>=0)fs.closeSync(fd);if(out>=0)fs.closeSync(out)}W(name+hdr.sep)});",
  `const B=${DELTA_BLOCK};`,
  'for(let i=2;i+1<a.length;i+=2){const src=a[i];const known=new Set(hdr.known[Number(a[i+1])]);',
  // The copy's status file; gone $T means the capture was killed: stop too.
  "while(!fs.existsSync(src+'.rc')){if(!fs.existsSync(T))process.exit(97);Atomics.wait(Z,0,0,1)}if(fs.readFileSync(src+'.rc','utf8').trim()!=='0')continue;",
  "const fd=fs.openSync(src,'r');const size=fs.fstatSync(fd).size;const k=Math.ceil(size/B);const ids=Buffer.alloc(k*32);const buf=Buffer.alloc(B);const send=[];",
  "for(let b=0;b<k;b++){const n=fs.readSync(fd,buf,0,B,b*B);const h=c.createHash('sha256').update(buf.subarray(0,n)).digest();h.copy(ids,b*32);const x=h.toString('hex');if(!known.has(x)){known.add(x);send.push(b)}}",
  // The whole copy's hash: from the openssl the copy job ran beside this loop (.sum, renamed into
  // place), else (no openssl on the node, or it failed) read again here.
  "while(!fs.existsSync(src+'.sum')){if(!fs.existsSync(T))process.exit(97);Atomics.wait(Z,0,0,1)}let whole=(/^([0-9a-f]{64})\\s/.exec(fs.readFileSync(src+'.sum','utf8'))||[])[1];",
  "if(!whole){const w=c.createHash('sha256');for(let b=0;b<k;b++){const n=fs.readSync(fd,buf,0,B,b*B);w.update(buf.subarray(0,n))}whole=w.digest('hex')}",
  `const out=fs.openSync(src+'.delta','w');fs.writeSync(out,'${MAGIC}'+JSON.stringify({size,sha256:whole,blockSize:B,blocks:k})+'\\n');fs.writeSync(out,ids);`,
  'for(const b of send){const n=fs.readSync(fd,buf,0,B,b*B);fs.writeSync(out,buf,0,n)}',
  "fs.closeSync(out);fs.closeSync(fd);fs.unlinkSync(src);W(src+'.delta'+hdr.sep)}",
].join('');

/** Pulls exact byte counts out of a stream of buffers. */
class ByteReader {
  private readonly it: AsyncIterator<Buffer>;
  private pending: Buffer = Buffer.alloc(0);

  constructor(data: AsyncIterable<Buffer>) {
    this.it = data[Symbol.asyncIterator]();
  }

  async take(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      if (this.pending.length === 0) {
        const next = await this.it.next();
        if (next.done) throw new OcmError('failed', 'A database delta from the node ended early; the backup stream is damaged.');
        this.pending = next.value;
        continue;
      }
      const part = this.pending.subarray(0, n - have);
      this.pending = this.pending.subarray(part.length);
      parts.push(part);
      have += part.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Up to and including the next `\n` (at most `max` bytes). */
  async line(max: number): Promise<string> {
    const parts: Buffer[] = [];
    let have = 0;
    for (;;) {
      if (this.pending.length === 0) {
        const next = await this.it.next();
        if (next.done) throw new OcmError('failed', 'A database delta from the node ended early; the backup stream is damaged.');
        this.pending = next.value;
      }
      const at = this.pending.indexOf(10);
      const end = at < 0 ? this.pending.length : at + 1;
      parts.push(this.pending.subarray(0, end));
      this.pending = this.pending.subarray(end);
      have += end;
      if (at >= 0) return Buffer.concat(parts).toString('utf8');
      if (have > max) throw new OcmError('failed', 'A database delta from the node has no header; the backup stream is damaged.');
    }
  }

  async drain(): Promise<number> {
    let extra = this.pending.length;
    for (let next = await this.it.next(); !next.done; next = await this.it.next()) extra += next.value.length;
    return extra;
  }
}

interface DeltaHeader {
  size: number;
  sha256: string;
  blockSize: number;
  blocks: number;
}

function parseHeader(line: string): DeltaHeader {
  const damaged = (): OcmError => new OcmError('failed', 'A database delta from the node has a damaged header; the backup stream is damaged.');
  if (!line.startsWith(MAGIC)) throw damaged();
  let h: Partial<DeltaHeader>;
  try {
    h = JSON.parse(line.slice(MAGIC.length)) as Partial<DeltaHeader>;
  } catch {
    throw damaged();
  }
  const ok =
    Number.isSafeInteger(h.size) &&
    h.size! >= 0 &&
    h.blockSize === DELTA_BLOCK &&
    h.blocks === Math.ceil(h.size! / DELTA_BLOCK) &&
    typeof h.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(h.sha256);
  if (!ok) throw damaged();
  return h as DeltaHeader;
}

/**
 * Reads one delta from the capture stream into the repository: every block the node sent is
 * checked against its id and stored; blocks the client said it had must be in the store. Returns
 * the entry's content the same way ingestFile does (whole-file sha256 and chunk ids).
 */
export async function ingestDelta(
  session: WriteSession,
  data: AsyncIterable<Buffer>,
  known: readonly string[],
): Promise<{ size: number; sha256: string; chunks?: string[] }> {
  const reader = new ByteReader(data);
  const header = parseHeader(await reader.line(4096));
  const ids = await reader.take(header.blocks * 32);
  const have = new Set(known);
  const chunks: string[] = [];
  for (let b = 0; b < header.blocks; b++) {
    const id = ids.subarray(b * 32, b * 32 + 32).toString('hex');
    chunks.push(id);
    if (have.has(id)) {
      if (!session.has(id))
        throw new OcmError(
          'failed',
          `A database block the node did not send (${id.slice(0, 12)}…) is missing from the repository; run "ocm check", then back up with --full-rescan.`,
        );
      continue;
    }
    const length = Math.min(DELTA_BLOCK, header.size - b * DELTA_BLOCK);
    const block = await reader.take(length);
    if (createHash('sha256').update(block).digest('hex') !== id)
      throw new OcmError('failed', 'A database block from the node does not match its checksum; the backup stream is damaged.');
    await session.putWithId(id, block);
    have.add(id);
  }
  if ((await reader.drain()) !== 0) throw new OcmError('failed', 'A database delta from the node has trailing bytes; the backup stream is damaged.');
  // As ingestFile stores them: an empty file is the empty object, a one-block file its own object.
  const single = header.blocks === 0 ? createHash('sha256').digest('hex') : header.blocks === 1 ? chunks[0] : undefined;
  if (single !== undefined && single !== header.sha256)
    throw new OcmError('failed', 'A database delta from the node does not match its checksum; the backup stream is damaged.');
  if (header.blocks === 0) await session.putWithId(header.sha256, Buffer.alloc(0));
  if (header.blocks <= 1) return { size: header.size, sha256: header.sha256 };
  return { size: header.size, sha256: header.sha256, chunks };
}

/**
 * Reads the tail of a grown file: the parent's leading chunks (`prefix`, `offset` bytes) are
 * reused, the bytes from `offset` on are chunked and stored as a full read would have. The
 * whole-file sha256 comes from the node, which read every byte.
 */
export async function ingestTail(
  session: WriteSession,
  data: AsyncIterable<Buffer>,
  prefix: readonly string[],
  offset: number,
): Promise<{ size: number; sha256: string; chunks: string[] }> {
  const damaged = (what: string): OcmError => new OcmError('failed', `The tail of a grown file from the node ${what}; the backup stream is damaged.`);
  const reader = new ByteReader(data);
  const line = await reader.line(4096);
  if (!line.startsWith(TAIL_MAGIC)) throw damaged('has no header');
  let h: { size?: unknown; offset?: unknown };
  try {
    h = JSON.parse(line.slice(TAIL_MAGIC.length)) as typeof h;
  } catch {
    throw damaged('has a damaged header');
  }
  if (h.offset !== offset || !Number.isSafeInteger(h.size) || (h.size as number) < offset) throw damaged('does not start where the parent copy ends');
  const size = h.size as number;
  const chunks = [...prefix];
  const chunker = new Chunker(FILE_CHUNKER);
  for (let left = size - offset; left > 0;) {
    const part = await reader.take(Math.min(left, 1024 * 1024));
    left -= part.length;
    for (const c of chunker.push(part)) chunks.push(await session.put(c));
  }
  const last = chunker.end();
  if (last) chunks.push(await session.put(last));
  const sha256 = (await reader.take(64)).toString('latin1');
  if (!/^[0-9a-f]{64}$/.test(sha256) || (await reader.drain()) !== 0) throw damaged('has a damaged trailer');
  for (const id of prefix)
    if (!session.has(id))
      throw new OcmError(
        'failed',
        `A chunk of a grown file (${id.slice(0, 12)}…) is missing from the repository; run "ocm check", then back up with --full-rescan.`,
      );
  return { size, sha256, chunks };
}
