import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { isOcmError, type OcmError } from '../../../src/core/errors';
import { SshPool } from '../../../src/core/ssh/pool';
import { freeze, killSessions, runAsNodeUser, startListener, startSshNodes, stopListener, targetFor, thaw, type SshNodeSet } from '../../support/sshd';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Rejects with the operation's error and how long after `since` it came. */
async function failure(promise: Promise<unknown>, since: number): Promise<{ error: OcmError; afterMs: number }> {
  try {
    await promise;
  } catch (e) {
    return { error: e as OcmError, afterMs: Date.now() - since };
  }
  throw new Error('expected the operation to fail');
}

const lost = (e: unknown): boolean => isOcmError(e, 'disconnected') || isOcmError(e, 'timeout');

describe('SSH faults on real sshd: errors within seconds, pool recovers, writes stay whole', { timeout: 240_000 }, () => {
  let set: SshNodeSet;
  let pool: SshPool;
  before(async () => {
    set = await startSshNodes(1);
    pool = new SshPool({ keepaliveIntervalMs: 1000, keepaliveCountMax: 3, readyTimeoutMs: 4000, opTimeoutMs: 15_000 });
    await runAsNodeUser(set.nodes[0]!, 'head -c 100000000 /dev/urandom > big.bin');
  });
  after(async () => {
    thaw(set.nodes[0]!);
    await pool?.close();
    await set?.stop();
  });
  const t = () => pool.transportFor(targetFor(set.nodes[0]!));

  it('killing the session mid-read fails the read promptly and the next call reconnects', async () => {
    const node = set.nodes[0]!;
    let received = 0;
    const slowSink = new Writable({
      highWaterMark: 1 << 20,
      write(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        setTimeout(cb, 2); // keeps the transfer running long enough to be cut
      },
    });
    const started = Date.now();
    const reading = t().download(`${node.home}/big.bin`, slowSink);
    void reading.catch(() => undefined);
    while (received < 2_000_000) await new Promise((r) => setTimeout(r, 5));
    const killedAt = Date.now();
    await killSessions(node);
    const { error, afterMs } = await failure(reading, killedAt);
    assert.ok(lost(error), `${error.kind}: ${error.message}`);
    assert.ok(afterMs < 5000, `failed ${afterMs} ms after the kill`);
    assert.ok(received < 100_000_000);
    // Also a plain readFile in flight.
    await t().exec('true'); // a fresh, warm connection: the kill below must hit the read, not the login
    const readAll = t().readFile(`${node.home}/big.bin`);
    void readAll.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    const killed2 = Date.now();
    await killSessions(node);
    const second = await failure(readAll, killed2);
    assert.ok(lost(second.error), `${second.error.kind}: ${second.error.message}`);
    assert.ok(second.afterMs < 5000, `${second.error.kind} after ${second.afterMs} ms`);
    // Recovery: the next operations reconnect by themselves.
    assert.equal((await t().exec('echo back')).stdout, 'back\n');
    assert.equal((await t().stat(`${node.home}/big.bin`)).size, 100_000_000);
    assert.ok(Date.now() - started < 30_000);
  });

  it('a write killed at any point leaves the old or the new content, never a truncated file', async () => {
    const node = set.nodes[0]!;
    const path = `${node.home}/config.json`;
    const oldContent = Buffer.alloc(3_000_000, 'o');
    const newContent = Buffer.alloc(6_000_000, 'n');
    const valid = new Set([sha256(oldContent), sha256(newContent)]);
    const delays = [0, 5, 15, 30, 60, 100, 200];
    let failures = 0;
    for (const delay of delays) {
      await t().writeFileAtomic(path, oldContent);
      const writing = t().writeFileAtomic(path, newContent);
      void writing.catch(() => undefined);
      await new Promise((r) => setTimeout(r, delay));
      const killedAt = Date.now();
      await killSessions(node);
      try {
        await writing;
      } catch (e) {
        failures++;
        assert.ok(lost(e), `delay ${delay}: ${(e as OcmError).kind}: ${(e as Error).message}`);
        assert.ok(Date.now() - killedAt < 5000, `delay ${delay}: the failed write took ${Date.now() - killedAt} ms to report`);
      }
      // Checked locally, not through the code under test.
      const onDisk = await runAsNodeUser(node, `sha256sum config.json | cut -d' ' -f1`);
      assert.ok(valid.has(onDisk.stdout.trim()), `delay ${delay}: config.json is neither old nor new`);
    }
    assert.ok(failures > 0, 'at least one write was actually interrupted');
    // Leftover temp files from killed writes are the only trace; the target is intact.
    await t().writeFileAtomic(path, Buffer.from('{"ok":true}\n'));
    assert.equal((await t().readFile(path)).toString(), '{"ok":true}\n');

    // The next process's first write of the file sweeps the temps that are old enough: aged here
    // to an hour, beside a fresh one (maybe another writer's) and a name that is not ours.
    const temps = async (): Promise<string[]> =>
      (await runAsNodeUser(node, `ls -A | grep '^\\.config\\.json\\.ocm-' || true`)).stdout.split('\n').filter(Boolean).sort();
    const leftovers = await temps();
    assert.ok(leftovers.length > 0, 'a killed write leaves its temp file');
    await runAsNodeUser(
      node,
      `touch -d '1 hour ago' .config.json.ocm-*.tmp && echo y > .config.json.ocm-0123456789ab.tmp && echo z > .config.json.ocm-notours.tmp`,
    );
    const fresh = new SshPool({ readyTimeoutMs: 20_000 });
    try {
      await fresh.transportFor(targetFor(node)).writeFileAtomic(path, Buffer.from('{"ok":2}\n'));
      const deadline = Date.now() + 10_000;
      while ((await temps()).length > 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await temps(), ['.config.json.ocm-0123456789ab.tmp', '.config.json.ocm-notours.tmp']);
    } finally {
      await fresh.close();
    }
    assert.equal((await runAsNodeUser(node, 'cat config.json')).stdout, '{"ok":2}\n');
  });

  it('killing the session mid-stream errors the stream and its done promise', async () => {
    const node = set.nodes[0]!;
    const stream = await t().execStream('cat big.bin');
    let bytes = 0;
    let streamError: unknown;
    const consumed = (async () => {
      try {
        for await (const chunk of stream.stdout) {
          bytes += (chunk as Buffer).length;
          await new Promise((r) => setTimeout(r, 1));
        }
      } catch (e) {
        streamError = e;
      }
    })();
    while (bytes < 1_000_000) await new Promise((r) => setTimeout(r, 5));
    const killedAt = Date.now();
    await killSessions(node);
    const result = await stream.done.then(
      (done) => ({ done }),
      (error: unknown) => ({ error }),
    );
    await consumed;
    assert.ok(Date.now() - killedAt < 5000);
    if ('error' in result) {
      assert.ok(lost(result.error));
      assert.ok(streamError, 'stdout errors too');
    } else {
      // sshd may report the killed command as a signal exit before the link drops.
      assert.notEqual(result.done.exitCode, 0);
    }
    assert.ok(bytes < 100_000_000, 'the stream did not complete');
    assert.equal((await t().exec('echo again')).stdout, 'again\n');
  });

  it('a frozen server (SIGSTOP) fails pending and new operations within seconds, and works again after thaw', async () => {
    const node = set.nodes[0]!;
    await t().exec('true'); // warm connection
    freeze(node);
    try {
      const started = Date.now();
      const results = await Promise.all([
        failure(t().exec('echo frozen'), started),
        failure(t().stat(node.home), started),
        failure(t().readFile(`${node.home}/config.json`), started),
      ]);
      for (const { error, afterMs } of results) {
        assert.ok(lost(error), `${error.kind}: ${error.message}`);
        assert.ok(afterMs < 8000, `took ${afterMs} ms`);
      }
      // A new connect to the frozen server times out instead of hanging.
      const connectStarted = Date.now();
      const { error } = await failure(t().exec('true'), connectStarted);
      assert.ok(isOcmError(error, 'timeout'), `${error.kind}: ${error.message}`);
      assert.ok(Date.now() - connectStarted < 8000);
      // Closing the pool while a connect to the frozen node hangs returns at once.
      const other = new SshPool({ readyTimeoutMs: 20_000 });
      const hanging = other.transportFor(targetFor(node)).exec('true');
      void hanging.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
      const closeStarted = Date.now();
      await other.close();
      assert.ok(Date.now() - closeStarted < 500, `close took ${Date.now() - closeStarted} ms`);
      await assert.rejects(hanging, (e) => isOcmError(e, 'cancelled'));
    } finally {
      thaw(node);
    }
    assert.equal((await t().exec('echo thawed')).stdout, 'thawed\n');
  });

  it('a node whose sshd is gone is unreachable, and reachable again once it is back', async () => {
    const node = set.nodes[0]!;
    await stopListener(node);
    await killSessions(node).catch(() => 0);
    // The old listener's sessions are children of the stopped pid; kill what remains of them.
    try {
      const { error, afterMs } = await failure(t().exec('true'), Date.now());
      assert.ok(isOcmError(error, 'unreachable') || isOcmError(error, 'disconnected'), `${error.kind}: ${error.message}`);
      assert.ok(afterMs < 5000);
      const again = await failure(t().exec('true'), Date.now());
      assert.ok(isOcmError(again.error, 'unreachable'), `${again.error.kind}: ${again.error.message}`);
      assert.match(again.error.message, /sshd is running/);
    } finally {
      await startListener(node);
    }
    assert.equal((await t().exec('echo up')).stdout, 'up\n');
  });
});
