import { lookup, u32FromBase64 } from './fingerprint-index';
import { STOCK_SHINGLES_BASE64 } from './stock-shingles';

/**
 * Text of OpenClaw's stock workspace templates (the SOUL.md, USER.md, AGENTS.md... every new
 * agent starts with) belongs to no agent: an agent given the stock SOUL.md is not taking the
 * memory of the one other agent that still has it. The hashes are generated from the templates
 * of the OpenClaw versions ocm is tested with (scripts/stock-shingles.ts), sorted, and decoded on
 * first use.
 */

let hashes: Uint32Array | undefined;

export function isStockShingle(hash: number): boolean {
  hashes ??= u32FromBase64(STOCK_SHINGLES_BASE64);
  const [from, to] = lookup({ hashes }, hash);
  return to > from;
}
