/**
 * How a command reaches /bin/sh on a node without the user's login shell parsing it.
 *
 * sshd runs every exec request as `$SHELL -c <request>`, and login shells disagree about quoting:
 * fish reads `\'` and `\\` inside single quotes as escapes (a quoted value ending in `\` runs on
 * past its closing quote), csh and tcsh refuse a newline inside quotes (every multi-line script
 * fails with "Unmatched '''"). So the request is one of two fixed strings that mean the same in
 * sh, bash, zsh, fish, csh and tcsh (single quotes holding no `\`, `'`, `!` or newline), and the
 * script itself — env exports included — follows on the channel's stdin:
 *
 * - without caller stdin: the script is all of stdin (`eval "$(cat)"`), so the command then reads EOF;
 * - with caller stdin: a preamble `<byte length>\n<script>` comes first; `read` (byte by byte, as
 *   POSIX requires) and `dd bs=1` take exactly that much, and the rest of stdin is the command's.
 */
import { envPrefix } from '../transport/shell-quote';

/** The exec request when the command gets no stdin of its own. */
export const SCRIPT_ON_STDIN = `exec /bin/sh -c 'eval "$(cat)"'`;

/** The exec request when the caller's stdin follows the length-prefixed script. */
export const SCRIPT_THEN_STDIN = `exec /bin/sh -c 'IFS= read -r n && s=$(dd bs=1 count=$n 2>/dev/null) && eval "$s"'`;

export interface RemoteCommand {
  /** What goes in the SSH exec request: always one of the two fixed strings above. */
  request: string;
  /** Bytes to write to the channel before anything else (the caller's stdin, if any, follows). */
  preamble: Buffer;
}

/** The exec request and stdin preamble that run `command` with `env` exported, through /bin/sh. */
export function remoteCommand(command: string, env: Record<string, string> | undefined, withStdin: boolean): RemoteCommand {
  const script = Buffer.from(envPrefix(env) + command, 'utf8');
  if (!withStdin) return { request: SCRIPT_ON_STDIN, preamble: script };
  return { request: SCRIPT_THEN_STDIN, preamble: Buffer.concat([Buffer.from(`${script.length}\n`), script]) };
}
