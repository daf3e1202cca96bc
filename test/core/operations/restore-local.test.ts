import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { backupNode, backupSourcesFromLocation, BackupStore } from '../../../src/core/backup';
import { OcmError } from '../../../src/core/errors';
import { readOpenclawConfig, type OpenclawLocation } from '../../../src/core/openclaw';
import { applyRestore, planRestore, readPlannedAfter, readPlannedBefore, resolveRestorePath, type RestoreScope } from '../../../src/core/operations';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import type { Transport } from '../../../src/core/transport/types';
import { ensureSqlite3 } from '../backup/tools';

/**
 * Restore planning and apply/rollback through the real LocalTransport on a synthetic
 * OpenClaw-shaped tree (no gateway: it is "not running", so stop/start are no-ops). A real gateway
 * over real SSH is in test/integration/operations/restore.test.ts.
 */

const transport = new LocalTransport({ nodeId: 'n1' });
let root: string;
let home: string;
let state: string;
let store: BackupStore;
let location: OpenclawLocation;
let repositoryRoot: string;
let backupIndexRef: string;

const files: Record<string, string> = {
  'workspace/MEMORY.md': '# Memory\n- tea, no sugar\n',
  'workspace/SOUL.md': 'You are calm.\n',
  'workspace-work/SOUL.md': 'You are precise.\n',
  'workspace-work/memory/2026-01-01.md': 'daily note\n',
  'agents/main/agent/models.json': '{}\n',
};

async function write(path: string, data: string, mode?: number): Promise<void> {
  await fs.mkdir(join(path, '..'), { recursive: true });
  await fs.writeFile(path, data);
  if (mode !== undefined) await fs.chmod(path, mode);
}

async function treeHashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile())
        out[relative(dir, p)] =
          createHash('sha256')
            .update(await fs.readFile(p))
            .digest('hex') + ((await fs.stat(p)).mode & 0o777).toString(8);
    }
  };
  await walk(dir);
  return out;
}

async function resetLive(): Promise<void> {
  await fs.rm(state, { recursive: true, force: true });
  await write(
    join(state, 'openclaw.json'),
    JSON.stringify(
      {
        agents: {
          list: [
            { id: 'main', default: true, workspace: join(state, 'workspace') },
            { id: 'work', workspace: join(state, 'workspace-work') },
          ],
        },
      },
      null,
      2,
    ) + '\n',
    0o600,
  );
  for (const [rel, text] of Object.entries(files)) await write(join(state, rel), text, rel.endsWith('MEMORY.md') ? 0o600 : 0o644);
}

