import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { OcmError, isOcmError } from '../../../src/core/errors';
import type { NodeConnection } from '../../../src/core/ssh/connection';
import { channelError, connectionLostError, mapSftpError } from '../../../src/core/ssh/error-map';
import { Semaphore } from '../../../src/core/ssh/semaphore';
import { guard } from '../../../src/core/ssh/sftp-guard';
import type { CloseReason } from '../../../src/core/ssh/error-map';

/** Just enough of a NodeConnection for the guard: close notification. */
class FakeConnection extends EventEmitter {
  closeReason?: CloseReason;
  get closed(): boolean {
    return this.closeReason !== undefined;
  }
  onClose(listener: (reason: CloseReason) => void): () => void {
    if (this.closeReason) {
      const reason = this.closeReason;
      queueMicrotask(() => listener(reason));
      return () => undefined;
    }
    this.on('close', listener);
    return () => this.off('close', listener);
  }
  onSftpClose(listener: () => void): () => void {
    this.on('sftp-close', listener);
    return () => this.off('sftp-close', listener);
  }
  dropSftp(): void {
    this.emit('sftp-close');
  }
  drop(reason: CloseReason): void {
    this.closeReason = reason;
    this.emit('close', reason);
  }
}
const fake = () => new FakeConnection();
const asConnection = (c: FakeConnection) => c as unknown as NodeConnection;
const ctx = { nodeId: 'n1', op: 'read', path: '/x', timeoutMs: 0 };

describe('Semaphore', () => {
  it('admits up to the limit and queues the rest in order', async () => {
    const s = new Semaphore(2);
    const a = await s.acquire();
    await s.acquire();
    const order: number[] = [];
    const c = s.acquire().then((r) => (order.push(3), r));
    const d = s.acquire().then((r) => (order.push(4), r));
    assert.equal(s.inUse, 2);
    a();
    a(); // a second release of the same slot is ignored
    (await c)();
    (await d)();
    assert.deepEqual(order, [3, 4]);
    assert.equal(s.inUse, 1);
  });

  it('cancels a waiter through its signal and fails waiters when told', async () => {
    const s = new Semaphore(1);
    await s.acquire();
    const controller = new AbortController();
    const waiting = s.acquire(controller.signal);
    controller.abort();
    await assert.rejects(waiting, (e) => isOcmError(e, 'cancelled'));
    const other = s.acquire();
    s.failAll(new Error('gone'));
    await assert.rejects(other, /gone/);
  });
});

describe('guard', () => {
  it('passes results and maps SFTP errors', async () => {
    const c = fake();
    assert.equal(await guard<number>(asConnection(c), ctx, (done) => done(undefined, 42)), 42);
    await assert.rejects(
      guard(asConnection(c), ctx, (done) => done(Object.assign(new Error('No such file'), { code: 2 }))),
      (e) => isOcmError(e, 'notFound') && /\/x/.test((e as Error).message),
    );
  });

  it('fails a call that never calls back when the connection closes', async () => {
    const c = fake();
    const pending = guard(asConnection(c), ctx, () => undefined);
    setTimeout(() => c.drop({ cause: 'closed', message: 'read ECONNRESET' }), 10);
    await assert.rejects(pending, (e) => isOcmError(e, 'disconnected') && /ECONNRESET/.test((e as Error).message));
  });

  it('fails an SFTP call when only the SFTP channel closes', async () => {
    const c = fake();
    const pending = guard(asConnection(c), { ...ctx, sftp: true }, () => undefined);
    const exec = guard(asConnection(c), { ...ctx, op: 'exec', timeoutMs: 50 }, () => undefined);
    c.dropSftp();
    await assert.rejects(pending, (e) => isOcmError(e, 'disconnected') && /SFTP channel closed/.test((e as Error).message));
    await assert.rejects(exec, (e) => isOcmError(e, 'timeout')); // not an SFTP call: unaffected by the channel
  });

  it('reports a keepalive death as timeout, and fails at once on an already closed connection', async () => {
    const c = fake();
    c.drop({ cause: 'keepalive', message: 'Keepalive timeout' });
    await assert.rejects(
      guard(asConnection(c), ctx, () => undefined),
      (e) => isOcmError(e, 'timeout'),
    );
  });

  it('times out and runs the abandon hook; late callbacks are ignored', async () => {
    const c = fake();
    let abandoned = false;
    let late: ((err: unknown, value?: unknown) => void) | undefined;
    let isAbandoned: (() => boolean) | undefined;
    await assert.rejects(
      guard(asConnection(c), { ...ctx, timeoutMs: 30 }, (done, gone) => ((late = done), (isAbandoned = gone)), { abandon: () => (abandoned = true) }),
      (e) => isOcmError(e, 'timeout') && (e as OcmError).details.timeoutMs === 30,
    );
    assert.ok(abandoned);
    assert.ok(isAbandoned!());
    late!(undefined, 'too late'); // no throw, no effect
  });

  it('cancels through the signal', async () => {
    const c = fake();
    const controller = new AbortController();
    const pending = guard(asConnection(c), { ...ctx, signal: controller.signal }, () => undefined);
    controller.abort();
    await assert.rejects(pending, (e) => isOcmError(e, 'cancelled'));
    const already = new AbortController();
    already.abort();
    await assert.rejects(
      guard(asConnection(c), { ...ctx, signal: already.signal }, () => undefined),
      (e) => isOcmError(e, 'cancelled'),
    );
  });

  it('turns a synchronous throw into an error', async () => {
    const c = fake();
    await assert.rejects(
      guard(asConnection(c), ctx, () => {
        throw new Error('Server does not support this extended request');
      }),
      (e) => isOcmError(e, 'unsupported'),
    );
  });
});

describe('error mapping', () => {
  it('maps SFTP status codes to kinds with a hint', () => {
    assert.equal(mapSftpError(Object.assign(new Error('Permission denied'), { code: 3 }), ctx).kind, 'permission');
    assert.equal(mapSftpError(Object.assign(new Error('Failure'), { code: 4 }), ctx).kind, 'failed');
    assert.equal(mapSftpError(Object.assign(new Error('x'), { code: 8 }), ctx).kind, 'unsupported');
    const existing = new OcmError('auth', 'a');
    assert.equal(mapSftpError(existing, ctx), existing);
    assert.match(connectionLostError(ctx, { cause: 'local', message: '' }).message, /closed here/);
  });

  it('maps channel failures', () => {
    assert.equal(channelError(new Error('(SSH) Channel open failure: Connection refused'), { nodeId: 'n', op: 'connect to 127.0.0.1:1' }).kind, 'unreachable');
    assert.equal(channelError(new Error('(SSH) Channel open failure: open failed'), { nodeId: 'n', op: 'exec' }).kind, 'failed');
    assert.equal(channelError(new Error('Not connected'), { nodeId: 'n', op: 'exec' }).kind, 'disconnected');
  });
});
