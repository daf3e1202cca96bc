import { strict as assert } from 'node:assert';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { listHistory, readHistoryEntry, sha256Hex } from '../../../src/core/history';
import { COMMENTS_WARNING, fileKindFor, readForEdit, restoreHistoryEntry, safeWrite } from '../../../src/core/safe-write';
import { LocalTransport } from '../../../src/core/transport/local-transport';

const NODE = 'n1';

/** A stand-in `openclaw` for unit tests: prints what 2026.9.6 prints (checked against the real CLI). */
const FAKE_OPENCLAW = `#!/bin/sh
# usage: openclaw config validate --json   (candidate in $OPENCLAW_CONFIG_PATH)
[ "$1 $2 $3" = "config validate --json" ] || { echo "unexpected args: $*" >&2; exit 2; }
[ -n "$OCM_FAKE_SIDE_EFFECT" ] && sh -c "$OCM_FAKE_SIDE_EFFECT"
if grep -q bogusKey "$OPENCLAW_CONFIG_PATH"; then
  printf '{\\n  "ok": false,\\n  "error": {"type": "cli_error", "message": "OpenClaw config is invalid: %s"},\\n  "valid": false,\\n  "path": "%s",\\n  "issues": [{"path": "tools", "message": "Unrecognized key: \\\\"bogusKey\\\\""}]\\n}\\n' "$OPENCLAW_CONFIG_PATH" "$OPENCLAW_CONFIG_PATH"
  exit 1
fi
echo "state=$OPENCLAW_STATE_DIR mode=$(stat -c %a "$OPENCLAW_CONFIG_PATH")" > "$OCM_FAKE_LOG"
printf '{"valid":true,"path":"%s","warnings":[]}\\n' "$OPENCLAW_CONFIG_PATH"
`;

