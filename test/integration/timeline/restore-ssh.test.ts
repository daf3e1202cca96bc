import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { listHistory, sha256Hex } from '../../../src/core/history';
import { readForEdit, safeWrite } from '../../../src/core/safe-write';
import { SshPool } from '../../../src/core/ssh/pool';
import { buildTimeline, findVersion, restoreTimelineVersion } from '../../../src/core/timeline';
import { shellQuote } from '../../../src/core/transport/shell-quote';
import type { Transport } from '../../../src/core/transport/types';
import { killSessions, runAsNodeUser, startSshNodes, targetFor, type SshNode, type SshNodeSet } from '../../support/sshd';

/**
 * Restoring a timeline version over a REAL sshd node goes through the safe save: when the SSH
 * sessions are killed while the restored bytes are on their way, the live MEMORY.md is still the
 * old file (or, if the rename had landed, exactly the restored one) — never a mix — and the live
 * bytes are in the history before anything was written.
 */
describe('timeline restore over SSH with the connection killed mid-write (real sshd)', { timeout: 300_000 }, () => {
  let set: SshNodeSet;
  let node: SshNode;
  let pool: SshPool;
  let t: Transport;
  let home: string;
  const onNode = async (command: string): Promise<string> => (await runAsNodeUser(node, command)).stdout;
  const remoteSha = async (path: string): Promise<string> => (await onNode(`sha256sum ${shellQuote(path)}`)).split(' ')[0]!;

  before(async () => {
    set = await startSshNodes(1);
    node = set.nodes[0]!;
    pool = new SshPool();
    t = pool.transportFor(targetFor(node));
    home = await mkdtemp(join(tmpdir(), 'ocm-tl-ssh-'));
  });
  after(async () => {
    await pool?.close();
    await set?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('a killed restore leaves the live file old or restored, never a mix; an unkilled restore lands', async () => {
    const dir = `${node.home}/.openclaw/workspace`;
    const file = `${dir}/MEMORY.md`;
    // Two big versions (8 MiB, so the upload takes a while): v1 by hand on the node, v2 saved by ocm.
    const v1 = Buffer.alloc(8 * 1024 * 1024, 'a');
    const v2 = Buffer.alloc(8 * 1024 * 1024, 'b');
    await onNode(`mkdir -p ${shellQuote(dir)} && head -c ${v1.length} /dev/zero | tr '\\0' a > ${shellQuote(file)}`);
    const opened = await readForEdit(t, file);
    await safeWrite(t, { home, nodeId: node.id, remotePath: file, content: v2, expected: opened });
    const timeline = await buildTimeline({ home, nodeId: node.id, remotePath: file });
    assert.deepEqual(
      timeline.versions.map((v) => v.sha256),
      [sha256Hex(v2), sha256Hex(v1)],
    );
    const first = findVersion(timeline, '1');

    const outcomes: string[] = [];
    for (const trigger of ['upload', 30, 120] as const) {
      const before = await remoteSha(file);
      const restoring = restoreTimelineVersion(t, { home, timeline, version: first, expected: { sha256: before } }).then(
        () => 'restored',
        (e: unknown) => (isOcmError(e) ? e.kind : String(e)),
      );
      if (trigger === 'upload') {
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline && (await onNode(`ls -A ${shellQuote(dir)} | wc -l`)).trim() === '1') await new Promise((r) => setTimeout(r, 2));
      } else await new Promise((r) => setTimeout(r, trigger));
      await killSessions(node);
      const outcome = await restoring;
      outcomes.push(`${trigger}:${outcome}`);
      const now = await remoteSha(file);
      assert.ok(now === before || now === sha256Hex(v1), `after a kill (${trigger}) the file is neither the old one nor the restored one (outcome ${outcome})`);
      if (outcome === 'restored') assert.equal(now, sha256Hex(v1));
      assert.ok(
        (await listHistory(home, node.id, file)).some((h) => h.sha256 === before),
        'the live bytes were kept in the history first',
      );
      // Put v2 back for the next round (fresh connection).
      if (now !== sha256Hex(v2)) await safeWrite(t, { home, nodeId: node.id, remotePath: file, content: v2, expected: { sha256: now } });
      await onNode(`find ${shellQuote(dir)} -name '.*' -type f -delete`);
    }
    assert.ok(
      outcomes.some((o) => !o.endsWith(':restored')),
      `at least one kill interrupted a restore (${outcomes.join(', ')})`,
    );
    await restoreTimelineVersion(t, { home, timeline, version: first });
    assert.equal(await remoteSha(file), sha256Hex(v1));
  });
});
