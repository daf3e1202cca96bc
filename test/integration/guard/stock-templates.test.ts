import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { shingleSet } from '../../../src/core/guard/shingles';
import { isStockShingle } from '../../../src/core/guard/stock';
import { STOCK_SHINGLES_VERSIONS } from '../../../src/core/guard/stock-shingles';
import { ensureOpenclaw } from '../../support/openclaw';

/**
 * The mix-up guard's stock text is current: every shingle of the workspace templates that each
 * tested OpenClaw version ships (the real npm packages) is in src/core/guard/stock-shingles.ts.
 * When a version is added, `node --import tsx scripts/stock-shingles.ts` regenerates it.
 */
function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? markdownFiles(path) : name.endsWith('.md') ? [path] : [];
  });
}

describe('stock workspace templates of real OpenClaw versions', { timeout: 300_000 }, () => {
  for (const version of ['2026.7.1', '2026.9.6']) {
    it(`${version}: every template's text counts as stock for the mix-up guard`, async () => {
      assert.ok(STOCK_SHINGLES_VERSIONS.includes(version), 'generated from this version');
      const install = await ensureOpenclaw(version);
      const files = markdownFiles(join(install.dir, 'node_modules', 'openclaw', 'docs', 'reference', 'templates'));
      assert.ok(files.some((f) => f.endsWith('/SOUL.md')));
      for (const file of files) {
        const missing = [...shingleSet(readFileSync(file, 'utf8'))].filter((h) => !isStockShingle(h));
        assert.equal(missing.length, 0, `${file}: ${missing.length} shingles not in stock-shingles.ts; run scripts/stock-shingles.ts`);
      }
    });
  }
});
