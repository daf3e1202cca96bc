import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NodeAccess } from '../../src/core/node-access';
import { NodeRegistry } from '../../src/core/registry';
import type { ConnectTarget } from '../../src/core/ssh/connect-target';
import type { Transport } from '../../src/core/transport/types';

/** NodeAccess resolves ssh_config per connect, or once per access for a short-lived CLI command. */
describe('NodeAccess', () => {
  let dir: string;
  let registry: NodeRegistry;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ocm-node-access-'));
    await mkdir(join(dir, '.ssh'), { mode: 0o700 });
    registry = new NodeRegistry(join(dir, 'nodes.json'));
    await registry.add({ id: 'a', host: 'alpha' });
    await registry.add({ id: 'b', host: 'beta' });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const config = (port: number): Promise<void> => writeFile(join(dir, '.ssh', 'config'), `Host *\n  HostName 127.0.0.1\n  Port ${port}\n`, { mode: 0o600 });
  const access = (cacheSshConfig: boolean, seen: ConnectTarget[]): NodeAccess =>
    new NodeAccess({
      registry,
      hostKeyPolicy: 'strict',
      cacheSshConfig,
      resolveDeps: { home: dir, env: { HOME: dir, OCM_HOME: dir }, hostKeyPolicy: 'strict', systemSshConfigPath: null },
      ssh: (target) => (seen.push(target), { nodeId: target.nodeId, close: async () => undefined } as unknown as Transport),
    });

  for (const cache of [true, false]) {
    it(cache ? 'with cacheSshConfig, ssh_config is read once for all its nodes' : 'without it, every connect reads ssh_config again', async () => {
      const seen: ConnectTarget[] = [];
      const a = access(cache, seen);
      await config(2201);
      await a.transport('a');
      await config(2202);
      await a.transport('b');
      assert.deepEqual(
        seen.map((t) => [t.nodeId, t.host, t.port]),
        [
          ['a', '127.0.0.1', 2201],
          ['b', '127.0.0.1', cache ? 2201 : 2202],
        ],
      );
      await a.close();
    });
  }
});
