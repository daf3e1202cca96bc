import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import { storePreEditBackup } from '../../src/core/history';
import { ensureSqlite3 } from '../core/backup/tools';
import { freePort } from '../support/free-port';

/**
 * The destructive verbs agree (issue 14, CLI conventions): --dry-run shows and changes nothing,
 * --yes applies, a terminal is asked (here through ctx.confirm, the hook decideDestructive uses),
 * and with no terminal and no --yes the verb exits 2 with the hint. Numeric options are parsed by
 * commander (exit 2 before anything runs). A local node (`host: "local"`) stands in for SSH.
 */
interface Run {
  code: number;
  stdout: string;
  stderr: string;
  asked: string[];
}

describe('destructive verbs: --dry-run shows, --yes applies, a terminal asks, else exit 2', { timeout: 120_000 }, () => {
  let root: string;
  let env: NodeJS.ProcessEnv;
  let memory: string;

  async function ocm(args: string[], answer?: boolean): Promise<Run> {
    let stdout = '';
    let stderr = '';
    const asked: string[] = [];
    const ctx = {
      out: (s: string) => (stdout += s),
      err: (s: string) => (stderr += s),
      env,
      json: false,
      ...(answer === undefined ? {} : { confirm: async (q: string) => (asked.push(q), answer) }),
    };
    const code = await main(args, ctx);
    return { code, stdout, stderr, asked };
  }

  before(async () => {
    ensureSqlite3();
    root = await fs.mkdtemp(join(tmpdir(), 'ocm-destructive-'));
    const state = join(root, 'home', '.openclaw');
    memory = join(state, 'workspace', 'MEMORY.md');
    await fs.mkdir(join(state, 'workspace'), { recursive: true });
    await fs.writeFile(join(state, 'openclaw.json'), JSON.stringify({ agents: { list: [{ id: 'main', default: true, workspace: join(state, 'workspace') }] } }), { mode: 0o600 });
    await fs.writeFile(memory, 'good\n');
    const ocmHome = join(root, 'ocm');
    await fs.mkdir(ocmHome, { mode: 0o700 });
    await fs.writeFile(join(ocmHome, 'nodes.json'), JSON.stringify({ version: 1, nodes: [{ id: 'here', host: 'local', stateDir: state, gatewayPort: await freePort(), openclawPath: '/nonexistent/openclaw' }] }));
    env = { HOME: join(root, 'home'), OCM_HOME: ocmHome, PATH: process.env.PATH, OCM_LANG: 'en' };
    for (let i = 0; i < 2; i++) {
      const b = await ocm(['backup', 'here', '--engine', 'ocm']);
      assert.equal(b.code, 0, b.stdout + b.stderr);
    }
  });
  after(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('ocm restore: no terminal → 2 with the hint; --dry-run and a "no" change nothing; a "yes" applies', async () => {
    await fs.writeFile(memory, 'damaged\n');
    const refused = await ocm(['restore', 'here/latest']);
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /--dry-run, then add --yes/);
    const dry = await ocm(['restore', 'here/latest', '--dry-run'], true);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(dry.asked, [], '--dry-run never asks');
    const no = await ocm(['restore', 'here/latest'], false);
    assert.equal(no.code, 0, no.stderr);
    assert.match(no.asked[0] ?? '', /Apply this restore to here\?/);
    assert.match(no.stdout, /Nothing was changed/);
    assert.equal(await fs.readFile(memory, 'utf8'), 'damaged\n');
    const yes = await ocm(['restore', 'here/latest'], true);
    assert.equal(yes.code, 0, yes.stdout + yes.stderr);
    assert.equal(await fs.readFile(memory, 'utf8'), 'good\n');
  });

  it('ocm prune: no terminal → 2; a "no" deletes nothing; --dry-run lists; --yes deletes', async () => {
    const count = async (): Promise<number> => (JSON.parse((await ocm(['backups', 'here', '--json'])).stdout) as { backups: unknown[] }).backups.length;
    const before = await count();
    assert.ok(before >= 2, String(before));
    assert.equal((await ocm(['prune', '--keep-last', '1'])).code, 2);
    const no = await ocm(['prune', '--keep-last', '1'], false);
    assert.equal(no.code, 0);
    assert.match(no.stdout, /Nothing was deleted/);
    const dry = await ocm(['prune', '--keep-last', '1', '--dry-run'], true);
    assert.equal(dry.code, 0);
    assert.deepEqual(dry.asked, []);
    assert.equal(await count(), before);
    const yes = await ocm(['prune', '--keep-last', '1', '--yes']);
    assert.equal(yes.code, 0, yes.stderr);
    assert.equal(await count(), 1);
  });

  it('ocm history restore / prune: a terminal is asked; "no" changes nothing', async () => {
    const home = env.OCM_HOME!;
    const old = Date.parse('2026-01-01T00:00:00Z');
    const entries = [];
    for (let i = 0; i < 3; i++) entries.push(await storePreEditBackup(home, { nodeId: 'here', remotePath: memory, content: Buffer.from(`v${i}\n`), now: () => new Date(old + i * 1000) }));
    const noRestore = await ocm(['history', 'restore', entries[0]!.id], false);
    assert.equal(noRestore.code, 0, noRestore.stderr);
    assert.equal(noRestore.asked.length, 1);
    assert.equal(await fs.readFile(memory, 'utf8'), 'good\n');
    const yesRestore = await ocm(['history', 'restore', entries[0]!.id], true);
    assert.equal(yesRestore.code, 0, yesRestore.stderr);
    assert.equal(await fs.readFile(memory, 'utf8'), 'v0\n');
    const noPrune = await ocm(['history', 'prune', '--keep', '1', '--older-than-days', '1'], false);
    assert.equal(noPrune.code, 0, noPrune.stderr);
    assert.match(noPrune.asked[0] ?? '', /Remove \d+ pre-edit backup\(s\)\?/);
    assert.match(noPrune.stdout, /Nothing was removed/);
    const yesPrune = await ocm(['history', 'prune', '--keep', '1', '--older-than-days', '1'], true);
    assert.equal(yesPrune.code, 0, yesPrune.stderr);
    assert.match(yesPrune.stdout, /Removed \d+ pre-edit backup/);
  });

  it('ocm restore of an archive file (and its index beside it) is refused: it goes through ocm import-archive and its scan', async () => {
    const archive = join(root, 'foreign.tar.gz');
    await fs.writeFile(archive, 'not trusted');
    await fs.writeFile(join(root, 'foreign.index.json'), JSON.stringify({ archiveFile: '../../.ssh/id_ed25519' }));
    for (const ref of [archive, join(root, 'foreign.index.json'), 'foreign.tgz']) {
      const r = await ocm(['restore', ref, '--yes'], true);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /is a file, not a backup in the repository\. Import it first: ocm import-archive/);
      assert.deepEqual(r.asked, []);
    }
  });

  it('ocm agents remove: no terminal → 2; --dry-run says what goes; a "no" changes nothing (decided before connecting)', async () => {
    const refused = await ocm(['agents', 'remove', 'here', 'main']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /Look first with --dry-run, then add --yes/);
    const dry = await ocm(['agents', 'remove', 'here', 'main', '--dry-run'], true);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(dry.asked, []);
    assert.match(dry.stdout, /Removing agent main deletes its workspace/);
    const no = await ocm(['agents', 'remove', 'here', 'main'], false);
    assert.equal(no.code, 0, no.stderr);
    assert.match(no.asked[0] ?? '', /Remove agent main from node here\?/);
    assert.ok((await fs.stat(memory)).isFile(), 'the workspace is still there');
  });

  it('bad numbers are usage errors (exit 2, parsed once by commander) before anything runs', async () => {
    for (const args of [
      ['restart', 'here', '--timeout', 'soon'],
      ['restore', 'here/latest', '--timeout', '-1'],
      ['migrate', 'here', 'there', '--port', '70000'],
      ['migrate', 'here', 'there', '--timeout', '0'],
      ['prune', '--keep-last', 'many'],
      ['history', 'prune', '--keep', '0'],
      ['history', 'prune', '--older-than-days', 'x'],
    ]) {
      const r = await ocm(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /argument '.*' is invalid\. Give /, args.join(' '));
    }
  });
});
