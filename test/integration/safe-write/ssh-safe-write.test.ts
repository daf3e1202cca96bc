import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { listHistory, readHistoryEntry, sha256Hex } from '../../../src/core/history';
import { readForEdit, restoreHistoryEntry, safeWrite } from '../../../src/core/safe-write';
import { SshPool } from '../../../src/core/ssh/pool';
import { shellQuote } from '../../../src/core/transport/shell-quote';
import type { Transport } from '../../../src/core/transport/types';
import { runCli } from '../../support/cli';
import { killSessions, registryEntryFor, runAsNodeUser, startSshNodes, targetFor, type SshNode, type SshNodeSet } from '../../support/sshd';

/** Safe save over a REAL sshd node and the pooled ssh2 transport; the "agent" writes as the node's user. */
describe('safe save over SSH (real sshd)', { timeout: 300_000 }, () => {
  let set: SshNodeSet;
  let node: SshNode;
  let pool: SshPool;
  let t: Transport;
  let home: string;
  let ws: string;

  /** Runs as the node's user on the node (what the agent or another editor would do). */
  const onNode = async (command: string): Promise<string> => (await runAsNodeUser(node, command)).stdout;
  const remoteBytes = async (path: string): Promise<Buffer> => Buffer.from((await runAsNodeUser(node, `base64 < ${shellQuote(path)}`)).stdout, 'base64');
  const remoteMode = async (path: string): Promise<string> => (await onNode(`stat -c %a ${shellQuote(path)}`)).trim();

  before(async () => {
    set = await startSshNodes(1);
    node = set.nodes[0]!;
    pool = new SshPool();
    t = pool.transportFor(targetFor(node));
    home = await mkdtemp(join(tmpdir(), 'ocm-ssh-sw-'));
    ws = `${node.home}/.openclaw/workspace 仕事 it's`;
    await onNode(`mkdir -p ${shellQuote(ws)}`);
  });
  after(async () => {
    await pool?.close();
    await set?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('saves MEMORY.md: pre-edit backup holds the old bytes, mode and owner kept', async () => {
    const file = `${ws}/MEMORY.md`;
    await onNode(`printf 'old memory\\n' > ${shellQuote(file)} && chmod 640 ${shellQuote(file)}`);
    const opened = await readForEdit(t, file);
    assert.equal(opened.content.toString(), 'old memory\n');
    assert.ok(opened.mtimeMs > 1e12, 'mtime in ms');
    const res = await safeWrite(t, { home, nodeId: node.id, remotePath: file, content: Buffer.from('new memory 新しい\n'), expected: opened });
    assert.equal((await remoteBytes(file)).toString(), 'new memory 新しい\n');
    assert.equal(await remoteMode(file), '640');
    assert.equal((await onNode(`stat -c %U ${shellQuote(file)}`)).trim(), node.user);
    assert.equal((await readHistoryEntry(home, res.backupId!)).content.toString(), 'old memory\n');
    assert.equal(res.savedSha256, sha256Hex(Buffer.from('new memory 新しい\n')));
    assert.deepEqual((await onNode(`ls -A ${shellQuote(ws)}`)).trim().split('\n'), ['MEMORY.md'], 'no temp files left');
  });

  it('refuses to overwrite what the agent wrote after the file was opened; both versions survive', async () => {
    const file = `${ws}/MEMORY.md`;
    const opened = await readForEdit(t, file);
    await onNode(`printf 'agent wrote this\\n' > ${shellQuote(file)}`); // the agent, same second
    const mine = Buffer.from('my edit\n');
    await assert.rejects(safeWrite(t, { home, nodeId: node.id, remotePath: file, content: mine, expected: opened }), (e) => {
      assert.ok(isOcmError(e, 'conflict'), String(e));
      assert.equal(e.details.remoteSha256, sha256Hex(Buffer.from('agent wrote this\n')));
      return true;
    });
    assert.equal((await remoteBytes(file)).toString(), 'agent wrote this\n');
    assert.equal((await listHistory(home, node.id, file))[0]!.sha256, sha256Hex(Buffer.from('agent wrote this\n')));
    assert.equal(mine.toString(), 'my edit\n');
  });

  it('refuses an invalid openclaw.json and leaves the live file untouched', async () => {
    const file = `${node.home}/.openclaw/openclaw.json`;
    await onNode(`printf '{ gateway: { port: 18789 } }\\n' > ${shellQuote(file)} && chmod 600 ${shellQuote(file)}`);
    const opened = await readForEdit(t, file);
    await assert.rejects(
      safeWrite(t, { home, nodeId: node.id, remotePath: file, content: Buffer.from('{ gateway: { port: 18789 }'), expected: opened }),
      (e) => isOcmError(e, 'invalidConfig') && /line 1/.test(e.message),
    );
    assert.equal((await remoteBytes(file)).toString(), '{ gateway: { port: 18789 } }\n');
    assert.equal(await remoteMode(file), '600');
  });

  it('saves a symlinked openclaw.json (kept in a dotfiles repo) through to the target: the link stays a link', async () => {
    // ~/.openclaw/openclaw.json → ../dots/current.json → repo/openclaw.json (relative links, two hops, two folders).
    const state = `${node.home}/.openclaw`;
    const link = `${state}/openclaw.json`;
    const dots = `${node.home}/dots`;
    const target = `${dots}/repo/openclaw.json`;
    await onNode(
      `rm -f ${shellQuote(link)} && mkdir -p ${shellQuote(`${dots}/repo`)} && printf '{ gateway: { port: 1 } }\\n' > ${shellQuote(target)} && chmod 640 ${shellQuote(target)}`,
    );
    await onNode(`ln -s repo/openclaw.json ${shellQuote(`${dots}/current.json`)} && ln -s ../dots/current.json ${shellQuote(link)}`);
    const opened = await readForEdit(t, link);
    assert.equal(opened.content.toString(), '{ gateway: { port: 1 } }\n');
    await safeWrite(t, { home, nodeId: node.id, remotePath: link, content: Buffer.from('{ gateway: { port: 2 } }\n'), expected: opened });
    assert.equal((await onNode(`readlink ${shellQuote(link)}`)).trim(), '../dots/current.json', 'the link is kept');
    assert.equal((await onNode(`readlink ${shellQuote(`${dots}/current.json`)}`)).trim(), 'repo/openclaw.json', 'the middle link too');
    assert.equal((await remoteBytes(target)).toString(), '{ gateway: { port: 2 } }\n', 'the target has the new bytes');
    assert.equal(await remoteMode(target), '640');
    assert.deepEqual((await onNode(`ls -A ${shellQuote(`${dots}/repo`)}`)).trim().split('\n'), ['openclaw.json'], 'no temp files left beside the target');
    assert.doesNotMatch(await onNode(`ls -A ${shellQuote(state)}`), /\.ocm-/, 'none beside the link');

    // A link whose target does not exist yet: the save creates the target, the link stays.
    const fresh = `${state}/SOUL.md`;
    await onNode(`rm -f ${shellQuote(fresh)} && ln -s ../dots/repo/SOUL.md ${shellQuote(fresh)}`);
    await t.writeFileAtomic(fresh, Buffer.from('soul\n'));
    assert.equal((await onNode(`readlink ${shellQuote(fresh)}`)).trim(), '../dots/repo/SOUL.md');
    assert.equal((await remoteBytes(`${dots}/repo/SOUL.md`)).toString(), 'soul\n');
    await onNode(`rm -f ${shellQuote(fresh)} ${shellQuote(link)} && cp ${shellQuote(target)} ${shellQuote(link)}`);
  });

  it('creates a new daily note with a Japanese name, and refuses to create over a newcomer', async () => {
    const file = `${ws}/memory/2026-11-22 日記 $x.md`;
    await onNode(`mkdir -p ${shellQuote(`${ws}/memory`)}`);
    const res = await safeWrite(t, { home, nodeId: node.id, remotePath: file, content: Buffer.from('note'), expected: 'absent', newFileMode: 0o600 });
    assert.equal(res.created, true);
    assert.equal(await remoteMode(file), '600');
    await assert.rejects(safeWrite(t, { home, nodeId: node.id, remotePath: file, content: Buffer.from('other'), expected: 'absent' }), (e) =>
      isOcmError(e, 'conflict'),
    );
    assert.equal((await remoteBytes(file)).toString(), 'note');
  });

  it('restores a history entry over SSH through the safe save', async () => {
    const file = `${ws}/MEMORY.md`;
    const entries = await listHistory(home, node.id, file);
    const original = entries.find((e) => e.sha256 === sha256Hex(Buffer.from('old memory\n')))!;
    const res = await restoreHistoryEntry(t, { home, id: original.id });
    assert.equal((await remoteBytes(file)).toString(), 'old memory\n');
    assert.equal((await readHistoryEntry(home, res.backupId!)).content.toString(), 'agent wrote this\n');
    assert.equal(await remoteMode(file), '640');
  });

  it('a connection killed mid-save leaves the old or the new content (never a mix) and the backup', async () => {
    const dir = `${ws}/kill test`;
    const file = `${dir}/big MEMORY.md`;
    const oldBytes = Buffer.alloc(8 * 1024 * 1024, 'o');
    const newBytes = Buffer.alloc(8 * 1024 * 1024, 'n');
    const outcomes: string[] = [];
    // 'upload': kill as soon as the temp file shows up beside the target (bytes are flowing);
    // numbers: kill that many ms after the save started (during backup, checks, upload or rename).
    for (const trigger of ['upload', 5, 40, 150, 400] as const) {
      await onNode(`rm -rf ${shellQuote(dir)} && mkdir ${shellQuote(dir)} && head -c ${oldBytes.length} /dev/zero | tr '\\0' o > ${shellQuote(file)}`);
      const opened = await readForEdit(t, file);
      assert.equal(opened.sha256, sha256Hex(oldBytes));
      const saving = safeWrite(t, { home, nodeId: node.id, remotePath: file, content: newBytes, expected: opened }).then(
        () => 'saved',
        (e: unknown) => (isOcmError(e) ? e.kind : String(e)),
      );
      if (trigger === 'upload') {
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline && (await onNode(`ls -A ${shellQuote(dir)} | wc -l`)).trim() === '1') await new Promise((r) => setTimeout(r, 2));
      } else {
        await new Promise((r) => setTimeout(r, trigger));
      }
      await killSessions(node);
      const outcome = await saving;
      const now = sha256Hex(await remoteBytes(file));
      assert.ok(now === sha256Hex(oldBytes) || now === sha256Hex(newBytes), `after a kill (${trigger}) the file is neither old nor new (outcome ${outcome})`);
      // A failed save may still have landed (rename done, its reply lost with the connection);
      // a reported success must have.
      if (outcome === 'saved') assert.equal(now, sha256Hex(newBytes));
      // Whenever the new bytes reached the file, the old ones are in the history.
      if (now === sha256Hex(newBytes))
        assert.ok((await listHistory(home, node.id, file)).some((e) => e.sha256 === sha256Hex(oldBytes) && e.reason === 'pre-edit'));
      const leftovers = (await onNode(`ls -A ${shellQuote(dir)}`)).trim().split('\n').length - 1;
      outcomes.push(`${trigger}:${outcome}:${now === sha256Hex(newBytes) ? 'new' : 'old'}${leftovers ? `:+${leftovers} temp` : ''}`);
      // The next operation reconnects by itself.
      await t.stat(file);
    }
    console.log(`kill outcomes: ${outcomes.join(', ')}`);
    assert.ok(
      outcomes.some((o) => !o.includes(':saved:')),
      `no kill landed during a save: ${outcomes.join(', ')}`,
    );
  });

  it('ocm cat / put / history / restore work over SSH', async () => {
    const user = join(home, 'cli-user');
    await mkdir(join(user, '.ssh'), { recursive: true, mode: 0o700 });
    await writeFile(join(user, '.ssh', 'known_hosts'), `${node.knownHostsLine}\n`);
    const cliHome = join(user, 'ocm');
    await mkdir(cliHome, { mode: 0o700 });
    await writeFile(join(cliHome, 'nodes.json'), JSON.stringify({ version: 1, nodes: [registryEntryFor(node)] }));
    const env = { HOME: user, OCM_HOME: cliHome, PATH: process.env.PATH };
    const file = `${ws}/SOUL.md`;
    await onNode(`printf 'soul v1' > ${shellQuote(file)}`);

    const cat = await runCli(['cat', node.id, file, '--json'], env);
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.json().content, 'soul v1');
    const local = join(user, 'soul.md');
    await writeFile(local, 'soul v2 魂');
    await onNode(`printf 'soul by agent' > ${shellQuote(file)}`);
    const stale = await runCli(['put', node.id, file, local, '--expect-sha256', cat.json().sha256, '--json'], env);
    assert.equal(stale.code, 1);
    assert.equal(stale.json().error.kind, 'conflict');
    assert.equal((await remoteBytes(file)).toString(), 'soul by agent');

    const fresh = (await runCli(['cat', node.id, file, '--json'], env)).json().sha256 as string;
    const put = await runCli(['put', node.id, file, local, '--expect-sha256', fresh], env);
    assert.equal(put.code, 0, put.stderr);
    assert.equal((await remoteBytes(file)).toString(), 'soul v2 魂');

    const list = await runCli(['history', node.id, file, '--json'], env);
    const entries = list.json().entries as { id: string; sha256: string }[];
    assert.deepEqual(
      entries.map((e) => e.sha256),
      [sha256Hex(Buffer.from('soul v2 魂')), sha256Hex(Buffer.from('soul by agent'))],
    );
    const restore = await runCli(['history', 'restore', entries[1]!.id, '--yes'], env);
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal((await remoteBytes(file)).toString(), 'soul by agent');

    // openclaw.json on a node without OpenClaw: JSON5 is still enforced, and the warning says why that is all.
    const cfg = `${node.home}/.openclaw/openclaw.json`;
    const cfgSha = (await runCli(['cat', node.id, cfg, '--json'], env)).json().sha256 as string;
    await writeFile(local, '{ gateway: { port: 18790 } }');
    const cfgPut = await runCli(['put', node.id, cfg, local, '--expect-sha256', cfgSha, '--json'], env);
    assert.equal(cfgPut.code, 0, cfgPut.stderr);
    assert.equal(cfgPut.json().validatedBy, 'json5');
    assert.ok((cfgPut.json().warnings as string[]).some((w) => /Only the JSON5 syntax was checked/.test(w)));
  });
});