describe('safe save over LocalTransport', () => {
  let root: string;
  let home: string;
  let remote: string;
  let fakeOpenclaw: string;
  let fakeLog: string;
  const t = new LocalTransport({ nodeId: NODE });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ocm-sw-'));
    home = join(root, 'home');
    remote = join(root, 'node', 'state 状態');
    await mkdir(remote, { recursive: true });
    fakeOpenclaw = join(root, 'bin', 'open claw');
    fakeLog = join(root, 'fake.log');
    await mkdir(join(root, 'bin'));
    await writeFile(fakeOpenclaw, FAKE_OPENCLAW, { mode: 0o755 });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('saves, keeps the old bytes in an owner-only pre-edit backup, and returns the new expected', async () => {
    const file = join(remote, 'MEMORY.md');
    await writeFile(file, 'old memory\n');
    await chmod(file, 0o640);
    const opened = await readForEdit(t, file);
    assert.equal(opened.content.toString(), 'old memory\n');
    assert.equal(opened.sha256, sha256Hex(Buffer.from('old memory\n')));
    assert.equal(opened.mode, 0o640);

    const res = await safeWrite(t, { home, remotePath: file, content: Buffer.from('new memory\n'), expected: opened });
    assert.equal(await readFile(file, 'utf8'), 'new memory\n');
    assert.equal((await stat(file)).mode & 0o7777, 0o640, 'mode kept');
    assert.equal(res.savedSha256, sha256Hex(Buffer.from('new memory\n')));
    assert.equal(res.size, 11);
    assert.equal(res.mtimeMs, Math.floor((await stat(file)).mtimeMs));
    assert.equal(res.configChanged, false);
    assert.equal(res.created, false);
    assert.equal(res.validatedBy, 'none');
    assert.deepEqual(res.warnings, []);
    assert.ok(res.backupId);

    const backup = await readHistoryEntry(home, res.backupId);
    assert.equal(backup.content.toString(), 'old memory\n');
    assert.equal(backup.entry.remotePath, file);
    assert.equal(backup.entry.nodeId, NODE);
    assert.equal(backup.entry.mode, 0o640);
    assert.equal(backup.entry.reason, 'pre-edit');
    const saved = await readHistoryEntry(home, res.savedId!);
    assert.equal(saved.content.toString(), 'new memory\n', 'the saved version is recorded too');
    assert.equal(saved.entry.reason, 'saved');

    // Owner-only all the way down.
    const nodeDir = join(home, 'history', NODE);
    assert.equal((await stat(join(home, 'history'))).mode & 0o777, 0o700);
    assert.equal((await stat(nodeDir)).mode & 0o777, 0o700);
    for (const key of await readdir(nodeDir)) {
      assert.equal((await stat(join(nodeDir, key))).mode & 0o777, 0o700);
      for (const f of await readdir(join(nodeDir, key))) assert.equal((await stat(join(nodeDir, key, f))).mode & 0o777, 0o600, f);
    }
    // Nothing was left beside the remote file.
    assert.deepEqual(await readdir(remote), ['MEMORY.md']);

    // The result is the next `expected`: a second save goes through.
    const res2 = await safeWrite(t, {
      home,
      remotePath: file,
      content: Buffer.from('newer\n'),
      expected: { sha256: res.savedSha256, mtimeMs: res.mtimeMs, size: res.size },
    });
    assert.equal((await readHistoryEntry(home, res2.backupId!)).content.toString(), 'new memory\n');
  });

  it('refuses a save when the agent wrote the file meanwhile; both versions survive', async () => {
    const file = join(remote, 'SOUL.md');
    await writeFile(file, 'v1 original');
    const opened = await readForEdit(t, file);
    // The agent rewrites its own file (same size, same second: only the hash tells).
    await writeFile(file, 'v2 by agent');
    const mine = Buffer.from('v1 + my edit');
    await assert.rejects(safeWrite(t, { home, remotePath: file, content: mine, expected: opened }), (e) => {
      assert.ok(isOcmError(e, 'conflict'), String(e));
      assert.match(e.message, /changed on the node since you opened it; your version was NOT saved/);
      assert.match(e.message, /ocm put --force/);
      assert.equal(e.details.remoteSha256, sha256Hex(Buffer.from('v2 by agent')));
      assert.equal(e.details.remoteSize, 11);
      assert.equal(typeof e.details.remoteMtimeMs, 'number');
      assert.ok(typeof e.details.backupId === 'string');
      return true;
    });
    assert.equal(await readFile(file, 'utf8'), 'v2 by agent', "the agent's version is on the node");
    const history = await listHistory(home, NODE, file);
    assert.equal(history[0]!.sha256, sha256Hex(Buffer.from('v2 by agent')), 'and in the history');
    assert.equal(mine.toString(), 'v1 + my edit', 'the caller still has mine');

    // Overwrite is an explicit choice: allowed, and the agent's version is still backed up.
    const forced = await safeWrite(t, { home, remotePath: file, content: mine, expected: opened, overwrite: true });
    assert.equal(await readFile(file, 'utf8'), 'v1 + my edit');
    assert.equal((await readHistoryEntry(home, forced.backupId!)).content.toString(), 'v2 by agent');
  });

  it('detects a file deleted, or created, since it was opened', async () => {
    const file = join(remote, 'gone.md');
    await writeFile(file, 'x');
    const opened = await readForEdit(t, file);
    await rm(file);
    await assert.rejects(
      safeWrite(t, { home, remotePath: file, content: Buffer.from('y'), expected: opened }),
      (e) => isOcmError(e, 'conflict') && /was deleted/.test(e.message) && e.details.remoteSha256 === null,
    );
    await assert.rejects(stat(file), /ENOENT/);

    const fresh = join(remote, 'memory', '2026-11-22.md');
    await mkdir(join(remote, 'memory'));
    const created = await safeWrite(t, { home, remotePath: fresh, content: Buffer.from('note'), expected: 'absent', newFileMode: 0o600 });
    assert.equal(created.created, true);
    assert.equal(created.backupId, undefined);
    assert.equal((await stat(fresh)).mode & 0o777, 0o600);
    await assert.rejects(
      safeWrite(t, { home, remotePath: fresh, content: Buffer.from('other'), expected: 'absent' }),
      (e) => isOcmError(e, 'conflict') && /already exists/.test(e.message),
    );
    assert.equal(await readFile(fresh, 'utf8'), 'note');
  });

  it('catches a write that lands while the save is being validated (last look before the rename)', async () => {
    const file = join(remote, 'openclaw.json');
    await writeFile(file, '{ gateway: { port: 1 } }');
    const opened = await readForEdit(t, file);
    const sideEffect = `printf '{ gateway: { port: 2 } }' > '${file}'`;
    await assert.rejects(
      safeWrite(t, {
        home,
        remotePath: file,
        content: Buffer.from('{ gateway: { port: 3 } }'),
        expected: opened,
        validator: { openclawPath: fakeOpenclaw, env: { OCM_FAKE_SIDE_EFFECT: sideEffect, OCM_FAKE_LOG: fakeLog } },
      }),
      (e) => isOcmError(e, 'conflict') && /changed while this save was being checked/.test(e.message),
    );
    assert.equal(await readFile(file, 'utf8'), '{ gateway: { port: 2 } }');
    const history = await listHistory(home, NODE, file);
    assert.deepEqual(history.map((h) => h.reason).slice(0, 2), ['changed-during-save', 'pre-edit']);
    assert.deepEqual(
      (await readdir(remote)).filter((n) => n.includes('ocm')),
      [],
      'candidate removed',
    );
  });

  it('refuses config that is not JSON5, naming line and column; the live file is untouched', async () => {
    const file = join(remote, 'openclaw.json');
    await writeFile(file, '{ gateway: { port: 18789 } }\n');
    const opened = await readForEdit(t, file);
    await assert.rejects(safeWrite(t, { home, remotePath: file, content: Buffer.from('{\n  gateway: { port: 18789, }\n  oops\n}'), expected: opened }), (e) => {
      assert.ok(isOcmError(e, 'invalidConfig'));
      assert.match(e.message, /not valid JSON5 at line 3, column 3 \(invalid character .o.\)/);
      assert.match(e.message, /file on the node is unchanged/);
      assert.equal(e.details.line, 3);
      return true;
    });
    assert.equal(await readFile(file, 'utf8'), '{ gateway: { port: 18789 } }\n');
  });

  it("validates a config candidate with the node's openclaw and refuses OpenClaw's complaints", async () => {
    const file = join(remote, 'openclaw.json');
    await writeFile(file, '{ gateway: { port: 18789 } }\n');
    await chmod(file, 0o600);
    const validator = { openclawPath: fakeOpenclaw, stateDir: remote, env: { OCM_FAKE_LOG: fakeLog } };
    let opened = await readForEdit(t, file);
    await assert.rejects(safeWrite(t, { home, remotePath: file, content: Buffer.from('{ tools: { bogusKey: 1 } }'), expected: opened, validator }), (e) => {
      assert.ok(isOcmError(e, 'invalidConfig'));
      assert.match(e.message, /OpenClaw says the config is invalid/);
      assert.match(e.message, /tools: Unrecognized key: "bogusKey"/);
      assert.ok(!e.message.includes('.ocm-candidate-'), 'names the live file, not the candidate');
      return true;
    });
    assert.equal(await readFile(file, 'utf8'), '{ gateway: { port: 18789 } }\n');

    opened = await readForEdit(t, file);
    const res = await safeWrite(t, { home, remotePath: file, content: Buffer.from('// port\n{ gateway: { port: 18790 } }\n'), expected: opened, validator });
    assert.equal(res.validatedBy, 'openclaw');
    assert.equal(res.configChanged, true);
    assert.ok(res.warnings.includes(COMMENTS_WARNING));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(await readFile(fakeLog, 'utf8'), `state=${remote} mode=600\n`, 'candidate was 0600 and the state dir was exported');
    assert.deepEqual(
      (await readdir(remote)).filter((n) => n.includes('ocm')),
      [],
    );

    // Saving the same bytes again: not a config change.
    const again = await safeWrite(t, {
      home,
      remotePath: file,
      content: Buffer.from('// port\n{ gateway: { port: 18790 } }\n'),
      expected: { sha256: res.savedSha256 },
      validator,
    });
    assert.equal(again.configChanged, false);
  });

  it('saves a symlinked openclaw.json (kept in a dotfiles repo) through to its target; the link stays', async () => {
    const state = join(root, 'linked-state');
    const repo = join(root, 'dotfiles', 'openclaw');
    await mkdir(state, { recursive: true });
    await mkdir(repo, { recursive: true });
    await writeFile(join(repo, 'openclaw.json'), '{ gateway: { port: 1 } }\n');
    await chmod(join(repo, 'openclaw.json'), 0o640);
    await symlink('../dotfiles/openclaw/openclaw.json', join(state, 'openclaw.json'));
    const link = join(state, 'openclaw.json');
    const opened = await readForEdit(t, link);
    assert.equal(opened.content.toString(), '{ gateway: { port: 1 } }\n');
    await safeWrite(t, { home, remotePath: link, content: Buffer.from('{ gateway: { port: 2 } }\n'), expected: opened });
    assert.equal((await lstat(link)).isSymbolicLink(), true, 'the link is kept');
    assert.equal(await readlink(link), '../dotfiles/openclaw/openclaw.json');
    assert.equal(await readFile(join(repo, 'openclaw.json'), 'utf8'), '{ gateway: { port: 2 } }\n');
    assert.equal((await stat(join(repo, 'openclaw.json'))).mode & 0o777, 0o640);
    assert.deepEqual(await readdir(repo), ['openclaw.json'], 'no temp file left beside the target');
    assert.deepEqual(await readdir(state), ['openclaw.json']);
  });

  it('saves with a warning when the openclaw CLI cannot run', async () => {
    const file = join(remote, 'openclaw.json');
    const opened = await readForEdit(t, file);
    const res = await safeWrite(t, {
      home,
      remotePath: file,
      content: Buffer.from('{ gateway: { port: 1 } }'),
      expected: opened,
      validator: { openclawPath: join(root, 'no such openclaw') },
    });
    assert.equal(res.validatedBy, 'json5');
    assert.ok(
      res.warnings.some((w) => /validation did not run/.test(w)),
      res.warnings.join('\n'),
    );
  });

  it('handles paths with spaces, quotes and Japanese characters', async () => {
    const dir = join(remote, "workspace-仕事 it's");
    await mkdir(dir);
    const file = join(dir, 'メモ $HOME.md');
    await writeFile(file, '古い');
    const opened = await readForEdit(t, file);
    const res = await safeWrite(t, { home, remotePath: file, content: Buffer.from('新しい'), expected: opened });
    assert.equal(await readFile(file, 'utf8'), '新しい');
    assert.equal((await readHistoryEntry(home, res.backupId!)).content.toString(), '古い');
    const entries = await listHistory(home, NODE, file);
    assert.deepEqual(
      entries.map((h) => [h.remotePath, h.reason]),
      [
        [file, 'saved'],
        [file, 'pre-edit'],
      ],
    );
    assert.equal((await readHistoryEntry(home, res.savedId!)).content.toString(), '新しい');
  });

  it('lists history newest first and restores an entry through the safe save', async () => {
    const file = join(remote, 'USER.md');
    await writeFile(file, 'one');
    let ids: string[] = [];
    for (const next of ['two', 'three', 'four']) {
      const opened = await readForEdit(t, file);
      ids.push((await safeWrite(t, { home, remotePath: file, content: Buffer.from(next), expected: opened })).backupId!);
    }
    // Newest first: the version the last save wrote, then each version a save replaced.
    const list = await listHistory(home, NODE, file);
    assert.deepEqual(
      list.slice(1).map((e) => e.id),
      [...ids].reverse(),
    );
    assert.deepEqual(
      list.map((e) => e.size),
      [4, 5, 3, 3],
    );
    assert.deepEqual(
      list.map((e) => e.reason),
      ['saved', 'saved', 'saved', 'pre-edit'],
    );
    ids = [];

    const oldest = list[3]!;
    const restored = await restoreHistoryEntry(t, { home, id: oldest.id });
    assert.equal(await readFile(file, 'utf8'), 'one');
    assert.equal(restored.restored.id, oldest.id);
    assert.equal((await readHistoryEntry(home, restored.backupId!)).content.toString(), 'four', 'the live version before the restore is kept');
    const after = await listHistory(home, NODE, file);
    assert.equal(after[0]!.id, restored.savedId);

    // A restore with a stale `expected` is a conflict like any save.
    await assert.rejects(restoreHistoryEntry(t, { home, id: list[0]!.id, expected: { sha256: sha256Hex(Buffer.from('stale')) } }), (e) =>
      isOcmError(e, 'conflict'),
    );
    // Entries of another node are refused.
    await assert.rejects(restoreHistoryEntry(new LocalTransport({ nodeId: 'other' }), { home, id: list[0]!.id }), (e) => isOcmError(e, 'invalidInput'));
  });

  it('judges file kinds from names', () => {
    assert.equal(fileKindFor('/a/openclaw.json'), 'openclawConfig');
    assert.equal(fileKindFor('/a/clawdbot.json'), 'openclawConfig');
    assert.equal(fileKindFor('/a/channels.json5'), 'json5');
    assert.equal(fileKindFor('/a/MEMORY.md'), 'text');
  });

  it('refuses relative paths and folders', async () => {
    await assert.rejects(safeWrite(t, { home, remotePath: 'MEMORY.md', content: Buffer.from(''), expected: 'absent' }), (e) => isOcmError(e, 'invalidInput'));
    await assert.rejects(
      safeWrite(t, { home, remotePath: remote, content: Buffer.from(''), expected: 'absent' }),
      (e) => isOcmError(e, 'invalidInput') && /is a folder/.test(e.message),
    );
  });
});
