import { strict as assert } from 'node:assert';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Hex, storePreEditBackup } from '../../src/core/history';
import { runCli, tempOcmHome } from '../support/cli';

describe('ocm cat / put / history (local node)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let file: string;

  before(async () => {
    home = await tempOcmHome();
    env = { OCM_HOME: home };
    dir = join(home, 'node', 'work space 仕事');
    await mkdir(dir, { recursive: true });
    file = join(dir, 'MEMORY.md');
    await writeFile(file, 'first\n');
    const add = await runCli(['add', 'box', 'local'], env);
    assert.equal(add.code, 0, add.stderr);
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('cat prints the file; --json gives the sha256 to expect', async () => {
    const plain = await runCli(['cat', 'box', file], env);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, 'first\n');
    const json = await runCli(['cat', 'box', file, '--json'], env);
    assert.equal(json.json().sha256, sha256Hex(Buffer.from('first\n')));
    assert.equal(json.json().size, 6);
    const missing = await runCli(['cat', 'box', join(dir, 'nope.md')], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /does not exist on box/);
    const relative = await runCli(['cat', 'box', 'MEMORY.md'], env);
    assert.equal(relative.code, 2);
  });

  it('put needs an expectation for an existing file, refuses a stale one, and saves a matching one', async () => {
    const local = join(home, 'mine.md');
    await writeFile(local, 'mine\n');
    const bare = await runCli(['put', 'box', file, local], env);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, new RegExp(`--expect-sha256 ${sha256Hex(Buffer.from('first\n'))}`));

    const stale = await runCli(['put', 'box', file, local, '--expect-sha256', sha256Hex(Buffer.from('other')), '--json'], env);
    assert.equal(stale.code, 1);
    assert.equal(stale.json().error.kind, 'conflict');
    assert.equal(await readFile(file, 'utf8'), 'first\n');

    const ok = await runCli(['put', 'box', file, local, '--expect-sha256', sha256Hex(Buffer.from('first\n'))], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Saved .* on box/);
    assert.match(ok.stdout, /pre-edit backup box\//);
    assert.equal(await readFile(file, 'utf8'), 'mine\n');

    await writeFile(local, 'forced\n');
    const forced = await runCli(['put', 'box', file, local, '--force', '--json'], env);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(forced.json().savedSha256, sha256Hex(Buffer.from('forced\n')));

    const created = await runCli(['put', 'box', join(dir, 'new.md'), local], env);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /New file/);
  });

  it('put refuses an invalid openclaw.json and leaves the live file alone', async () => {
    const cfg = join(dir, 'openclaw.json');
    await writeFile(cfg, '{ gateway: { port: 1 } }');
    const bad = join(home, 'bad.json');
    await writeFile(bad, '{ gateway: ');
    const r = await runCli(['put', 'box', cfg, bad, '--force'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not valid JSON5 at line 1/);
    assert.equal(await readFile(cfg, 'utf8'), '{ gateway: { port: 1 } }');
  });

  it('history lists, shows and restores (restore asks first)', async () => {
    const list = await runCli(['history', 'box', file, '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    const entries = list.json().entries as { id: string; size: number }[];
    assert.equal(entries.length, 3, 'first (pre-edit), mine (saved), forced (saved)');
    const oldest = entries[2]!.id;
    const table = await runCli(['history', 'box', file], env);
    assert.match(table.stdout, /BACKUP ID/);
    assert.ok(table.stdout.includes(oldest));

    const show = await runCli(['history', 'show', oldest], env);
    assert.equal(show.stdout, 'first\n');

    const dry = await runCli(['history', 'restore', oldest], env);
    assert.equal(dry.code, 2, 'no terminal and no --yes: exit 2 with the hint');
    assert.match(dry.stdout, /Would restore/);
    assert.match(dry.stderr, /Look first with --dry-run, then add --yes/);
    const shown = await runCli(['history', 'restore', oldest, '--dry-run'], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /Would restore/);
    assert.equal(await readFile(file, 'utf8'), 'forced\n');

    const done = await runCli(['history', 'restore', oldest, '--yes'], env);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(await readFile(file, 'utf8'), 'first\n');
    const after = (await runCli(['history', 'list', 'box', file, '--json'], env)).json().entries as { reason: string; sha256: string }[];
    assert.equal(after[0]!.reason, 'saved');
    assert.equal(after[0]!.sha256, sha256Hex(Buffer.from('first\n')));
    assert.ok(
      after.some((e) => e.sha256 === sha256Hex(Buffer.from('forced\n'))),
      'the version the restore replaced is kept',
    );

    const bogus = await runCli(['history', 'show', 'nope'], env);
    assert.equal(bogus.code, 1);
    assert.match(bogus.stderr, /not a pre-edit backup id/);
  });
});

describe('ocm history prune', () => {
  it('lists what it would remove, and removes it with --yes', async () => {
    const home = await tempOcmHome();
    try {
      const env = { OCM_HOME: home };
      const old = Date.parse('2026-01-01T00:00:00Z');
      for (let i = 0; i < 3; i++)
        await storePreEditBackup(home, { nodeId: 'box', remotePath: '/m.md', content: Buffer.from(`v${i}`), now: () => new Date(old + i * 1000) });
      const dry = await runCli(['history', 'prune', '--keep', '1', '--older-than-days', '1', '--dry-run'], env);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /WOULD REMOVE/);
      const refused = await runCli(['history', 'prune', '--keep', '1', '--older-than-days', '1'], env);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /Look first with --dry-run, then add --yes/);
      assert.equal((await runCli(['history', 'box', '/m.md', '--json'], env)).json().entries.length, 3);
      const done = await runCli(['history', 'prune', '--keep', '1', '--older-than-days', '1', '--yes', '--json'], env);
      assert.equal(done.code, 0, done.stderr);
      assert.equal(done.json().removed.length, 2);
      assert.equal((await runCli(['history', 'box', '/m.md', '--json'], env)).json().entries.length, 1);
      const bad = await runCli(['history', 'prune', '--keep', '0'], env);
      assert.equal(bad.code, 2);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
