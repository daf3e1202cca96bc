import { OcmError } from '../errors';
import { formatLimit } from '../transport/read-bounded';
import { shellQuote } from '../transport/shell-quote';
import type { OpOptions, Transport } from '../transport/types';

/**
 * Reads one `$include` file of openclaw.json on the node the way OpenClaw guards it (its
 * `includes` module, 2026.9.6): the path is resolved with symlinks followed, on the node, and
 * must stay inside the config folder's real path; it must be a regular file; and no more than
 * the include limit is read. A lexical check alone lets `config/x.json5 -> /dev/zero` (or any file
 * of the node) through, and an unbounded read of that never ends. One exec per include, as the
 * SFTP read it replaces.
 */

/** OpenClaw's own limit for one include file (MAX_INCLUDE_FILE_BYTES). */
export const MAX_INCLUDE_FILE_BYTES = 2 * 1024 * 1024;

/** `realpath`, else `readlink -f` (older BSDs and busybox builds have one or the other). */
const REAL = 'real() { realpath "$1" 2>/dev/null || readlink -f "$1" 2>/dev/null; }';

/** The script: a status word on the first line (`ok` is followed by the real path, a NUL, then the bytes). */
export function includeReadScript(path: string, root: string, maxBytes: number): string {
  return [
    REAL,
    `p=${shellQuote(path)}; root=${shellQuote(root)}`,
    // -e follows symlinks: a dangling one is missing, as for OpenClaw.
    '[ -e "$p" ] || { echo missing; exit 0; }',
    'r=$(real "$root"); t=$(real "$p")',
    '[ -n "$r" ] && [ -n "$t" ] || { echo norealpath; exit 0; }',
    'if [ "$r" != / ]; then case "$t" in "$r"/*) ;; *) printf \'outside\\n%s\' "$t"; exit 0 ;; esac; fi',
    '[ -f "$t" ] || { printf \'notfile\\n%s\' "$t"; exit 0; }',
    '[ -r "$t" ] || { echo unreadable; exit 0; }',
    `printf 'ok\\n%s\\0' "$t"; exec head -c ${maxBytes + 1} "$t"`,
  ].join('\n');
}

export interface IncludeRead {
  /** The file's content (at most maxBytes + 1 bytes: more means too large). */
  text: string;
  /** Its real path on the node. */
  realPath: string;
}

/**
 * Reads `path`, an include of a config in `root`, through `transport`. Fails with notFound when
 * it does not exist (the resolver names the include), invalidConfig when it resolves outside
 * `root` or is not a regular file, permission when it cannot be read.
 */
export async function readIncludeOnNode(transport: Transport, path: string, root: string, maxBytes: number, options: OpOptions = {}): Promise<IncludeRead> {
  const r = await transport.exec(includeReadScript(path, root, maxBytes), {
    ...options,
    timeoutMs: options.timeoutMs ?? 20_000,
    maxOutputBytes: maxBytes + 64 * 1024,
  });
  const nl = r.stdout.indexOf('\n');
  const word = nl >= 0 ? r.stdout.slice(0, nl) : r.stdout.trim();
  const rest = nl >= 0 ? r.stdout.slice(nl + 1) : '';
  const details = { nodeId: transport.nodeId, path };
  if (r.exitCode === 0 && word === 'ok') {
    const nul = rest.indexOf('\0');
    if (nul >= 0) return { realPath: rest.slice(0, nul), text: rest.slice(nul + 1) };
  }
  if (r.exitCode === 0) {
    if (word === 'missing') throw new OcmError('notFound', `${path} does not exist on ${transport.nodeId}.`, details);
    if (word === 'outside') {
      throw new OcmError(
        'invalidConfig',
        `$include ${path} resolves (through a symlink) to ${rest}, outside the config folder ${root}; OpenClaw refuses that. Put the file itself into ${root}.`,
        { ...details, realPath: rest },
      );
    }
    if (word === 'notfile') {
      throw new OcmError(
        'invalidConfig',
        `$include ${path} is not a regular file (it resolves to ${rest}: a folder, device, FIFO or socket); OpenClaw refuses that. Point the include at a JSON5 file.`,
        { ...details, realPath: rest },
      );
    }
    if (word === 'unreadable')
      throw new OcmError(
        'permission',
        `$include ${path} on ${transport.nodeId} exists but this SSH user cannot read it. Connect as the user that runs OpenClaw.`,
        details,
      );
    if (word === 'norealpath') {
      throw new OcmError(
        'unsupported',
        `Could not resolve the real path of $include ${path} on ${transport.nodeId}: it has neither realpath nor readlink -f. Install coreutils there.`,
        details,
      );
    }
  }
  const said = `${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 200)}`.trim();
  throw new OcmError(
    'failed',
    `Reading $include ${path} (at most ${formatLimit(maxBytes)}) on ${transport.nodeId} failed (exit ${r.exitCode ?? r.signal})${said ? `: ${said}` : ''}. Check that the node has a POSIX sh and head.`,
    details,
  );
}
