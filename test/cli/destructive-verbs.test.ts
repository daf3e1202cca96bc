import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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
    await fs.writeFile(
      join(state, 'openclaw.json'),
      JSON.stringify({ agents: { list: [{ id: 'main', default: true, workspace: join(state, 'workspace') }] } }),
      { mode: 0o600 },
    );
    await fs.writeFile(memory, 'good\n');
    const ocmHome = join(root, 'ocm');
    await fs.mkdir(ocmHome, { mode: 0o700 });
    await fs.writeFile(
      join(ocmHome, 'nodes.json'),
      JSON.stringify({
        version: 1,
        nodes: [{ id: 'here', host: 'local', stateDir: state, gatewayPort: await freePort(), openclawPath: '/nonexistent/openclaw' }],
      }),
    );
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
    for (let i = 0; i < 3; i++)
      entries.push(
        await storePreEditBackup(home, { nodeId: 'here', remotePath: memory, content: Buffer.from(`v${i}\n`), now: () => new Date(old + i * 1000) }),
      );
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

  /** Every file under the test root (nodes and ocm home) with its bytes' hash and mode, except caches. */
  async function everything(): Promise<string> {
    const lines: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await fs.readdir(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        // Caches and indexes ocm rebuilds from what it reads (the mix-up guard's fingerprints) say nothing about what a verb changed.
        if (/^(cache|run|discovery|logs|guard)$/.test(e.name) && dir === env.OCM_HOME) continue;
        if (e.isDirectory()) await walk(p);
        else {
          const st = await fs.lstat(p);
          lines.push(
            `${p} ${(st.mode & 0o7777).toString(8)} ${
              e.isFile()
                ? createHash('sha256')
                    .update(await fs.readFile(p))
                    .digest('hex')
                : 'other'
            }`,
          );
        }
      }
    };
    await walk(root);
    return lines.sort().join('\n');
  }

  it('every destructive verb: no terminal and no --yes → exit 2 with the hint, nothing changed; --dry-run changes nothing and never asks', async () => {
    // A node with a gateway token (token rotate), and two nodes with a stand-in openclaw that only
    // answers --version (2026.9.6), enough to plan a migration and to reach a session action's decision.
    const fake = join(root, 'fake-openclaw');
    await fs.writeFile(fake, '#!/bin/sh\n[ "$1" = --version ] && echo "OpenClaw 2026.9.6 (eb377ac)"\nexit 0\n', { mode: 0o755 });
    const mkNode = async (id: string, config: object, openclaw: string): Promise<string> => {
      const dir = join(root, 'nodes', id, '.openclaw');
      await fs.mkdir(join(dir, 'workspace'), { recursive: true });
      await fs.writeFile(join(dir, 'openclaw.json'), JSON.stringify(config), { mode: 0o600 });
      await fs.writeFile(join(dir, 'workspace', 'SOUL.md'), `soul of ${id}\n`);
      const add = await ocm(['add', id, 'local', '--state-dir', dir, '--openclaw', openclaw]);
      assert.equal(add.code, 0, add.stderr);
      return dir;
    };
    const tokState = await mkNode(
      'tok',
      {
        agents: { defaults: { workspace: join(root, 'nodes', 'tok', '.openclaw', 'workspace') } },
        gateway: { port: await freePort(), auth: { mode: 'token', token: 'tok-old-token-0000000000000000' } },
      },
      join(root, 'no-openclaw'),
    );
    for (const id of ['oca', 'ocb'])
      await mkNode(id, { agents: { defaults: { workspace: join(root, 'nodes', id, '.openclaw', 'workspace') } }, gateway: { port: await freePort() } }, fake);
    const lines = join(root, 'lines.md');
    await fs.writeFile(lines, '- one more line\n');
    // Backups to prune (the tests before may have pruned), a batch to undo, history entries old enough to prune.
    for (let i = 0; i < 2; i++) assert.equal((await ocm(['backup', 'here', '--engine', 'ocm'])).code, 0);
    const batch = await ocm(['apply', '--append', lines, '--file', 'SOUL.md', '--agents', 'tok/main', '--yes']);
    assert.equal(batch.code, 0, batch.stdout + batch.stderr);
    const old = Date.parse('2026-01-01T00:00:00Z');
    const entry = await storePreEditBackup(env.OCM_HOME!, {
      nodeId: 'here',
      remotePath: memory,
      content: Buffer.from('an old version\n'),
      now: () => new Date(old),
    });
    await storePreEditBackup(env.OCM_HOME!, {
      nodeId: 'here',
      remotePath: memory,
      content: Buffer.from('an older version\n'),
      now: () => new Date(old - 1000),
    });
    await fs.writeFile(memory, 'live now\n');
    const config = join(tokState, 'openclaw.json');

    // Each destructive verb, as an operator would type it (without --yes / --dry-run).
    const verbs: Array<{ verb: string; args: string[]; dryRunExit?: number }> = [
      { verb: 'restore', args: ['restore', 'here/latest'] },
      { verb: 'prune', args: ['prune', '--keep-last', '1'] },
      { verb: 'history restore', args: ['history', 'restore', entry.id] },
      { verb: 'history prune', args: ['history', 'prune', '--keep', '1', '--older-than-days', '1'] },
      { verb: 'timeline --restore', args: ['timeline', 'here', memory, '--restore', '2'] },
      { verb: 'agents remove', args: ['agents', 'remove', 'here', 'main'] },
      { verb: 'migrate', args: ['migrate', 'oca', 'ocb', '--state-dir', join(root, 'nodes', 'ocb', 'migrated')] },
      // The dry run reads the session from the running gateway, and there is none: it fails (exit 1), changing nothing.
      { verb: 'sessions compact', args: ['sessions', 'compact', 'oca', 'agent:main:main'], dryRunExit: 1 },
      { verb: 'token rotate', args: ['token', 'rotate', 'tok'] },
      { verb: 'apply', args: ['apply', '--append', lines, '--file', 'SOUL.md', '--agents', 'tok/main'] },
      { verb: 'apply --undo', args: ['apply', '--undo'] },
      { verb: 'rm', args: ['rm', 'here', memory] },
      { verb: 'mv', args: ['mv', 'tok', config, `${config}.moved`] },
    ];
    const same = async (before: string, what: string): Promise<void> => {
      const now = await everything();
      const was = new Set(before.split('\n'));
      const is = new Set(now.split('\n'));
      assert.deepEqual({ added: [...is].filter((l) => !was.has(l)), removed: [...was].filter((l) => !is.has(l)) }, { added: [], removed: [] }, what);
    };
    for (const v of verbs) {
      const before = await everything();
      const refused = await ocm(v.args);
      assert.equal(refused.code, 2, `${v.verb}: ${refused.stdout}${refused.stderr}`);
      assert.match(refused.stderr, /--yes/, `${v.verb}: the hint names --yes`);
      await same(before, `${v.verb}: nothing changed without --yes`);
      const dry = await ocm([...v.args, '--dry-run'], true);
      assert.equal(dry.code, v.dryRunExit ?? 0, `${v.verb} --dry-run: ${dry.stdout}${dry.stderr}`);
      assert.deepEqual(dry.asked, [], `${v.verb} --dry-run never asks`);
      await same(before, `${v.verb} --dry-run changed nothing`);
    }
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
      ['status', '--threshold', '150'],
      ['status', '--concurrency', '2.5'],
      ['status', '--warn-hours', '-1'],
      ['doctor', '--timeout', '0'],
      ['doctor', '--backup-age', 'old'],
      ['doctor', '--concurrency', '0'],
      ['sessions', 'here', '--threshold', '0'],
      ['token', 'rotate', 'here', '--reload-timeout', 'soon'],
      ['rm', 'here', '/nothing', '--max-size', '0'],
      ['cat', 'here', '/nothing', '--max-size', '5000'],
    ]) {
      const r = await ocm(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /argument '.*' is invalid\. Give /, args.join(' '));
    }
  });
});
