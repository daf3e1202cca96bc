import { strict as assert } from 'node:assert';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempOcmHome } from '../support/cli';
import { twoLocalNodes } from '../support/local-nodes';

describe('ocm rm / deleted / undelete (local node)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let ws: (n: string, a: string) => string;
  let state: (n: string) => string;

  before(async () => {
    home = await tempOcmHome();
    env = { OCM_HOME: home, OCM_LANG: 'en' };
    ({ ws, state } = await twoLocalNodes(home, env));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('deleting openclaw.json asks and says the gateway will not start; without --yes it exits 2 and keeps the file', async () => {
    const cfg = join(state('n1'), 'openclaw.json');
    const r = await runCli(['rm', 'n1', cfg], env);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /warning: the gateway will not start/);
    assert.match(r.stderr, /breaks things \(gatewayWontStart\)\. Add --yes/);
    assert.ok((await stat(cfg)).isFile());
    const ja = await runCli(['rm', 'n1', cfg, '--dry-run'], { ...env, OCM_LANG: 'ja' });
    assert.match(ja.stdout, /ゲートウェイが起動しなくなります/);
  });

  it('a workspace folder names the agent that loses its memory; -r is required', async () => {
    const dir = ws('n1', 'research');
    const noR = await runCli(['rm', 'n1', dir], env);
    assert.equal(noR.code, 2);
    assert.match(noR.stderr, /is a folder\. Add -r/);
    const dry = await runCli(['rm', 'n1', dir, '-r', '--dry-run', '--json'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(
      dry.json().consequences.map((c: { code: string; agentId?: string }) => `${c.code}:${c.agentId}`),
      ['agentLosesWorkspace:research'],
    );
    const text = await runCli(['rm', 'n1', dir, '-r', '--dry-run'], env);
    assert.match(text.stdout, /agent research loses its workspace: its memory, persona and rules/);
  });

  it('rm keeps MEMORY.md in the history, ocm deleted lists it, undelete restores it byte for byte', async () => {
    const file = join(ws('n2', 'main'), 'MEMORY.md');
    const bytes = Buffer.from('# Memory\r\n- 大事なこと\r\n\u0000tail', 'utf8');
    await writeFile(file, bytes);
    const r = await runCli(['rm', 'n2', file, '--yes'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /warning: agent main loses its memory/);
    assert.match(r.stdout, /Deleted .*MEMORY\.md on n2; 1 file\(s\) .* kept\. Restore with: ocm undelete n2 \d{8}T/);
    await assert.rejects(stat(file), /ENOENT/);
    const list = await runCli(['deleted', 'n2', '--json'], env);
    assert.equal(list.json().entries[0].path, file);
    const table = await runCli(['deleted', 'n2'], env);
    assert.match(table.stdout, /MEMORY\.md/);
    const hist = await runCli(['history', 'n2', file, '--json'], env);
    assert.equal(hist.json().entries[0].reason, 'pre-delete');

    const back = await runCli(['undelete', 'n2', file], env);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(await readFile(file), bytes);
    assert.match((await runCli(['deleted', 'n2'], env)).stdout, /Nothing deleted on n2/);
  });

  it('undelete refuses a file that exists again unless --force', async () => {
    const file = join(ws('n2', 'research'), 'USER.md');
    await writeFile(file, 'old\n');
    assert.equal((await runCli(['rm', 'n2', file, '--yes'], env)).code, 0);
    await writeFile(file, 'new one\n');
    const id = (await runCli(['deleted', 'n2', '--json'], env)).json().entries[0].id as string;
    const refused = await runCli(['undelete', 'n2', id], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /exists again on n2; nothing was restored\. Compare first, then add --force/);
    assert.equal(await readFile(file, 'utf8'), 'new one\n');
    const forced = await runCli(['undelete', 'n2', id, '--force', '--json'], env);
    assert.equal(forced.code, 0, forced.stdout);
    assert.equal(await readFile(file, 'utf8'), 'old\n');
  });

  it('a folder over --max-size is refused with what to do; a folder under it is kept and restored', async () => {
    const dir = join(ws('n1', 'main'), 'memory');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '2026-12-01.md'), 'x'.repeat(200_000));
    await writeFile(join(dir, '2026-12-02.md'), 'day two\n');
    const big = await runCli(['rm', 'n1', dir, '-r', '--yes', '--max-size', '0.1'], env);
    assert.equal(big.code, 2);
    assert.match(big.stderr, /nothing was deleted\. Take a backup first \(ocm backup n1\)/);
    assert.ok((await stat(join(dir, '2026-12-02.md'))).isFile());
    const ok = await runCli(['rm', 'n1', dir, '-r', '--yes'], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /agent main loses its memory/);
    await assert.rejects(stat(dir), /ENOENT/);
    assert.equal((await runCli(['undelete', 'n1', dir], env)).code, 0);
    assert.equal(await readFile(join(dir, '2026-12-02.md'), 'utf8'), 'day two\n');
    assert.equal((await readFile(join(dir, '2026-12-01.md'), 'utf8')).length, 200_000);
  });

  it('ocm mv keeps the old content, sends a replaced file to Recently Deleted, and asks before renaming openclaw.json away', async () => {
    const a = join(ws('n1', 'main'), 'A.md');
    const b = join(ws('n1', 'main'), 'B.md');
    await writeFile(a, 'aaa\n');
    await writeFile(b, 'bbb\n');
    const refused = await runCli(['mv', 'n1', a, b], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /already exists on n1\. Add --force/);
    const noYes = await runCli(['mv', 'n1', a, b, '--force'], env);
    assert.equal(noYes.code, 2, 'replacing a file is destructive: --yes or a terminal');
    const done = await runCli(['mv', 'n1', a, b, '--force', '--yes'], env);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(await readFile(b, 'utf8'), 'aaa\n');
    assert.match(done.stdout, /The replaced .*B\.md is in Recently Deleted: ocm undelete n1 \d{8}T/);
    const hist = await runCli(['history', 'n1', a, '--json'], env);
    assert.equal(hist.json().entries[0].reason, 'pre-rename');
    const cfg = join(state('n1'), 'openclaw.json');
    const away = await runCli(['mv', 'n1', cfg, cfg + '.old'], env);
    assert.equal(away.code, 2);
    assert.match(away.stdout, /the gateway will not start/);
    assert.ok((await stat(cfg)).isFile());
    const plain = await runCli(['mv', 'n1', b, a], env);
    assert.equal(plain.code, 0, 'a plain rename that breaks nothing needs no --yes');
    assert.equal(await readFile(a, 'utf8'), 'aaa\n');
  });
});
