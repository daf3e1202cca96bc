import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  deleteWithHistory,
  findDeleted,
  listDeleted,
  renameWithHistory,
  restoreDeleted,
  whatBreaks,
  workspaceAgentOf,
  type NodeLayout,
} from '../../../src/core/deletes';
import { isOcmError, OcmError } from '../../../src/core/errors';
import { listHistory } from '../../../src/core/history';
import { LocalTransport } from '../../../src/core/transport/local-transport';

describe('deletes never destroy (local node)', () => {
  let root: string;
  let home: string;
  let state: string;
  const t = new LocalTransport({ nodeId: 'n1' });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ocm-del-'));
    home = join(root, 'home');
    state = join(root, 'node', '.openclaw');
    await mkdir(join(state, 'workspace', 'memory'), { recursive: true });
    await mkdir(join(state, 'workspace-research'), { recursive: true });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('says what breaks: config, state dir, workspaces (nested ones too), agent state, memory files', () => {
    const layout: NodeLayout = {
      stateDir: '/s',
      configPath: '/s/openclaw.json',
      agents: [
        { id: 'main', workspace: '/s/workspace', agentDir: '/s/agents/main/agent', isDefault: true },
        { id: 'research', workspace: '/s/workspace/research', agentDir: '/s/agents/research/agent', isDefault: false },
      ],
    };
    const codes = (p: string) => whatBreaks(p, layout).map((c) => `${c.code}${c.agentId ? ':' + c.agentId : ''}`);
    assert.deepEqual(codes('/s/openclaw.json'), ['gatewayWontStart']);
    assert.deepEqual(codes('/s/workspace'), ['agentLosesWorkspace:main', 'agentLosesWorkspace:research']);
    assert.deepEqual(codes('/s/workspace/research/'), ['agentLosesWorkspace:research']);
    assert.deepEqual(codes('/s/agents/research'), ['agentLosesState:research']);
    assert.deepEqual(codes('/s/agents/research/agent'), ['agentLosesState:research']);
    assert.deepEqual(codes('/s/workspace/research/MEMORY.md'), ['agentLosesMemory:research']);
    assert.deepEqual(codes('/s/workspace/SOUL.md'), ['agentLosesIdentity:main']);
    assert.deepEqual(codes('/s/workspace/notes.txt'), []);
    assert.ok(codes('/s').includes('nodeLosesState') && codes('/s').includes('gatewayWontStart'));
    assert.equal(workspaceAgentOf('/s/workspace/research/MEMORY.md', layout), 'research');
    assert.equal(workspaceAgentOf('/s/workspace/MEMORY.md', layout), 'main');
  });

  it('rm keeps the file in the history first; undelete restores it byte for byte with its mode', async () => {
    const file = join(state, 'workspace', 'MEMORY.md');
    const bytes = Buffer.concat([Buffer.from('# Memory\r\n記憶\r\n'), Buffer.from([0xff, 0x00, 0x7f])]);
    await writeFile(file, bytes, { mode: 0o640 });
    const entry = await deleteWithHistory(t, file, { home });
    await assert.rejects(stat(file), /ENOENT/);
    assert.equal(entry.kind, 'file');
    const hist = await listHistory(home, 'n1', file);
    assert.equal(hist[0]!.reason, 'pre-delete');
    const listed = await listDeleted(home, 'n1');
    assert.equal(listed[0]!.id, entry.id);
    assert.equal((await stat(join(home, 'deleted', 'n1'))).mode & 0o777, 0o700);
    assert.equal((await stat(join(home, 'deleted', 'n1', `${entry.id}.json`))).mode & 0o777, 0o600);

    const found = await findDeleted(home, 'n1', file);
    await restoreDeleted(t, found, { home });
    assert.deepEqual(await readFile(file), bytes);
    assert.equal((await stat(file)).mode & 0o777, 0o640);
    assert.equal((await listDeleted(home, 'n1')).length, 0, 'a restored entry leaves Recently Deleted');
  });

  it('undelete refuses to overwrite a file that exists again, unless confirmed (then the current one is kept too)', async () => {
    const file = join(state, 'workspace', 'USER.md');
    await writeFile(file, 'old user\n');
    const entry = await deleteWithHistory(t, file, { home });
    await writeFile(file, 'agent made a new one\n');
    await assert.rejects(
      restoreDeleted(t, entry, { home }),
      (e: unknown) => isOcmError(e, 'exists') && /exists again on n1; nothing was restored/.test(e.message),
    );
    assert.equal(await readFile(file, 'utf8'), 'agent made a new one\n');
    await restoreDeleted(t, entry, { home, overwrite: true });
    assert.equal(await readFile(file, 'utf8'), 'old user\n');
    assert.ok((await listHistory(home, 'n1', file)).some((h) => h.reason === 'pre-restore' && h.size === 'agent made a new one\n'.length));
  });

  it('a folder is kept whole (files, empty sub-folders) and restored; symlinks are listed as not kept', async () => {
    const ws = join(state, 'workspace-research');
    await mkdir(join(ws, 'memory', 'dreaming'), { recursive: true });
    await mkdir(join(ws, 'empty'), { recursive: true });
    await writeFile(join(ws, 'SOUL.md'), 'soul\n');
    await writeFile(join(ws, 'memory', '2026-12-01.md'), 'note\n');
    await symlink('/etc/hostname', join(ws, 'link'));
    await assert.rejects(deleteWithHistory(t, ws, { home }), (e: unknown) => isOcmError(e, 'invalidInput') && (e as OcmError).details.code === 'isFolder');
    const entry = await deleteWithHistory(t, ws, { home, recursive: true });
    await assert.rejects(stat(ws), /ENOENT/);
    assert.equal(entry.kind, 'folder');
    assert.deepEqual(entry.files.map((f) => f.rel).sort(), ['SOUL.md', 'memory/2026-12-01.md']);
    assert.deepEqual(entry.dirs.sort(), ['empty', 'memory', 'memory/dreaming']);
    assert.deepEqual(entry.skipped, ['link']);
    await restoreDeleted(t, entry, { home });
    assert.equal(await readFile(join(ws, 'memory', '2026-12-01.md'), 'utf8'), 'note\n');
    assert.ok((await stat(join(ws, 'memory', 'dreaming'))).isDirectory());
    assert.ok((await stat(join(ws, 'empty'))).isDirectory());
  });

  it('a folder above the size cap is refused with what to do, and nothing is deleted', async () => {
    const big = join(state, 'workspace', 'big');
    await mkdir(big, { recursive: true });
    await writeFile(join(big, 'a.bin'), Buffer.alloc(3000));
    await writeFile(join(big, 'b.bin'), Buffer.alloc(3000));
    await assert.rejects(
      deleteWithHistory(t, big, { home, recursive: true, maxBytes: 4000 }),
      (e: unknown) => isOcmError(e, 'invalidInput') && e.details.code === 'folderTooLarge' && /nothing was deleted. Take a backup/.test(e.message),
    );
    assert.ok((await stat(join(big, 'a.bin'))).isFile());
    await assert.rejects(deleteWithHistory(t, big, { home, recursive: true, maxFiles: 1 }), /more than 1 files/);
  });

  it('a rename keeps the source in the history and sends a file it replaces to Recently Deleted', async () => {
    const a = join(state, 'workspace', 'A.md');
    const b = join(state, 'workspace', 'B.md');
    await writeFile(a, 'aaa\n');
    await writeFile(b, 'bbb\n');
    await assert.rejects(renameWithHistory(t, a, b, { home }), (e: unknown) => isOcmError(e, 'exists'));
    const { replaced } = await renameWithHistory(t, a, b, { home, overwrite: true });
    assert.equal(await readFile(b, 'utf8'), 'aaa\n');
    assert.equal((await listHistory(home, 'n1', a))[0]!.reason, 'pre-rename');
    assert.equal(replaced!.via, 'overwrite');
    assert.equal(replaced!.path, b);
    // the replaced B.md can come back (onto a free path: move A away first)
    await t.remove(b);
    await restoreDeleted(t, replaced!, { home });
    assert.equal(await readFile(b, 'utf8'), 'bbb\n');
  });

  it('a failed remove leaves no Recently Deleted record claiming the file is gone', async () => {
    const file = join(state, 'workspace', 'keep.md');
    await writeFile(file, 'keep\n');
    const failing = new Proxy(t, {
      get(target, prop, receiver) {
        if (prop === 'remove') return async () => Promise.reject(new OcmError('disconnected', 'lost (injected)'));
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const before = (await listDeleted(home, 'n1')).length;
    await assert.rejects(deleteWithHistory(failing, file, { home }), /lost/);
    assert.equal(await readFile(file, 'utf8'), 'keep\n');
    assert.equal((await listDeleted(home, 'n1')).length, before);
  });
});
