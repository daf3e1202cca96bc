import { createHash } from 'node:crypto';
import { Chunker, FILE_CHUNKER, type ChunkerParams } from './chunker';
import type { WriteSession } from './object-store';

/**
 * One file's bytes into the repository: hashed whole (the entry's sha256, what compare and the
 * live diff use), and stored as one object when small, or as content-defined chunks when large.
 * Streams: a large file is never held in memory beyond one chunk.
 */
export async function ingestFile(
  session: WriteSession,
  data: AsyncIterable<Buffer>,
  size: number,
  params: ChunkerParams = FILE_CHUNKER,
): Promise<{ sha256: string; chunks?: string[] }> {
  const whole = createHash('sha256');
  if (size < FILE_CHUNKER.minSize) {
    const parts: Buffer[] = [];
    for await (const part of data) {
      whole.update(part);
      parts.push(part);
    }
    const sha256 = whole.digest('hex');
    await session.putWithId(sha256, parts.length === 1 ? parts[0] : Buffer.concat(parts));
    return { sha256 };
  }
  const chunker = new Chunker(params);
  const chunks: string[] = [];
  const store = async (chunk: Buffer): Promise<void> => {
    chunks.push(await session.put(chunk));
  };
  for await (const part of data) {
    whole.update(part);
    for (const c of chunker.push(part)) await store(c);
  }
  const last = chunker.end();
  if (last) await store(last);
  const sha256 = whole.digest('hex');
  // A "large" file that turned out to be one chunk is stored under its own hash: same object.
  if (chunks.length === 1 && chunks[0] === sha256) return { sha256 };
  return { sha256, chunks };
}

export async function ingestBuffer(session: WriteSession, data: Buffer): Promise<{ sha256: string; chunks?: string[] }> {
  return ingestFile(
    session,
    (async function* () {
      yield data;
    })(),
    data.length,
  );
}
