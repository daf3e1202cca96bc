import type { AuthPrompt } from '../core/ssh/connect-target';
import type { SshPool } from '../core/ssh/pool';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** What a CLI command may touch: output streams and the environment (tests pass their own). */
export interface CliContext {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Set by a command that was asked for --json, so errors are printed as JSON too. */
  json: boolean;
  exitCode?: number;
  /** Whether the user's stdout / stderr are terminals (default: this process's). The keeper is told by its client. */
  tty?: { stdout: boolean; stderr: boolean };
  /** Password and passphrase prompts (default: this process's terminal). The keeper relays them to its client. */
  authPrompt?: AuthPrompt;
  /**
   * Inside the connection keeper (keeper/server.ts): its long-lived SSH pool, shared by every
   * command it runs. Commands use it instead of a pool of their own and never close it.
   */
  sshPool?: SshPool;
  /**
   * Aborts when the command's caller is gone (in the keeper: its client disconnected — Ctrl-C, a
   * timeout, a closed terminal). Commands pass it on; the transports they get stop with it.
   */
  signal?: AbortSignal;
}

export function stdoutIsTty(ctx: CliContext): boolean {
  return ctx.tty ? ctx.tty.stdout : process.stdout.isTTY === true;
}

export function stderrIsTty(ctx: CliContext): boolean {
  return ctx.tty ? ctx.tty.stderr : process.stderr.isTTY === true;
}

export function printJson(ctx: CliContext, value: unknown): void {
  ctx.out(JSON.stringify(value, null, 2) + '\n');
}
