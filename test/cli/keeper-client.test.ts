import { strict as assert } from 'node:assert';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { runInKeeper } from '../../src/cli/keeper/client';
import { keeperSocketPath, lineReader, type ClientMessage } from '../../src/cli/keeper/protocol';

/**
 * The keeper client talks only to a socket that is the user's own: a listener planted in a run
 * folder others can write, or owned by another uid, gets nothing (the command runs in-process);
 * the user's own keeper gets only the environment variables its commands read.
 */

const OTHER_UID = 54_321;
const cliFile = '/nonexistent/ocm-cli.js';

interface Planted {
  socketPath: string;
  env: NodeJS.ProcessEnv;
  /** Messages the listener received (a `run` would carry the environment). */
  received: ClientMessage[];
  connections: number;
  server: Server;
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A fake keeper listening where the client looks for one; it answers a `run` with exit 7. */
async function plantKeeper(extraEnv: NodeJS.ProcessEnv = {}): Promise<Planted> {
  const home = mkdtempSync(join(tmpdir(), 'ocm-kc-'));
  const ocmHome = join(home, 'ocm');
  mkdirSync(ocmHome, { mode: 0o700 });
  const env: NodeJS.ProcessEnv = { HOME: home, OCM_HOME: ocmHome, OCM_KEEP_CONNECTIONS: '1', ...extraEnv };
  const socketPath = keeperSocketPath(env, cliFile)!;
  mkdirSync(dirname(socketPath), { mode: 0o700 });
  const planted: Planted = { socketPath, env, received: [], connections: 0, server: undefined as unknown as Server };
  planted.server = createServer((socket: Socket) => {
    planted.connections++;
    socket.on(
      'data',
      lineReader((m) => {
        planted.received.push(m as ClientMessage);
        if ((m as ClientMessage).type === 'run') socket.end(JSON.stringify({ type: 'exit', code: 7 }) + '\n');
      }),
    );
  });
  servers.push(planted.server);
  await new Promise<void>((r) => planted.server.listen(socketPath, r));
  return planted;
}

/** runInKeeper with process.stderr captured. */
async function run(planted: Planted): Promise<{ code: number | undefined; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write;
  try {
    const code = await runInKeeper(['status', '--json'], cliFile, planted.env);
    return { code, stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe('keeper client: whose socket it talks to, and what it sends', () => {
  it('the user’s own keeper gets the command and only the environment variables it reads', async () => {
    const planted = await plantKeeper({
      AWS_SECRET_ACCESS_KEY: 'do-not-send',
      GITHUB_TOKEN: 'nor-this',
      SSH_AUTH_SOCK: '/tmp/agent.sock',
      LANG: 'C',
      KEYS_DIR: '/keys',
    });
    mkdirSync(join(planted.env.HOME!, '.ssh'), { mode: 0o700 });
    writeFileSync(join(planted.env.HOME!, '.ssh', 'config'), 'Host *\n  IdentityFile ${KEYS_DIR}/id_ed25519\n');
    const result = await run(planted);
    assert.equal(result.code, 7, result.stderr);
    const request = planted.received.find((m) => m.type === 'run') as Extract<ClientMessage, { type: 'run' }>;
    assert.deepEqual(request.argv, ['status', '--json']);
    assert.deepEqual(
      Object.keys(request.env).sort(),
      ['HOME', 'KEYS_DIR', 'LANG', 'OCM_HOME', 'SSH_AUTH_SOCK'],
      'the secrets stay here; ${KEYS_DIR} of ssh_config is sent',
    );
  });

  it('a run folder others can write: refused with a clear message, nothing sent, the command runs here', async () => {
    const planted = await plantKeeper();
    chmodSync(dirname(planted.socketPath), 0o777);
    const result = await run(planted);
    assert.equal(result.code, undefined);
    assert.equal(planted.connections, 0);
    assert.match(result.stderr, /connection keeper was not used: other users can write to .*run \(mode 777\)\. Run chmod 700/);
  });

  it('a run folder of another user: refused, nothing sent', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to chown');
    const planted = await plantKeeper();
    chownSync(dirname(planted.socketPath), OTHER_UID, OTHER_UID);
    const result = await run(planted);
    assert.equal(result.code, undefined);
    assert.equal(planted.connections, 0);
    assert.match(result.stderr, new RegExp(`belongs to uid ${OTHER_UID}, not to you`));
  });

  it('a socket owned by another uid in our own folder: refused, nothing sent', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to chown');
    const planted = await plantKeeper();
    chownSync(planted.socketPath, OTHER_UID, OTHER_UID);
    const result = await run(planted);
    assert.equal(result.code, undefined);
    assert.equal(planted.received.length, 0);
    assert.match(result.stderr, new RegExp(`the socket .* belongs to uid ${OTHER_UID}, not to you`));
  });

  it('an ocm home others can write (they could swap run/): refused, nothing sent', async () => {
    const planted = await plantKeeper();
    chmodSync(planted.env.OCM_HOME!, 0o777);
    const result = await run(planted);
    assert.equal(result.code, undefined);
    assert.equal(planted.connections, 0);
    assert.match(result.stderr, /can be changed by other users/);
  });
});
