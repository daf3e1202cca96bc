import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { isOcmError, type OcmError } from '../../../src/core/errors';
import { SshPool } from '../../../src/core/ssh/pool';
import { cutNetwork, restoreNetwork, runAsNodeUser, startSshNodes, targetFor, type SshNodeSet } from '../../support/sshd';

/** A node behind a veth pair in its own network namespace; nftables drops everything = a pulled cable. */
describe('SSH over a cut network (network namespace, real sshd)', { timeout: 120_000 }, () => {
  let set: SshNodeSet;
  let pool: SshPool;
  before(async () => {
    set = await startSshNodes(1, { netns: true });
    pool = new SshPool({ keepaliveIntervalMs: 1000, keepaliveCountMax: 3, readyTimeoutMs: 3000 });
    await runAsNodeUser(set.nodes[0]!, 'head -c 50000000 /dev/zero > big.bin');
  });
  after(async () => {
    if (set) restoreNetwork(set.nodes[0]!);
    await pool?.close();
    await set?.stop();
  });
  const t = () => pool.transportFor(targetFor(set.nodes[0]!));

  it('reaches the node at its namespace address', async () => {
    assert.match(set.nodes[0]!.host, /^10\.\d+\.0\.2$/);
    assert.equal((await t().exec('echo in-ns')).stdout, 'in-ns\n');
  });

  it('a cut during a transfer and during a command fails within seconds; after the link is back the pool reconnects', async () => {
    const node = set.nodes[0]!;
    let received = 0;
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        setTimeout(cb, 5);
      },
    });
    const reading = t().download(`${node.home}/big.bin`, sink);
    void reading.catch(() => undefined);
    const sleeping = t().exec('sleep 30');
    void sleeping.catch(() => undefined);
    while (received < 1_000_000) await new Promise((r) => setTimeout(r, 5));
    const cutAt = Date.now();
    cutNetwork(node);
    try {
      for (const op of [reading, sleeping]) {
        const error = await op.then(
          () => undefined,
          (e: OcmError) => e,
        );
        assert.ok(error && (isOcmError(error, 'timeout') || isOcmError(error, 'disconnected')), `${error?.kind}: ${error?.message}`);
      }
      const elapsed = Date.now() - cutAt;
      assert.ok(elapsed < 8000, `noticed after ${elapsed} ms`);
      // While cut, a new connect fails with timeout instead of hanging.
      const connectStarted = Date.now();
      await assert.rejects(t().exec('true'), (e) => isOcmError(e, 'timeout'));
      assert.ok(Date.now() - connectStarted < 6000);
    } finally {
      restoreNetwork(node);
    }
    assert.equal((await t().exec('echo reconnected')).stdout, 'reconnected\n');
  });
});
