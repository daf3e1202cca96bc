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
}

export function printJson(ctx: CliContext, value: unknown): void {
  ctx.out(JSON.stringify(value, null, 2) + '\n');
}
