/**
 * The generated file tree and the small helpers the backup benchmarks share (bench/backup.bench.ts
 * on a generated node, bench/backup-openclaw.bench.ts on a real OpenClaw 2026.9.6 state): markdown
 * notes of random words, JSONL transcripts/journals, `sh`, timing and medians. Not a benchmark itself.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { shellQuote } from '../src/core/transport/shell-quote';

export const MB = 1024 * 1024;

const WORDS = 'agent memory gateway node backup tool session channel model token workspace user soul identity dream note today task plan config state'.split(
  ' ',
);

/** About `bytes` characters of random words with a line break every ~10 words. */
export function text(bytes: number): string {
  const parts: string[] = [];
  let n = 0;
  while (n < bytes) {
    const w = WORDS[(Math.random() * WORDS.length) | 0] + (Math.random() < 0.1 ? '\n' : ' ');
    parts.push(w);
    n += w.length;
  }
  return parts.join('');
}

export const mdName = (i: number): string => `2026-${String((i % 12) + 1).padStart(2, '0')}-${String(i).padStart(4, '0')}.md`;

/** One transcript line: time, role, ~300 characters of text, a random id. */
export const jsonlLine = (role: string, body: string = text(300)): string =>
  JSON.stringify({ ts: Date.now(), role, text: body, id: randomBytes(8).toString('hex') }) + '\n';

/** Writes a JSONL file of about `size` bytes; `pool` (texts to draw lines from) makes it ~10× faster. Returns the bytes written. */
export async function writeJsonl(path: string, size: number, role: (line: number) => string, pool?: string[]): Promise<number> {
  const out = createWriteStream(path);
  let written = 0;
  for (let line = 0; written < size; line++) {
    const s = jsonlLine(role(line), pool ? pool[(Math.random() * pool.length) | 0]! : text(300));
    if (!out.write(s)) await new Promise<void>((r) => out.once('drain', () => r()));
    written += s.length;
  }
  await new Promise<void>((r) => out.end(r));
  return written;
}

/** `count` markdown notes (1–20 KB) named by mdName in `dir`. Returns the bytes written. */
export async function writeNotes(dir: string, count: number): Promise<number> {
  await fs.mkdir(dir, { recursive: true });
  let total = 0;
  for (let i = 0; i < count; i++) {
    const body = text(1024 + ((i * 7919) % (19 * 1024)));
    await fs.writeFile(join(dir, mdName(i)), body);
    total += body.length;
  }
  return total;
}

/** 2,000 markdown files (1–20 KB) + 20 JSONL files sized so the total is about `mb` MB. */
export async function generateTree(stateDir: string, mb: number, fast = false): Promise<number> {
  const ws = join(stateDir, 'workspace');
  await fs.mkdir(join(ws, 'memory'), { recursive: true });
  await fs.writeFile(join(stateDir, 'openclaw.json'), '{ gateway: { port: 18789 } }\n');
  let total = await writeNotes(join(ws, 'memory'), 2000);
  const remaining = Math.max(mb * MB - total, 20 * 64 * 1024);
  const logs = join(ws, 'logs');
  await fs.mkdir(logs, { recursive: true });
  // The 1 GB tree: lines drawn from a pool of texts (each with its own id and time), 10× faster to make.
  const pool = fast ? Array.from({ length: 4096 }, () => text(300)) : undefined;
  for (let i = 0; i < 20; i++) {
    total += await writeJsonl(join(logs, `run-${i}.jsonl`), Math.round(remaining / 20), () => (i % 2 ? 'user' : 'assistant'), pool);
  }
  return total;
}

/** Runs `command` with /bin/sh; resolves with its stdout, rejects on a non-zero exit. */
export function sh(command: string, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'inherit'], ...(env ? { env } : {}) });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command.slice(0, 200)} exited ${code}`))));
  });
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

export const duBytes = async (dir: string): Promise<number> => Number((await sh(`du -sb ${shellQuote(dir)}`)).split(/\s+/)[0]);

/**
 * The floor of a first snapshot on this machine, in native tools: the node's `tar | zstd -1` (our
 * wire) and on the client only the least any such design does with the bytes — `zstd -d`, one
 * sha256 (openssl) and one `zstd -1`, output discarded: no tar parsing, chunking, second hash or
 * writes. `raw` sends the tar uncompressed (no wire codec). `shell(remote)` runs on the node.
 */
export async function nativeFloorMs(shell: (remote: string) => string, rel: string, raw: boolean): Promise<number> {
  const tarCmd = `tar -cf - -C / ${shellQuote(rel)}${raw ? '' : ' | zstd -q -1 -c'}`;
  const client = `${raw ? '' : 'zstd -d -q -c | '}tee >(openssl dgst -sha256 >/dev/null) | zstd -q -1 -c > /dev/null`;
  return (await time(() => sh(`bash -c ${shellQuote(`${shell(tarCmd)} | ${client}`)}`))).ms;
}
