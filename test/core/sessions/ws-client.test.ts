import assert from 'node:assert/strict';
import { Duplex, PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { parseSessionsListAnswer } from '../../../src/core/sessions/rpc-read';
import { decodeFrame, encodeFrame, openWebSocket, type DuplexStream } from '../../../src/core/sessions/ws-client';

/** Frame codec and the client's handshake over an in-memory duplex (the real gateway is in test/integration/sessions). */

function unmask(frame: Buffer): { opcode: number; payload: Buffer } {
  const h = decodeFrame(frame)!;
  const mask = frame.subarray(h.headerBytes, h.headerBytes + 4);
  const body = frame.subarray(h.headerBytes + 4, h.headerBytes + 4 + h.length);
  return { opcode: h.opcode, payload: Buffer.from(body.map((b, i) => b ^ mask[i & 3]!)) };
}

function serverFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, len]) : Buffer.from([(fin ? 0x80 : 0) | opcode, 126, len >> 8, len & 255]);
  return Buffer.concat([head, payload]);
}

/** A duplex whose writes go to `toServer` and whose reads come from `fromServer`. */
function pair(): { client: DuplexStream; toServer: PassThrough; fromServer: { write(data: Buffer | string): void } } {
  const toServer = new PassThrough();
  const duplex = new Duplex({
    read() {},
    write(chunk, _enc, cb) {
      toServer.write(chunk);
      cb();
    },
  });
  return {
    client: duplex as unknown as DuplexStream,
    toServer,
    fromServer: { write: (data) => void duplex.push(typeof data === 'string' ? Buffer.from(data) : data) },
  };
}

describe('WebSocket client', () => {
  it('client frames are masked and decode back, for 7-bit, 16-bit and 64-bit lengths', () => {
    for (const size of [5, 300, 70_000]) {
      const payload = Buffer.alloc(size, 7);
      const { opcode, payload: back } = unmask(encodeFrame(0x1, payload));
      assert.equal(opcode, 1);
      assert.ok(back.equals(payload));
    }
    assert.equal(decodeFrame(Buffer.from([0x81])), undefined, 'a partial header is not a frame');
    assert.equal(decodeFrame(Buffer.from([0x81, 0x85, 0, 0]))!.length, Number.MAX_SAFE_INTEGER, 'a masked server frame is refused');
  });

  it('handshake checks Sec-WebSocket-Accept, joins fragments, answers pings', async () => {
    const { client, toServer, fromServer } = pair();
    let request = '';
    const opened = openWebSocket(client, { host: '127.0.0.1:1', timeoutMs: 2000 });
    await new Promise<void>((r) => toServer.once('data', (c: Buffer) => ((request = c.toString()), r())));
    const key = /Sec-WebSocket-Key: (\S+)/.exec(request)![1]!;
    const accept = createHash('sha1')
      .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
      .digest('base64');
    fromServer.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const ws = await opened;
    const messages: string[] = [];
    ws.onMessage((m) => messages.push(m));
    const pong = new Promise<Buffer>((r) => toServer.once('data', (c: Buffer) => r(c)));
    fromServer.write(serverFrame(0x9, Buffer.from('p')));
    assert.equal(unmask(await pong).opcode, 0xa);
    fromServer.write(Buffer.concat([serverFrame(0x1, Buffer.from('{"a":'), false), serverFrame(0x0, Buffer.from('1}'))]));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(messages, ['{"a":1}']);
    ws.close();
  });

  it('a refused upgrade is an error naming the status line', async () => {
    const { client, toServer, fromServer } = pair();
    const opened = openWebSocket(client, { host: 'h', timeoutMs: 2000 });
    toServer.once('data', () => fromServer.write('HTTP/1.1 401 Unauthorized\r\n\r\n'));
    await assert.rejects(opened, /refused the WebSocket upgrade \(HTTP\/1\.1 401 Unauthorized\)/);
  });
});

describe('sessions.list answer', () => {
  it('archived rows are left out; the row agent wins over the asked one', () => {
    const rows = parseSessionsListAnswer({ sessions: [{ key: 'a', agentId: 'work' }, { key: 'b', archived: true }, { key: 'c' }, { nokey: 1 }] }, 'main');
    assert.deepEqual(
      rows.map((r) => [r.key, r.agentId]),
      [
        ['a', 'work'],
        ['c', 'main'],
      ],
    );
  });
});
