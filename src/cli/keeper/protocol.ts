import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { ocmHome } from '../../core/home';

/**
 * The connection keeper (like OpenSSH's ControlPersist): a background `ocm` process that keeps
 * the SSH connections of read-only commands (`ocm status`, `ocm agents <id>`) open for a few
 * minutes, so running them again skips a handshake per node. Each new `ocm` process would
 * otherwise connect to every node again: on 20 nodes that is most of the command's time.
 *
 * The CLI talks to it over a Unix socket in `<ocm home>/run/` (a folder only the user can
 * enter), with one JSON object per line:
 *   client → keeper: {type:"run", argv, env, tty} then {type:"answer", id, value} for prompts;
 *   keeper → client: {type:"out"|"err", text}, {type:"prompt", id, kind, request}, {type:"exit", code};
 *   `ocm keeper status|stop`: {type:"info"} → {type:"info", pid, ...}; {type:"stop"} → {type:"exit", code:0}.
 * Password and passphrase prompts are asked by the client on its own terminal; nothing typed is kept.
 *
 * OCM_KEEP_CONNECTIONS=<minutes> sets how long it stays after the last command (default 5);
 * 0 turns it off (every command connects itself, as before).
 */

export type ClientMessage =
  | { type: 'run'; argv: string[]; env: Record<string, string>; tty: { stdout: boolean; stderr: boolean } }
  | { type: 'answer'; id: number; value: unknown }
  /** `ocm keeper status` / `ocm keeper stop`. */
  | { type: 'info' }
  | { type: 'stop' };

export interface KeeperInfo {
  pid: number;
  startedAt: string;
  keepMinutes: number;
  /** Node ids with an open SSH connection. */
  connections: string[];
  /** Commands running now. */
  commandsRunning: number;
}

export type KeeperMessage =
  | { type: 'out' | 'err'; text: string }
  | { type: 'prompt'; id: number; kind: 'password' | 'passphrase' | 'keyboardInteractive'; request: unknown }
  | { type: 'exit'; code: number }
  | ({ type: 'info' } & KeeperInfo);

export const DEFAULT_KEEP_MINUTES = 5;

/** Minutes to keep connections (0 = no keeper), from OCM_KEEP_CONNECTIONS. */
export function keepMinutes(env: NodeJS.ProcessEnv): number {
  const raw = env.OCM_KEEP_CONNECTIONS;
  if (raw === undefined || raw.trim() === '') return DEFAULT_KEEP_MINUTES;
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 24 * 60) : 0;
}

/** Commands the keeper runs: read-only ones that only need the network (not `agents add|remove`, not help). */
export function keeperServes(argv: readonly string[]): boolean {
  if (argv.some((a) => a === '-h' || a === '--help' || a === '--')) return false;
  if (argv[0] === 'status') return true;
  return argv[0] === 'agents' && argv[1] !== undefined && !argv[1].startsWith('-') && argv[1] !== 'add' && argv[1] !== 'remove';
}

/**
 * The socket of the keeper for this build of the CLI (`cliFile`: the running dist/cli.js): a
 * rebuilt or upgraded CLI never talks to an older keeper (which then idles out). Undefined when
 * the path would be too long for a Unix socket.
 */
export function keeperSocketPath(env: NodeJS.ProcessEnv, cliFile: string): string | undefined {
  let build = 'dev';
  try {
    const s = statSync(cliFile);
    build = `${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    // no file (tests run from sources): one keeper per ocm home
  }
  const id = createHash('sha256').update(build).digest('hex').slice(0, 12);
  const path = join(ocmHome(env), 'run', `keeper-${id}.sock`);
  return Buffer.byteLength(path) < 100 ? path : undefined;
}

/** Written by a keeper that could not start; while it is recent the CLI does not try again. */
export function failedMarkerFor(socketPath: string): string {
  return `${socketPath}.failed`;
}

/** How long a failed start keeps the CLI from trying again. */
export const RETRY_FAILED_START_MS = 60 * 60_000;

/** A connection to the keeper at `path`, or undefined (with the error code) when none answers there. */
export function connectToKeeper(path: string, onError?: (code: string | undefined) => void): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => resolve(socket));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      onError?.(e.code);
      resolve(undefined);
    });
  });
}

/** Splits a stream of bytes into JSON lines. */
export function lineReader(onMessage: (message: unknown) => void): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString('utf8');
    let at: number;
    while ((at = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, at);
      pending = pending.slice(at + 1);
      if (line.trim() === '') continue;
      try {
        onMessage(JSON.parse(line));
      } catch {
        // a broken line is ignored (the other side is the same build)
      }
    }
  };
}
