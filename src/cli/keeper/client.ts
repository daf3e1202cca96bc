import { spawn } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { l10n } from '../l10n';
import { terminalAuthPrompt } from '../terminal-auth-prompt';
import { keeperEnvironment, keeperPlaceProblem } from './client-checks';
import {
  connectToKeeper,
  failedMarkerFor,
  keeperServes,
  keeperSocketPath,
  keepMinutes,
  lineReader,
  RETRY_FAILED_START_MS,
  type ClientMessage,
  type KeeperInfo,
  type KeeperMessage,
} from './protocol';

/**
 * Runs `argv` in the connection keeper (protocol.ts), starting it when it is not running.
 * Returns the command's exit code, or undefined when the keeper is off, does not serve this
 * command or cannot be reached before it printed anything — the caller then runs the command
 * itself, exactly as without a keeper. A socket whose folder or file is not the user's own is
 * not used (client-checks.ts), and the keeper gets only the environment its commands read.
 */
export async function runInKeeper(argv: string[], cliFile: string, env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  const minutes = keepMinutes(env);
  if (minutes <= 0 || process.platform === 'win32' || !keeperServes(argv)) return undefined;
  const socketPath = keeperSocketPath(env, cliFile);
  if (!socketPath) return undefined;
  // Never hand prompt answers or the environment to a socket someone else could have put there.
  const misplaced = await keeperPlaceProblem(socketPath);
  if (misplaced) {
    process.stderr.write(misplaced + '\n');
    return undefined;
  }
  const failed = failedMarkerFor(socketPath);
  let refusedBy: string | undefined;
  let socket = await connectToKeeper(socketPath, (code) => (refusedBy = code));
  if (!socket) {
    // A run/ folder we may not enter (another user's ocm home): no keeper of ours can live there.
    if (refusedBy === 'EACCES' || refusedBy === 'EPERM' || startFailedRecently(failed)) return undefined;
    startKeeper(cliFile, socketPath, minutes, env);
    // It listens within a Node.js start-up (~0.2 s); give up (and run the command here) after 3 s,
    // or at once when it reports that it cannot start.
    const deadline = Date.now() + 3000;
    while (!socket && Date.now() < deadline && !startFailedRecently(failed)) {
      await new Promise((r) => setTimeout(r, 25));
      socket = await connectToKeeper(socketPath);
    }
  }
  if (!socket) return undefined;
  // Checked again now that the socket exists: it must be ours (its folder was already checked).
  const notOurs = await keeperPlaceProblem(socketPath);
  if (notOurs) {
    socket.destroy();
    process.stderr.write(notOurs + '\n');
    return undefined;
  }
  // A keeper answers: a marker left beside it (a start race lost by another) is stale.
  rmSync(failed, { force: true });
  return talk(socket, argv, await keeperEnvironment(env));
}

function startFailedRecently(marker: string): boolean {
  try {
    return Date.now() - statSync(marker).mtimeMs < RETRY_FAILED_START_MS;
  } catch {
    return false;
  }
}

function startKeeper(cliFile: string, socketPath: string, minutes: number, env: NodeJS.ProcessEnv): void {
  // Detached and silent: it outlives this command by design and must not hold its terminal.
  const child = spawn(process.execPath, [cliFile, '__keeper', socketPath, String(minutes)], { detached: true, stdio: 'ignore', env });
  child.on('error', () => undefined);
  child.unref();
}

function talk(socket: Socket, argv: string[], env: Record<string, string>): Promise<number | undefined> {
  const prompt = terminalAuthPrompt();
  return new Promise((resolve) => {
    let printed = false;
    let exitCode: number | undefined;
    const send = (message: ClientMessage): void => {
      if (!socket.destroyed) socket.write(JSON.stringify(message) + '\n');
    };
    socket.on(
      'data',
      lineReader((message) => {
        const m = message as KeeperMessage;
        if (m.type === 'out' || m.type === 'err') {
          printed = true;
          (m.type === 'out' ? process.stdout : process.stderr).write(m.text);
        } else if (m.type === 'prompt') {
          const r = m.request as never;
          const answer = m.kind === 'password' ? prompt.password(r) : m.kind === 'passphrase' ? prompt.passphrase(r) : prompt.keyboardInteractive(r);
          void Promise.resolve(answer).then(
            (value) => send({ type: 'answer', id: m.id, value }),
            () => send({ type: 'answer', id: m.id, value: undefined }),
          );
        } else if (m.type === 'exit') exitCode = m.code;
      }),
    );
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (exitCode !== undefined) return resolve(exitCode);
      // The keeper went away mid-command: run it here unless output was already shown.
      if (!printed) return resolve(undefined);
      process.stderr.write(l10n.t('ocm: the connection keeper stopped during the command; run it again (OCM_KEEP_CONNECTIONS=0 turns the keeper off).') + '\n');
      resolve(1);
    });
    send({ type: 'run', argv, env, tty: { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true } });
  });
}

/** `ocm keeper status|stop`: asks the keeper of this ocm home and CLI build; undefined when none is running. */
export async function askKeeper(socketPath: string, what: 'info' | 'stop'): Promise<KeeperInfo | { stopped: true } | undefined> {
  const socket = await connectToKeeper(socketPath);
  if (!socket) return undefined;
  return new Promise((resolve) => {
    let answer: KeeperInfo | { stopped: true } | undefined;
    socket.on(
      'data',
      lineReader((message) => {
        const m = message as KeeperMessage;
        if (m.type === 'info') {
          const { type: _type, ...info } = m;
          answer = info;
        } else if (m.type === 'exit') answer = { stopped: true };
      }),
    );
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer));
    socket.write(JSON.stringify({ type: what } satisfies ClientMessage) + '\n');
  });
}
