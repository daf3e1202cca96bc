import { createHash, type Hash } from 'node:crypto';
import { Transform } from 'node:stream';

/**
 * A pass-through stream that counts (and optionally hashes) what flows through it: the bytes a
 * capture receives, an export writes or a native archive downloads. One piece of code for the
 * three places that each had their own Transform.
 */
export interface ByteTap {
  stream: Transform;
  /** Bytes seen so far. */
  readonly bytes: number;
  /** sha256 (hex) of everything seen; only with `hash: true`, once the stream ended. */
  sha256(): string;
}

export function byteTap(options: { hash?: boolean; onBytes?: (total: number) => void } = {}): ByteTap {
  const hash: Hash | undefined = options.hash ? createHash('sha256') : undefined;
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash?.update(chunk);
      bytes += chunk.length;
      options.onBytes?.(bytes);
      cb(null, chunk);
    },
  });
  return {
    stream,
    get bytes() {
      return bytes;
    },
    sha256() {
      if (!hash) throw new Error('byteTap: created without hash');
      return hash.digest('hex');
    },
  };
}
