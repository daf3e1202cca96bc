import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { backupNode, backupSourcesFromLocation, BackupStore } from '../../../src/core/backup';
import { locateOpenclaw } from '../../../src/core/openclaw';
import { applyMigration, planMigration } from '../../../src/core/operations/migrate';
import type { NodeEntry } from '../../../src/core/registry';
import { NodeRegistry } from '../../../src/core/registry/store';
import { SshPool } from '../../../src/core/ssh/pool';
import type { Transport } from '../../../src/core/transport/types';
import { createOpenclawNode, ensureOpenclaw, type OpenclawTestNode } from '../../support/openclaw';
import { processesOfUid, signalAll } from '../../support/sshd/processes';
import { shareOpenclawInstall, sharedWrapper, type SharedInstall } from '../../support/ssh-openclaw-node';
import { runAsNodeUser, startSshNodes, targetFor, writeOcmHome, type SshNode, type SshNodeSet } from '../../support/sshd';

/**
 * Migrate uploads nothing unchecked and extracts nothing unchecked (issue 14.2, the same two steps
 * as a whole-node restore): the archive built from the source's fresh backup is scanned and must
 * hold what that backup lists before it is uploaded, and the target's copy must have the scanned
 * sha256 before tar runs. Two sshd nodes with a real OpenClaw 2026.9.6 state each (no gateway
 * running: the faults stop the migration before any gateway is touched); B's own state dir is
 * replaced, so "B keeps its old state" is what is at stake.
 */

const VERSION = '2026.9.6';

function treeHashes(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.set(relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

/** A proxy whose methods run on the real object (private fields stay reachable). */
function wrap<T extends object>(target: T, replace: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (prop in replace) return replace[prop as keyof T];
      const v = Reflect.get(t, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

describe('ocm migrate: the archive is checked before upload and on the target before tar (real sshd)', { timeout: 900_000 }, () => {
  let set: SshNodeSet;
  let A: SshNode;
  let B: SshNode;
  let ocB: OpenclawTestNode;
  let registry: NodeRegistry;
  let store: BackupStore;
  const pool = new SshPool();
  let tA: Transport;
  let tB: Transport;
  let shared: SharedInstall | undefined;
  const entry = (id: string): Promise<NodeEntry> => registry.get(id);
  const leftovers = () => readdirSync(B.home).filter((n) => n.startsWith('.ocm-migrate'));

  before(async () => {
    shared = shareOpenclawInstall(await ensureOpenclaw(VERSION));
    set = await startSshNodes(2, { idPrefix: 'migchk' });
    [A, B] = set.nodes as [SshNode, SshNode];
    await createOpenclawNode({ version: VERSION, home: A.home, owner: A.user });
    ocB = await createOpenclawNode({ version: VERSION, home: B.home, owner: B.user, token: 'b-own-token-not-a-secret' });
    await runAsNodeUser(A, `printf '# Memory of A\\n' > .openclaw/workspace/MEMORY.md`);
    await runAsNodeUser(B, `printf '# Memory of B\\n' > .openclaw/workspace/MEMORY.md`);
    const ocmHome = writeOcmHome(set);
    registry = new NodeRegistry(ocmHome.registryPath);
    for (const n of set.nodes) await registry.patch(n.id, { openclawPath: sharedWrapper(shared) });
    store = new BackupStore(join(ocmHome.home, 'backups'));
    tA = pool.transportFor(targetFor(A));
    tB = pool.transportFor(targetFor(B));
  });

  after(async () => {
    for (const n of set?.nodes ?? []) signalAll(processesOfUid(n.uid), 'SIGKILL');
    await pool.close();
    await set?.stop();
    shared?.dispose();
  });

  it('one byte flipped on the way to the target: refused by the sha256 check there, before tar; B keeps its state', async () => {
    const bState = treeHashes(join(B.home, '.openclaw'));
    const bConfig = readFileSync(ocB.configPath, 'utf8');
    let flipped = 0;
    const corrupting = wrap(tB, {
      upload: (source: Readable, remotePath: string, options?: Record<string, unknown>) => {
        let seen = 0;
        const flip = new Transform({
          transform(chunk: Buffer, _e, cb) {
            const at = 100 - seen;
            if (at >= 0 && at < chunk.length) {
              chunk = Buffer.from(chunk);
              chunk[at] = chunk[at]! ^ 0xff;
              flipped++;
            }
            seen += chunk.length;
            cb(null, chunk);
          },
        });
        return tB.upload(source.pipe(flip), remotePath, options);
      },
    });
    const from = { node: await entry(A.id), transport: tA };
    const plan = await planMigration({ from, to: { node: await entry(B.id), transport: tB }, replace: true });
    assert.equal(plan.to.stateDirInUse, true);
    assert.ok(
      plan.steps.some((s) => s.id === 'check'),
      'the preview names the check',
    );
    const result = await applyMigration(plan, { from, to: { node: await entry(B.id), transport: corrupting }, store, registry });
    assert.equal(flipped, 1, 'one byte was flipped in transit');
    assert.equal(result.ok, false);
    assert.equal(result.error?.step, 'upload', JSON.stringify(result, null, 2));
    assert.match(result.error?.message ?? '', /not the one that was checked/);
    assert.deepEqual(
      result.steps.map((s) => s.id),
      ['check', 'upload'],
      'nothing was extracted',
    );
    assert.deepEqual(result.rollbackErrors, []);
    assert.equal(readFileSync(ocB.configPath, 'utf8'), bConfig);
    assert.deepEqual(treeHashes(join(B.home, '.openclaw')), bState, "B's state dir is untouched");
    assert.deepEqual(leftovers(), [], 'the staging folder is gone');
  });

  it('an archive that does not hold what the fresh backup lists is refused before anything is uploaded', async () => {
    // Another backup of A with other content stands in for an archive built wrong.
    const locA = await locateOpenclaw(tA, await entry(A.id));
    await runAsNodeUser(A, `cp .openclaw/workspace/MEMORY.md /tmp/ocm-migchk-memory && printf 'planted\\n' > .openclaw/workspace/MEMORY.md`);
    const other = await backupNode({ store, nodeId: A.id, transport: tA, engine: 'ocm', sources: backupSourcesFromLocation(locA), gatewayRunning: false });
    await runAsNodeUser(A, `cat /tmp/ocm-migchk-memory > .openclaw/workspace/MEMORY.md && rm /tmp/ocm-migchk-memory`);
    const wrongStore = wrap(store, { materialize: (_index: unknown, options?: { signal?: AbortSignal }) => store.materialize(other.index, options) });
    const bState = treeHashes(join(B.home, '.openclaw'));
    const from = { node: await entry(A.id), transport: tA };
    const noUpload = wrap(tB, { upload: async () => assert.fail('nothing may be uploaded') });
    const plan = await planMigration({ from, to: { node: await entry(B.id), transport: tB }, replace: true });
    const result = await applyMigration(plan, { from, to: { node: await entry(B.id), transport: noUpload }, store: wrongStore, registry });
    assert.equal(result.ok, false);
    assert.equal(result.error?.step, 'check', JSON.stringify(result, null, 2));
    assert.equal(result.error?.kind, 'conflict');
    assert.match(result.error?.message ?? '', /not what the plan showed/);
    assert.deepEqual(treeHashes(join(B.home, '.openclaw')), bState, "B's state dir is untouched");
    assert.deepEqual(leftovers(), []);
  });
});
