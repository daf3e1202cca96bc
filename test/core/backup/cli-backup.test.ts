import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempOcmHome } from '../../support/cli';
import { goodEntries, P, STATE, writeArchive } from './archive-builder';

/** `ocm verify|backups|pin|prune|diff` on a store without nodes (no transport involved). */
describe('ocm backup verbs (store only)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    home = await tempOcmHome();
    env = { OCM_HOME: home };
  });
  after(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });

  it('verifies an archive outside the store (structure only) and rejects a hostile one with the entry named', async () => {
    const good = join(home, 'good.tar.gz');
    await writeArchive(good, goodEntries());
    const ok = await runCli(['verify', good, '--json'], env);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.equal(ok.json().ok, true);
    assert.equal(ok.json().checkedAgainstIndex, false);
    const text = await runCli(['verify', good], env);
    assert.match(text.stdout, /Archive OK/);

    const evil = join(home, 'evil.tar.gz');
    await writeArchive(evil, [...goodEntries(), { path: `${P}${STATE}/../../../../etc/cron.d/x`, data: 'evil' }]);
    const bad = await runCli(['verify', evil, '--json'], env);
    assert.equal(bad.code, 1);
    assert.equal(bad.json().ok, false);
    assert.match(bad.json().error.message, /etc\/cron\.d\/x/);
    assert.equal(bad.json().error.details.check, 'path');
    assert.deepEqual((await fs.readdir(home)).sort(), ['evil.tar.gz', 'good.tar.gz']);
  });

  it('lists an empty store, and reports unknown backups and bad options clearly', async () => {
    const list = await runCli(['backups'], env);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /No backups/);
    assert.deepEqual((await runCli(['backups', '--json'], env)).json().backups, []);
    const missing = await runCli(['verify', 'n1/nope', '--json'], env);
    assert.equal(missing.code, 1);
    assert.equal(missing.json().error.kind, 'notFound');
    assert.equal((await runCli(['prune', '--keep', 'x'], env)).code, 2);
    assert.equal((await runCli(['backup'], env)).code, 2);
    assert.equal((await runCli(['prune', '--dry-run'], env)).code, 2, 'prune needs a retention rule');
    const dry = await runCli(['prune', '--keep-last', '3', '--dry-run', '--json'], env);
    assert.deepEqual(dry.json().removed, []);
    assert.equal(dry.json().dryRun, true);
  });
});
