import { chmodSync, existsSync, lstatSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { AuthPrompt } from '../../core/ssh/connect-target';
import { SshPool } from '../../core/ssh/pool';
import type { CliContext } from '../context';
import { cliError, l10n } from '../l10n';
import { connectToKeeper, failedMarkerFor, lineReader, type ClientMessage, type KeeperInfo, type KeeperMessage } from './protocol';

type RunCommand = (argv: string[], ctx: CliContext) => Promise<number>;

/**
 * The keeper process (`ocm __keeper <socket> <minutes>`, started detached by the CLI): serves
 * commands over the socket with one long-lived SSH pool, and exits after `keepMs` without one.
 * The pool re-checks an open connection against each command's freshly resolved target (host
 * key still trusted, same login) before reusing it, so `ocm trust --replace`, a revoked key or
 * a changed identity take effect at once, as without the keeper.
 */
export async function runKeeper(socketPath: string, keepMs: number, run: RunCommand): Promise<void> {
  const outcome = await startKeeper(socketPath, keepMs, run);
  if (outcome !== 'serving') process.exit(outcome === 'failed' ? 1 : 0);
}

export interface KeeperStartHooks {
  /** Tests: runs after the socket path was found free and before listening (another keeper may win the race here). */
  beforeListen?: () => Promise<void>;
}

/**
 * Listens and serves (`serving`), or finds another keeper answering on the socket (`another`: two
 * started together and the other won), or could not start (`failed`: the marker tells the CLI not
 * to try again for a while). Only a real failure leaves the marker: one written by the keeper
 * that lost a start race kept every later command from a keeper for an hour.
 */
export async function startKeeper(
  socketPath: string,
  keepMs: number,
  run: RunCommand,
  hooks: KeeperStartHooks = {},
): Promise<'serving' | 'another' | 'failed'> {
  try {
    return (await listenAndServe(socketPath, keepMs, run, hooks)) ? 'serving' : 'another';
  } catch (e) {
    const other = await connectToKeeper(socketPath);
    if (other) {
      other.destroy();
      return 'another';
    }
    // Tell the CLI not to wait for a keeper here (a filesystem without Unix sockets, a folder of
    // another user...): it then runs commands itself without trying again for a while.
    try {
      writeFileSync(failedMarkerFor(socketPath), `${e instanceof Error ? e.message : String(e)}\n`, { mode: 0o600 });
    } catch {
      // nowhere to say it: the CLI gives up waiting after a few seconds
    }
    return 'failed';
  }
}

/** False when another keeper already answers on the socket. */
async function listenAndServe(socketPath: string, keepMs: number, run: RunCommand, hooks: KeeperStartHooks): Promise<boolean> {
  const dir = dirname(socketPath);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (!(await takeOver(socketPath))) return false; // another keeper answers on it
  await hooks.beforeListen?.();

  const pool = new SshPool({ recheckReuse: true, idleTimeoutMs: keepMs, keepaliveIntervalMs: 5000, keepaliveCountMax: 3 });
  const startedAt = new Date().toISOString();
  let active = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  const control: Control = {
    info: () => ({ pid: process.pid, startedAt, keepMinutes: keepMs / 60_000, connections: pool.openConnections(), commandsRunning: active - 1 }),
    stop: () => stop(),
  };
  const server = createServer((socket) => {
    active++;
    clearTimeout(idleTimer);
    serve(socket, pool, run, control).finally(() => {
      active--;
      armIdle();
    });
  });
  const stop = (): void => {
    server.close();
    void pool.close().finally(() => {
      try {
        unlinkSync(socketPath);
      } catch {
        // already gone
      }
      process.exit(0);
    });
  };
  const armIdle = (): void => {
    clearTimeout(idleTimer);
    if (active === 0) idleTimer = setTimeout(stop, keepMs);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      // Only the user can enter the folder; the socket itself is owner-only too.
      const previous = process.umask(0o177);
      server.once('error', (e) => {
        process.umask(previous);
        reject(e);
      });
      server.listen(socketPath, () => {
        process.umask(previous);
        resolve();
      });
    });
  } catch (e) {
    await pool.close().catch(() => undefined);
    throw e;
  }
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  rmSync(failedMarkerFor(socketPath), { force: true });
  armIdle();
  return true;
}

/** True when the socket path is free for us (a stale socket of a dead keeper is removed). */
async function takeOver(socketPath: string): Promise<boolean> {
  if (!existsSync(socketPath)) return true;
  if (!lstatSync(socketPath).isSocket()) throw new Error(`${socketPath} exists and is not a socket; remove it`);
  const probe = await connectToKeeper(socketPath);
  if (probe) {
    probe.destroy();
    return false;
  }
  unlinkSync(socketPath);
  return true;
}

interface Control {
  info(): KeeperInfo;
  stop(): void;
}

async function serve(socket: Socket, pool: SshPool, run: RunCommand, control: Control): Promise<void> {
  const send = (message: KeeperMessage): void => {
    if (!socket.destroyed) socket.write(JSON.stringify(message) + '\n');
  };
  const answers = new Map<number, (value: unknown) => void>();
  let nextPrompt = 1;
  const ask = <T>(kind: 'password' | 'passphrase' | 'keyboardInteractive', request: unknown): Promise<T | undefined> =>
    new Promise((resolve) => {
      if (socket.destroyed) return resolve(undefined);
      const id = nextPrompt++;
      answers.set(id, (value) => resolve(value as T | undefined));
      send({ type: 'prompt', id, kind, request });
    });
  const prompt: AuthPrompt = {
    password: (r) => ask<string>('password', r),
    passphrase: (r) => ask<string>('passphrase', r),
    keyboardInteractive: (r) => ask<string[]>('keyboardInteractive', r),
  };
  const request = await new Promise<Extract<ClientMessage, { type: 'run' }> | undefined>((resolve) => {
    socket.on(
      'data',
      lineReader((message) => {
        const m = message as ClientMessage;
        if (m.type === 'run') resolve(m);
        else if (m.type === 'info') {
          send({ type: 'info', ...control.info() });
          socket.end();
        } else if (m.type === 'stop') {
          send({ type: 'exit', code: 0 });
          socket.end();
          control.stop();
        } else if (m.type === 'answer') {
          answers.get(m.id)?.(m.value);
          answers.delete(m.id);
        }
      }),
    );
    socket.on('close', () => {
      for (const answer of answers.values()) answer(undefined);
      answers.clear();
      resolve(undefined);
    });
    socket.on('error', () => undefined);
  });
  if (!request) return;
  // The client went away before the answer (Ctrl-C, a timeout, a closed terminal): stop its work,
  // which would otherwise go on — reading, holding channels — with nobody to answer.
  const gone = new AbortController();
  const onGone = (): void =>
    gone.abort(
      cliError(
        'cancelled',
        l10n.both('The ocm command that asked for this stopped waiting (interrupted or timed out); its work in the connection keeper was cancelled.'),
      ),
    );
  if (socket.destroyed) onGone();
  else socket.once('close', onGone);
  const ctx: CliContext = {
    out: (text) => send({ type: 'out', text }),
    err: (text) => send({ type: 'err', text }),
    env: request.env,
    json: false,
    tty: request.tty,
    authPrompt: prompt,
    sshPool: pool,
    signal: gone.signal,
  };
  let code = 1;
  try {
    code = await run(request.argv, ctx);
  } catch (e) {
    send({ type: 'err', text: `ocm: ${e instanceof Error ? e.message : String(e)}\n` });
  }
  socket.off('close', onGone);
  send({ type: 'exit', code });
  socket.end();
}
