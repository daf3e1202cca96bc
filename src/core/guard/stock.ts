import { STOCK_SHINGLES_BASE64 } from './stock-shingles';

/**
 * Text of OpenClaw's stock workspace templates (the SOUL.md, USER.md, AGENTS.md... every new
 * agent starts with) belongs to no agent: an agent given the stock SOUL.md is not taking the
 * memory of the one other agent that still has it. The hashes are generated from the templates
 * of the OpenClaw versions ocm is tested with (scripts/stock-shingles.ts) and decoded on first use.
 */

let stock: Uint32Array | undefined;

export function isStockShingle(hash: number): boolean {
  stock ??= decode(STOCK_SHINGLES_BASE64);
  let lo = 0;
  let hi = stock.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (stock[mid]! < hash) lo = mid + 1;
    else hi = mid;
  }
  return lo < stock.length && stock[lo] === hash;
}

function decode(b64: string): Uint32Array {
  const bytes = Buffer.from(b64, 'base64');
  const out = new Uint32Array(bytes.length / 4);
  Buffer.from(out.buffer).set(bytes);
  return out;
}
