import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { SshPool } from '../../../src/core/ssh/pool';
import { killSessions, startSshNodes, targetFor, type SshNodeSet } from '../../support/sshd';

describe('SSH pool through a ProxyJump hop (real sshd)', { timeout: 120_000 }, () => {
  let set: SshNodeSet;
  let pool: SshPool;
  before(async () => {
    set = await startSshNodes(2);
    pool = new SshPool({ keepaliveIntervalMs: 1000 });
  });
  after(async () => {
    await pool?.close();
    await set?.stop();
  });

  const viaJump = () => {
    const [jump, node] = set.nodes;
    const hop = targetFor(jump!);
    hop.nodeId = `jump:${jump!.id}`;
    return targetFor(node!, { jumps: [hop] });
  };

  it('runs commands and SFTP on a node reached through a jump host', async () => {
    const t = pool.transportFor(viaJump());
    assert.equal((await t.exec('whoami')).stdout.trim(), set.nodes[1]!.user);
    await t.writeFileAtomic(`${set.nodes[1]!.home}/through-jump.txt`, Buffer.from('hop\n'));
    assert.equal((await t.readFile(`${set.nodes[1]!.home}/through-jump.txt`)).toString(), 'hop\n');
  });

  it("fails promptly when the jump host's session dies, then reconnects through it", async () => {
    const t = pool.transportFor(viaJump());
    await t.exec('true');
    const running = t.exec('sleep 20');
    void running.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const killedAt = Date.now();
    await killSessions(set.nodes[0]!);
    await assert.rejects(running, (e) => isOcmError(e, 'disconnected') || isOcmError(e, 'timeout'));
    assert.ok(Date.now() - killedAt < 5000, `took ${Date.now() - killedAt} ms`);
    assert.equal((await t.exec('echo again')).stdout, 'again\n');
  });

  it('reports a wrong host key of the final node behind the jump as hostKeyChanged', async () => {
    const [jump, node] = set.nodes;
    const hop = targetFor(jump!);
    const wrong = targetFor(node!, { jumps: [hop], expectHostKey: jump!.hostPublicKey });
    const other = new SshPool();
    try {
      await assert.rejects(other.transportFor(wrong).exec('true'), (e) => isOcmError(e, 'hostKeyChanged'));
    } finally {
      await other.close();
    }
  });
});
