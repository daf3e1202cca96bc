import { strict as assert } from 'node:assert';
import { createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { connectSsh } from '../../../src/core/ssh/connect-client';
import type { ConnectTarget } from '../../../src/core/ssh/connect-target';

function target(port: number): ConnectTarget {
  return {
    nodeId: 'n1',
    host: '127.0.0.1',
    port,
    username: 'u',
    hostKeyName: `[127.0.0.1]:${port}`,
    identities: [],
    verifyHostKey: async () => true,
    jumps: [],
  };
}

describe('connectSsh failures', () => {
  it('a server that never speaks SSH fails as timeout within the limit', async () => {
    const sockets: Socket[] = [];
    const server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const started = Date.now();
    try {
      await assert.rejects(connectSsh(target(port), { readyTimeoutMs: 400 }), (e: unknown) => isOcmError(e, 'timeout'));
      assert.ok(Date.now() - started < 2000);
    } finally {
      sockets.forEach((s) => s.destroy());
      server.close();
    }
  });

  it('a closed port fails as unreachable; an aborted signal as cancelled', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    await assert.rejects(connectSsh(target(port)), (e: unknown) => isOcmError(e, 'unreachable') && /ECONNREFUSED/.test(e.message));
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(connectSsh(target(port), { signal: controller.signal }), (e: unknown) => isOcmError(e, 'cancelled'));
  });
});