/** A transport that fails `method` for `path` (once) — a failure in the middle of an apply. */
function failing(method: 'readFile' | 'writeFileAtomic', path: string, before?: () => Promise<void>): Transport {
  let done = false;
  return new Proxy(transport, {
    get(target, prop, receiver) {
      if (prop === method) {
        return async (p: string, ...rest: unknown[]) => {
          if (p === path && !done) {
            done = true;
            if (before) await before();
            else throw new OcmError('disconnected', 'injected: connection lost');
          }
          return (target[method] as (...a: unknown[]) => Promise<unknown>).call(target, p, ...rest);
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

const plan = (scope: RestoreScope, t: Transport = transport) =>
  store.resolve(backupIndexRef).then((index) => planRestore({ transport: t, location, nodeId: 'n1', index, repositoryRoot, scope }));
const apply = async (scope: RestoreScope, t: Transport = transport) =>
  applyRestore({
    transport: t,
    location,
    node: { id: 'n1' },
    plan: await plan(scope),
    store,
    home: join(root, 'ocm-home'),
    safetyEngine: 'ocm',
    readyTimeoutMs: 2_000,
  });

before(async () => {
  ensureSqlite3();
  root = await fs.mkdtemp(join(tmpdir(), 'ocm-ops-'));
  home = join(root, 'home');
  state = join(home, '.openclaw');
  store = new BackupStore(join(root, 'store'));
  await resetLive();
  const configPath = join(state, 'openclaw.json');
  location = {
    nodeId: 'n1',
    installed: false,
    home,
    stateDir: state,
    stateDirSource: 'registry',
    stateDirExists: true,
    configPath,
    configSource: 'state',
    configExists: true,
    config: await readOpenclawConfig(transport, configPath),
    gatewayPort: 1,
    gatewayPortSource: 'registry',
    supervisor: 'unmanaged',
    openclawEnv: {},
    cliEnv: {},
    durationMs: 0,
  };
  const b = await backupNode({ store, nodeId: 'n1', transport, engine: 'ocm', sources: backupSourcesFromLocation(location), gatewayRunning: false });
  repositoryRoot = store.repositoryRoot;
  backupIndexRef = `n1/${b.index.id}`;
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});
beforeEach(resetLive);

describe('planRestore', () => {
  it('one file: exactly that file, with both sides readable for a preview', async () => {
    const memory = join(state, 'workspace/MEMORY.md');
    await write(memory, 'CORRUPTED\n');
    await fs.rm(join(state, 'workspace-work/SOUL.md'));
    const p = await plan({ kind: 'file', path: memory });
    assert.deepEqual(
      p.files.map((f) => [f.action, f.path]),
      [['update', memory]],
    );
    assert.equal(p.files[0]!.before!.size, 10);
    assert.equal(p.files[0]!.after!.mode, 0o600);
    assert.equal((await readPlannedBefore(transport, memory))!.toString(), 'CORRUPTED\n');
    assert.equal((await readPlannedAfter(p.source, memory))!.toString(), files['workspace/MEMORY.md']);
    assert.equal(await readPlannedBefore(transport, join(state, 'workspace-work/SOUL.md')), undefined);
  });

  it('one agent: its workspace only (created, changed, removed files)', async () => {
    await fs.rm(join(state, 'workspace-work/SOUL.md'));
    await write(join(state, 'workspace-work/EXTRA.md'), 'x\n');
    await write(join(state, 'workspace/MEMORY.md'), 'not this agent\n');
    const p = await plan({ kind: 'agent', agentId: 'work' });
    assert.deepEqual(
      p.files.map((f) => [f.action, f.path]),
      [
        ['delete', join(state, 'workspace-work/EXTRA.md')],
        ['create', join(state, 'workspace-work/SOUL.md')],
      ],
    );
    assert.ok(p.files.every((f) => f.agentId === 'work'));
    assert.match(p.summary, /1 added, 0 changed, 1 removed/);
  });

  it('whole node: every difference, and the service steps', async () => {
    await write(join(state, 'workspace/MEMORY.md'), 'x\n');
    await write(join(state, 'logs/gateway.log'), 'a log line\n');
    const p = await plan({ kind: 'node' });
    assert.deepEqual(
      p.files.map((f) => f.path),
      [join(state, 'workspace/MEMORY.md')],
      'logs are left out like the backup leaves them out',
    );
    assert.deepEqual(
      p.steps.map((s) => s.id),
      ['safetyBackup', 'check', 'upload', 'stage', 'stopGateway', 'carryOver', 'swap', 'validate', 'doctor', 'startGateway', 'waitReady'],
    );
  });

  it('refusals: an unknown agent, a file not in the backup, a whole node with another state dir', async () => {
    await assert.rejects(
      plan({ kind: 'agent', agentId: 'nope' }),
      (e: unknown) => e instanceof OcmError && e.kind === 'notFound' && /main, work/.test(e.message),
    );
    await assert.rejects(plan({ kind: 'file', path: join(state, 'workspace/NOPE.md') }), (e: unknown) => e instanceof OcmError && e.kind === 'notFound');
    const moved = { ...location, stateDir: join(home, '.openclaw-other') };
    const index = await store.resolve(backupIndexRef);
    await assert.rejects(planRestore({ transport, location: moved, nodeId: 'n1', index, repositoryRoot, scope: { kind: 'node' } }), /ocm migrate/);
  });

  it('resolves --file relative to the agent workspace or the state dir', () => {
    assert.equal(resolveRestorePath(location, 'MEMORY.md', 'main'), join(state, 'workspace/MEMORY.md'));
    assert.equal(resolveRestorePath(location, 'openclaw.json'), join(state, 'openclaw.json'));
    assert.equal(resolveRestorePath(location, '/abs/x'), '/abs/x');
  });
});

describe('applyRestore', () => {
  it('one agent: files written back with their modes, extra files removed, a safety backup first', async () => {
    const before = (await store.list('n1')).length;
    await fs.rm(join(state, 'workspace-work/SOUL.md'));
    await write(join(state, 'workspace-work/EXTRA.md'), 'x\n');
    const r = await apply({ kind: 'agent', agentId: 'work' });
    assert.equal(r.ok, true, JSON.stringify(r, null, 2));
    assert.equal((await store.list('n1')).length, before + 1);
    assert.ok(r.safetyBackup);
    assert.equal(await fs.readFile(join(state, 'workspace-work/SOUL.md'), 'utf8'), files['workspace-work/SOUL.md']);
    await assert.rejects(fs.stat(join(state, 'workspace-work/EXTRA.md')));
    const safety = await store.readFile({ nodeId: r.safetyBackup.nodeId, id: r.safetyBackup.backupId }, join(state, 'workspace-work/EXTRA.md'));
    assert.equal(safety.toString(), 'x\n', 'the safety backup holds what was replaced');
  });

  it('a file changed by someone else after the plan: conflict, the files already written are put back', async () => {
    await write(join(state, 'workspace/MEMORY.md'), 'CORRUPTED\n', 0o600);
    await write(join(state, 'workspace/SOUL.md'), 'CORRUPTED SOUL\n');
    const p = await plan({ kind: 'agent', agentId: 'main' });
    assert.deepEqual(
      p.files.map((f) => f.action),
      ['update', 'update'],
    );
    // The agent rewrites SOUL.md between the plan and the moment it is restored.
    const t = failing('readFile', join(state, 'workspace/SOUL.md'), () => fs.writeFile(join(state, 'workspace/SOUL.md'), 'AGENT WROTE THIS\n'));
    const r = await applyRestore({ transport: t, location, node: { id: 'n1' }, plan: p, store, home: join(root, 'ocm-home'), safetyEngine: 'ocm' });
    assert.equal(r.ok, false);
    assert.equal(r.error?.kind, 'conflict');
    assert.equal(r.rolledBack, true);
    assert.equal(await fs.readFile(join(state, 'workspace/MEMORY.md'), 'utf8'), 'CORRUPTED\n');
    assert.equal((await fs.stat(join(state, 'workspace/MEMORY.md'))).mode & 0o777, 0o600);
    assert.equal(await fs.readFile(join(state, 'workspace/SOUL.md'), 'utf8'), 'AGENT WROTE THIS\n');
  });

  it('whole node: staged beside the live tree and swapped in; logs carried over; nothing left behind', async () => {
    await write(join(state, 'workspace/MEMORY.md'), 'x\n');
    await fs.rm(join(state, 'workspace-work'), { recursive: true });
    await write(join(state, 'workspace/EXTRA.md'), 'extra\n');
    await write(join(state, 'logs/gateway.log'), 'a log line\n');
    const r = await apply({ kind: 'node' });
    assert.equal(r.ok, true, JSON.stringify(r, null, 2));
    for (const [rel, text] of Object.entries(files)) assert.equal(await fs.readFile(join(state, rel), 'utf8'), text, rel);
    assert.equal((await fs.stat(join(state, 'workspace/MEMORY.md'))).mode & 0o777, 0o600);
    await assert.rejects(fs.stat(join(state, 'workspace/EXTRA.md')));
    assert.equal(await fs.readFile(join(state, 'logs/gateway.log'), 'utf8'), 'a log line\n');
    assert.deepEqual((await fs.readdir(home)).sort(), ['.openclaw']);
  });

  it('whole node: live logs are carried over after the gateway stopped (its last lines too), also a name with a newline', async () => {
    await write(join(state, 'workspace/MEMORY.md'), 'x\n');
    await write(join(state, 'logs/gateway.log'), 'first line\n');
    await write(join(state, 'logs/odd\nname.log'), 'odd\n');
    const p = await plan({ kind: 'node' });
    const order: string[] = [];
    const r = await applyRestore({
      transport,
      location,
      node: { id: 'n1' },
      plan: p,
      store,
      home: join(root, 'ocm-home'),
      safetyEngine: 'ocm',
      readyTimeoutMs: 2_000,
      onProgress: (ev) => {
        if (ev.phase !== 'step') return;
        order.push(ev.stepId);
        // The gateway writes its last line while it is being stopped.
        if (ev.stepId === 'stopGateway') appendFileSync(join(state, 'logs/gateway.log'), 'last line while stopping\n');
      },
    });
    assert.equal(r.ok, true, JSON.stringify(r, null, 2));
    assert.ok(order.indexOf('carryOver') > order.indexOf('stopGateway'), order.join(','));
    assert.equal(await fs.readFile(join(state, 'logs/gateway.log'), 'utf8'), 'first line\nlast line while stopping\n');
    assert.equal(await fs.readFile(join(state, 'logs/odd\nname.log'), 'utf8'), 'odd\n');
    assert.equal(await fs.readFile(join(state, 'workspace/MEMORY.md'), 'utf8'), files['workspace/MEMORY.md']);
  });

  it('whole node failing after the swap: the live tree is swapped back exactly as it was', async () => {
    await write(join(state, 'workspace/MEMORY.md'), 'x\n');
    await write(join(state, 'workspace/EXTRA.md'), 'extra\n');
    const before = await treeHashes(state);
    const r = await apply({ kind: 'node' }, failing('readFile', join(state, 'openclaw.json')));
    assert.equal(r.ok, false);
    assert.equal(r.error?.step, 'validate');
    assert.equal(r.rolledBack, true, r.rollbackErrors.join('\n'));
    assert.ok(r.steps.some((s) => s.id === 'swap' && s.status === 'undone'));
    assert.deepEqual(await treeHashes(state), before);
    assert.deepEqual((await fs.readdir(home)).sort(), ['.openclaw']);
  });
});
