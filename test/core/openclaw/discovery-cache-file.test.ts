import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { DiscoveryCache } from '../../../src/core/openclaw/discovery-cache';
import { discoveryCachePath, loadDiscoveryCache, saveDiscoveryCache, targetKey } from '../../../src/core/openclaw/discovery-cache-file';

const temps: string[] = [];
after(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});
async function cacheFile(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'ocm-dcache-'));
  temps.push(home);
  return discoveryCachePath(home);
}

const a = targetKey({ user: 'claw', host: 'a.example', port: 22 });
const b = targetKey({ user: 'claw', host: 'b.example', port: 2222 });

test('the CLI discovery cache survives a round trip through an owner-only file', async () => {
  const file = await cacheFile();
  const cache = new DiscoveryCache();
  cache.setVersion('a', { bin: '/usr/bin/openclaw', stamp: '1 2 3', versionLine: 'OpenClaw 2026.9.6 (eb377ac)' });
  cache.setLogin('a', { stamp: '/bin/bash 1 2 x|', bin: '/usr/bin/openclaw', vars: { PATH: '/usr/bin:/bin', OPENCLAW_PROFILE: 'work' } });
  await saveDiscoveryCache(file, cache, new Map([['a', a]]));
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal((await stat(dirname(file))).mode & 0o777, 0o700);
  const loaded = await loadDiscoveryCache(file, new Map([['a', a]]));
  assert.deepEqual(loaded.getVersion('a'), cache.getVersion('a'));
  assert.deepEqual(loaded.getLogin('a'), cache.getLogin('a'));
});

test('entries of a node id now pointing elsewhere are dropped; other nodes are kept while fresh', async () => {
  const file = await cacheFile();
  const cache = new DiscoveryCache();
  cache.setLogin('a', { stamp: 'sa', vars: { PATH: '/a' } });
  cache.setLogin('b', { stamp: 'sb', vars: { PATH: '/b' } });
  await saveDiscoveryCache(
    file,
    cache,
    new Map([
      ['a', a],
      ['b', b],
    ]),
  );

  // The registry moved node a to another host: its entry must not be used.
  const moved = await loadDiscoveryCache(file, new Map([['a', b]]));
  assert.equal(moved.getLogin('a'), undefined);

  // A run that contacted only a (and forgot it) leaves b's entry in the file.
  const onlyA = await loadDiscoveryCache(file, new Map([['a', a]]));
  onlyA.forget('a');
  await saveDiscoveryCache(file, onlyA, new Map([['a', a]]));
  const later = await loadDiscoveryCache(
    file,
    new Map([
      ['a', a],
      ['b', b],
    ]),
  );
  assert.equal(later.getLogin('a'), undefined);
  assert.equal(later.getLogin('b')?.stamp, 'sb');

  // Stale entries of other nodes are not carried forward.
  const old = JSON.parse(await readFile(file, 'utf8'));
  old.logins.b.at = Date.now() - 24 * 3600_000;
  await writeFile(file, JSON.stringify(old));
  await saveDiscoveryCache(file, new DiscoveryCache(), new Map([['a', a]]));
  assert.deepEqual(JSON.parse(await readFile(file, 'utf8')).logins, {});
});

test('a missing, malformed or foreign cache file is ignored (discovery asks the nodes), and saving over it works', async () => {
  const file = await cacheFile();
  assert.equal((await loadDiscoveryCache(file, new Map([['a', a]]))).getLogin('a'), undefined);
  await mkdir(dirname(file), { recursive: true });
  for (const junk of [
    '{not json',
    '[]',
    JSON.stringify({ version: 2, versions: {}, logins: {} }),
    JSON.stringify({ version: 1, versions: { a: { value: { bin: 1 }, at: 0, target: a } }, logins: {} }),
  ]) {
    await writeFile(file, junk);
    const loaded = await loadDiscoveryCache(file, new Map([['a', a]]));
    assert.equal(loaded.getVersion('a'), undefined, junk);
  }
  const cache = new DiscoveryCache();
  cache.setLogin('a', { stamp: 's', vars: {} });
  await saveDiscoveryCache(file, cache, new Map([['a', a]]));
  assert.equal((await loadDiscoveryCache(file, new Map([['a', a]]))).getLogin('a')?.stamp, 's');
});

test('commands saving at once keep every node: the read-merge-write is serialised', async () => {
  const file = await cacheFile();
  const ids = Array.from({ length: 8 }, (_, i) => `n${i}`);
  await Promise.all(
    ids.map((id) => {
      const cache = new DiscoveryCache();
      cache.setLogin(id, { stamp: `s-${id}`, vars: { PATH: `/${id}` } });
      return saveDiscoveryCache(file, cache, new Map([[id, targetKey({ user: 'claw', host: `${id}.example`, port: 22 })]]));
    }),
  );
  const all = new Map(ids.map((id) => [id, targetKey({ user: 'claw', host: `${id}.example`, port: 22 })]));
  const loaded = await loadDiscoveryCache(file, all);
  for (const id of ids) assert.deepEqual(loaded.getLogin(id)?.vars, { PATH: `/${id}` }, `${id} kept`);
});
