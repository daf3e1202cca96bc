import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TrustStore } from '../../../src/core/ssh/trust-store';
import { newKey, tempDir } from './fixtures';

/** The trust store keeps every pin when many are written at once (one process, or several). */

const trustStoreModule = join(__dirname, '../../../src/core/ssh/trust-store.ts');
const fixturesModule = join(__dirname, 'fixtures.ts');

describe('trust store writers', () => {
  it('many concurrent pins in one process keep all (no lost update)', async () => {
    const store = TrustStore.inHome(await tempDir());
    const keys = Array.from({ length: 20 }, () => newKey());
    await Promise.all(keys.map((k, i) => store.add({ hostKeyName: `[10.0.0.${i}]:22`, host: `10.0.0.${i}`, port: 22, keyBlob: k.blob })));
    const stored = await store.list();
    assert.equal(stored.length, 20);
    assert.deepEqual(new Set(stored.map((e) => e.key)), new Set(keys.map((k) => k.blob.toString('base64'))));
  });

  it('a concurrent add and remove both take effect', async () => {
    const store = TrustStore.inHome(await tempDir());
    await store.add({ hostKeyName: 'old', host: 'old', port: 22, keyBlob: newKey().blob });
    await Promise.all([store.remove('old'), store.add({ hostKeyName: 'new', host: 'new', port: 22, keyBlob: newKey().blob })]);
    assert.deepEqual(
      (await store.list()).map((e) => e.hostKeyName),
      ['new'],
    );
  });

  it('two processes pinning at the same time keep all of both', async () => {
    const home = await tempDir();
    const perProcess = 15;
    const code = (tag: string): string => `
      const { TrustStore } = require(${JSON.stringify(trustStoreModule)});
      const { newKey } = require(${JSON.stringify(fixturesModule)});
      const store = TrustStore.inHome(${JSON.stringify(home)});
      Promise.all(Array.from({ length: ${perProcess} }, (_, i) =>
        store.add({ hostKeyName: '${tag}-' + i, host: '${tag}-' + i, port: 22, keyBlob: newKey().blob }))).then(
        () => process.exit(0),
        (e) => { console.error(e); process.exit(1); });`;
    const run = (tag: string) =>
      new Promise<number | null>((resolve) =>
        spawn(process.execPath, ['--import', 'tsx', '-e', code(tag)], { stdio: ['ignore', 'inherit', 'inherit'] }).on('exit', resolve),
      );
    assert.deepEqual(await Promise.all([run('a'), run('b')]), [0, 0]);
    const names = (await TrustStore.inHome(home).list()).map((e) => e.hostKeyName).sort();
    const expected = ['a', 'b'].flatMap((t) => Array.from({ length: perProcess }, (_, i) => `${t}-${i}`)).sort();
    assert.deepEqual(names, expected);
  });
});
