import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { backupNode, backupSourcesFromLocation, BackupStore } from '../../../src/core/backup';
import { locateOpenclaw, type OpenclawLocation } from '../../../src/core/openclaw';
import { applyRestore, planRestore, type RestorePlan } from '../../../src/core/operations';
import { SshPool } from '../../../src/core/ssh/pool';
import type { Transport } from '../../../src/core/transport/types';
import { ensureSqlite3 } from '../../core/backup/tools';
import { freePort } from '../../support/free-port';
import { runAsNodeUser, startSshNodes, targetFor, type SshNodeSet } from '../../support/sshd';
import { nodeEntryFor } from '../../support/ssh-openclaw-node';

/**
 * Fault tests of a whole-node restore over real sshd (issue 14.1): the plan replaces and deletes
 * files under the BACKUP's roots, which include workspaces outside the state dir. The safety
 * backup must hold every one of them, also when the live config cannot tell where they are (it is
 * broken) or no longer lists the agent. No OpenClaw binary: the gateway is not running, so stop and
 * start are no-ops and validation is skipped with a note; what is under test is the file coverage.
 */
describe('whole-node restore: the safety backup covers every path the plan touches (real sshd)', { timeout: 600_000 }, () => {
  let set: SshNodeSet;
  let root: string;
  let store: BackupStore;
  let gatewayPort: number;
  const pool = new SshPool();
  let transport: Transport;
  const node = () => set.nodes[0]!;
  const onNode = (cmd: string) => runAsNodeUser(node(), cmd);
  const home = () => node().home;
  const state = () => join(home(), '.openclaw');
  const configPath = () => join(state(), 'openclaw.json');
  const located = (): Promise<OpenclawLocation> => locateOpenclaw(transport, nodeEntryFor(node(), { gatewayPort, openclawPath: '/nonexistent/openclaw' }));
  const goodConfig = () =>
    JSON.stringify(
      {
        agents: {
          list: [
            { id: 'main', default: true, workspace: join(home(), 'ws-main') },
            { id: 'work', workspace: join(home(), 'ws-work') },
          ],
        },
        gateway: { port: gatewayPort },
      },
      null,
      2,
    );

  before(async () => {
    ensureSqlite3();
    set = await startSshNodes(1, { idPrefix: 'rc' });
    root = await mkdtemp(join(tmpdir(), 'ocm-restore-cover-'));
    store = new BackupStore(join(root, 'store'));
    gatewayPort = await freePort();
    transport = pool.transportFor(targetFor(node()));
  });
  after(async () => {
    await pool.close();
    await set?.stop();
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await onNode(
      `rm -rf .openclaw ws-main ws-work .ocm-* && mkdir -p .openclaw/agents/main/agent ws-main ws-work && ` +
        `printf '# Memory\\n' > ws-main/MEMORY.md && printf 'You are precise.\\n' > ws-work/SOUL.md && printf '{}\\n' > .openclaw/agents/main/agent/models.json && ` +
        `cat > .openclaw/openclaw.json <<'OCM_EOF'\n${goodConfig()}\nOCM_EOF\nchmod 600 .openclaw/openclaw.json`,
    );
  });

  const backupNow = async () =>
    backupNode({ store, nodeId: node().id, transport, engine: 'ocm', sources: backupSourcesFromLocation(await located()), gatewayRunning: false });
  /** Every file of the user's home with its sha256 (the node as it is). */
  const treeOf = async () => (await onNode(`find .openclaw ws-main ws-work -type f -exec sha256sum {} + | sort -k2`)).stdout;
  const leftovers = async () => (await onNode('ls -a ~ | grep -- "ocm-" || true')).stdout.trim();

  /** A backup of the good tree, then `damage` on the node, then a whole-node restore of that backup. */
  async function restoreAfter(damage: string, options: { through?: Transport; edit?: (plan: RestorePlan) => void } = {}) {
    const location = await located();
    assert.ok(location.config, 'the good config parses');
    const backup = await backupNow();
    await onNode(damage);
    const live = await located();
    const plan = await planRestore({
      transport,
      location: live,
      nodeId: node().id,
      index: backup.index,
      repositoryRoot: store.repositoryRoot,
      scope: { kind: 'node' },
    });
    options.edit?.(plan);
    const treeBefore = await treeOf();
    const result = await applyRestore({ transport: options.through ?? transport, location: live, node: { id: node().id }, plan, store, readyTimeoutMs: 5_000 });
    return { plan, result, treeBefore };
  }

  it('broken live config + a newer workspace file: the file is deleted by the restore but kept in the safety backup', async () => {
    const newer = join(home(), 'ws-work', 'NEWER.md');
    const { plan, result } = await restoreAfter(`printf 'written after the backup\\n' > ws-work/NEWER.md && printf '{ broken json' > .openclaw/openclaw.json`);
    assert.ok(plan.roots.includes(join(home(), 'ws-work')), 'the plan covers the workspace from the backup');
    assert.deepEqual(
      plan.files.filter((f) => f.path === newer).map((f) => f.action),
      ['delete'],
    );
    assert.equal(result.ok, true, JSON.stringify(result, null, 2));
    assert.equal((await onNode(`test -e ws-work/NEWER.md && echo yes || echo no`)).stdout.trim(), 'no', 'the restore deleted it');
    assert.ok(result.safetyBackup);
    const safety = { nodeId: result.safetyBackup.nodeId, id: result.safetyBackup.backupId };
    assert.equal((await store.readFile(safety, newer)).toString(), 'written after the backup\n', 'retrievable from the safety backup');
    assert.equal((await store.readFile(safety, configPath())).toString(), '{ broken json', 'the broken config is in it too');
    assert.equal((await onNode(`cat .openclaw/openclaw.json`)).stdout.trim(), goodConfig(), 'the good config is back');
  });

  it('an agent the live config no longer lists: its changed workspace file is replaced, and the safety backup holds the newer bytes', async () => {
    const soul = join(home(), 'ws-work', 'SOUL.md');
    const onlyMain = JSON.stringify({ agents: { list: [{ id: 'main', default: true, workspace: join(home(), 'ws-main') }] }, gateway: { port: gatewayPort } });
    const { plan, result } = await restoreAfter(`printf 'newer soul\\n' > ws-work/SOUL.md && cat > .openclaw/openclaw.json <<'OCM_EOF'\n${onlyMain}\nOCM_EOF`);
    assert.deepEqual(
      plan.files.filter((f) => f.path === soul).map((f) => f.action),
      ['update'],
    );
    assert.equal(result.ok, true, JSON.stringify(result, null, 2));
    assert.equal((await onNode(`cat ws-work/SOUL.md`)).stdout, 'You are precise.\n');
    assert.ok(result.safetyBackup);
    assert.equal((await store.readFile({ nodeId: result.safetyBackup.nodeId, id: result.safetyBackup.backupId }, soul)).toString(), 'newer soul\n');
  });

  it('the preview states exactly what is extracted, and an archive that does not match it is refused before upload', async () => {
    // A second backup with other content stands in for an archive that is not what the plan showed.
    await onNode(`printf 'other memory\\n' > ws-main/MEMORY.md && mkdir -p .openclaw/extra && printf 'x\\n' > .openclaw/extra/planted.txt`);
    const other = await backupNow();
    await onNode(`printf '# Memory\\n' > ws-main/MEMORY.md && rm -r .openclaw/extra`);
    const damage = `printf 'changed after the backup\\n' > .openclaw/agents/main/agent/models.json`;
    const { plan, result, treeBefore } = await restoreAfter(`${damage}`, {
      edit: (p) => {
        assert.ok(p.extract, 'a whole-node plan says what it extracts');
        assert.equal(p.extract.root, state());
        assert.ok(p.extract.files >= 2, JSON.stringify(p.extract));
        assert.match(
          p.steps.find((s) => s.id === 'stage')!.description,
          new RegExp(`extract ${p.extract.files} file\\(s\\), ${p.extract.directories} folder\\(s\\)`),
        );
        p.source = { ...p.source, backupId: other.index.id } as RestorePlan['source'];
      },
      through: new Proxy(transport, {
        get(target, prop, receiver) {
          if (prop === 'upload') return async () => assert.fail('nothing may be uploaded');
          return Reflect.get(target, prop, receiver);
        },
      }),
    });
    assert.equal(result.ok, false);
    assert.equal(result.error?.step, 'check', JSON.stringify(result, null, 2));
    assert.equal(result.error?.kind, 'conflict');
    assert.match(result.error?.message ?? '', /not what the plan showed/);
    assert.ok(plan.extract);
    assert.equal((await onNode(`cat .openclaw/agents/main/agent/models.json`)).stdout, 'changed after the backup\n', 'the live tree is untouched');
    assert.equal(await treeOf(), treeBefore);
    assert.equal(await leftovers(), '');
  });

  it('bytes changed on the way to the node: the sha256 check there refuses the archive before tar runs', async () => {
    let flipped = 0;
    const corrupting = new Proxy(transport, {
      get(target, prop, receiver) {
        if (prop === 'upload') {
          return (source: Readable, remotePath: string, options?: Record<string, unknown>) => {
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
            return target.upload(source.pipe(flip), remotePath, options);
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    const { result, treeBefore } = await restoreAfter(`printf 'changed after the backup\\n' > .openclaw/agents/main/agent/models.json`, {
      through: corrupting,
    });
    assert.equal(flipped, 1, 'one byte was flipped in transit');
    assert.equal(result.ok, false);
    assert.equal(result.error?.step, 'upload', JSON.stringify(result, null, 2));
    assert.match(result.error?.message ?? '', /not the one that was checked/);
    assert.ok(
      result.steps.every((s) => s.id !== 'stage'),
      'nothing was extracted',
    );
    assert.equal(await treeOf(), treeBefore, 'the live tree is untouched');
    assert.equal(await leftovers(), '');
  });
});
