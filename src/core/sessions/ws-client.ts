import { createHash, randomBytes } from 'node:crypto';
import { OcmError } from '../errors';

/**
 * The smallest WebSocket client (RFC 6455) that can talk to an OpenClaw gateway over ANY duplex
 * stream — here the SSH direct-tcpip channel of `transport.connectTcp`, so no local port is opened
 * and nothing is installed on the node. Text frames only (the gateway speaks JSON), client frames
 * masked, fragmented messages joined, pings answered, no extensions (we never offer
 * permessage-deflate). Incoming messages are bounded.
 */

export type DuplexStream = NodeJS.ReadWriteStream & { destroy(): void };

export interface WsConnection {
  send(text: string): void;
  /** Called for each complete text message. */
  onMessage(listener: (text: string) => void): void;
  /** Called once when the connection ends (error or close); `error` set when it did not close cleanly. */
  onClose(listener: (error?: OcmError) => void): void;
  close(): void;
}

/** Largest message accepted (the gateway's own default frame limit is 25 MiB). */
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Upgrades `stream` to a WebSocket at `path`; resolves after the server's 101. */
export function openWebSocket(stream: DuplexStream, options: { host: string; path?: string; timeoutMs: number; signal?: AbortSignal }): Promise<WsConnection> {
  return new Promise<WsConnection>((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    let buffered = Buffer.alloc(0);
    let upgraded = false;
    let closed = false;
    let fragments: Buffer[] = [];
    let fragmentBytes = 0;
    const messageListeners: Array<(text: string) => void> = [];
    const closeListeners: Array<(error?: OcmError) => void> = [];

    const timer = setTimeout(
      () => fail(new OcmError('timeout', `The gateway did not accept the WebSocket connection within ${options.timeoutMs} ms.`)),
      options.timeoutMs,
    );
    const onAbort = (): void => fail(new OcmError('cancelled', 'Cancelled.'));
    options.signal?.addEventListener('abort', onAbort, { once: true });

    function fail(error?: OcmError): void {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      stream.removeListener('data', onData);
      stream.destroy();
      if (!upgraded) return reject(error ?? new OcmError('disconnected', 'The gateway closed the connection before the WebSocket upgrade.'));
      for (const l of closeListeners) l(error);
    }

    const connection: WsConnection = {
      send(text) {
        if (closed) throw new OcmError('disconnected', 'The gateway connection is closed.');
        stream.write(encodeFrame(0x1, Buffer.from(text, 'utf8')));
      },
      onMessage: (l) => void messageListeners.push(l),
      onClose: (l) => void closeListeners.push(l),
      close() {
        if (closed) return;
        try {
          stream.write(encodeFrame(0x8, Buffer.from([0x03, 0xe8])));
        } catch {
          /* already gone */
        }
        fail();
      },
    };

    function onData(chunk: Buffer | string): void {
      buffered = Buffer.concat([buffered, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
      if (!upgraded) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buffered.length > 64 * 1024) fail(new OcmError('failed', 'The gateway answered the WebSocket upgrade with an oversized header.'));
          return;
        }
        const head = buffered.subarray(0, end).toString('latin1');
        buffered = buffered.subarray(end + 4);
        const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
        const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
        const expected = createHash('sha1')
          .update(key + GUID)
          .digest('base64');
        if (status !== '101' || accept !== expected) {
          return fail(new OcmError('failed', `The gateway refused the WebSocket upgrade (${head.split('\r\n')[0] ?? 'no status'}).`));
        }
        upgraded = true;
        clearTimeout(timer);
        resolve(connection);
      }
      readFrames();
    }

    function readFrames(): void {
      for (;;) {
        const frame = decodeFrame(buffered);
        if (!frame) return;
        if (frame.length > MAX_MESSAGE_BYTES) return fail(new OcmError('failed', `The gateway sent a message larger than ${MAX_MESSAGE_BYTES} bytes.`));
        if (buffered.length < frame.headerBytes + frame.length) return;
        const payload = buffered.subarray(frame.headerBytes, frame.headerBytes + frame.length);
        buffered = buffered.subarray(frame.headerBytes + frame.length);
        if (frame.opcode === 0x8) return fail();
        if (frame.opcode === 0x9) {
          stream.write(encodeFrame(0xa, payload));
          continue;
        }
        if (frame.opcode === 0xa) continue;
        if (frame.opcode === 0x1 || frame.opcode === 0x2 || frame.opcode === 0x0) {
          fragments.push(Buffer.from(payload));
          fragmentBytes += payload.length;
          if (fragmentBytes > MAX_MESSAGE_BYTES) return fail(new OcmError('failed', `The gateway sent a message larger than ${MAX_MESSAGE_BYTES} bytes.`));
          if (frame.fin) {
            const text = Buffer.concat(fragments).toString('utf8');
            fragments = [];
            fragmentBytes = 0;
            for (const l of messageListeners) l(text);
          }
        }
      }
    }

    stream.on('data', onData);
    stream.once('error', (e: Error) => fail(new OcmError('disconnected', `The gateway connection failed: ${e.message}`)));
    stream.once('close', () => fail(upgraded ? new OcmError('disconnected', 'The gateway closed the connection.') : undefined));
    stream.once('end', () => fail(upgraded ? new OcmError('disconnected', 'The gateway closed the connection.') : undefined));
    stream.write(
      `GET ${options.path ?? '/'} HTTP/1.1\r\nHost: ${options.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nUser-Agent: openclaw-manager\r\n\r\n`,
    );
  });
}

interface FrameHeader {
  fin: boolean;
  opcode: number;
  length: number;
  headerBytes: number;
}

/** The header of the frame at the start of `data`, or undefined when not all of it arrived. */
export function decodeFrame(data: Buffer): FrameHeader | undefined {
  if (data.length < 2) return undefined;
  const fin = (data[0]! & 0x80) !== 0;
  const opcode = data[0]! & 0x0f;
  const masked = (data[1]! & 0x80) !== 0;
  let length = data[1]! & 0x7f;
  let at = 2;
  if (length === 126) {
    if (data.length < 4) return undefined;
    length = data.readUInt16BE(2);
    at = 4;
  } else if (length === 127) {
    if (data.length < 10) return undefined;
    length = Number(data.readBigUInt64BE(2));
    at = 10;
  }
  // Servers never mask; a masked frame is treated as a protocol error by its absurd length.
  if (masked) return { fin, opcode, length: Number.MAX_SAFE_INTEGER, headerBytes: at };
  return { fin, opcode, length, headerBytes: at };
}

/** One masked client frame. */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const header = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x80 | opcode;
  if (len < 126) header[1] = 0x80 | len;
  else if (len < 65536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(len, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = payload[i]! ^ mask[i & 3]!;
  return Buffer.concat([header, mask, body]);
}
