/**
 * POSIX shell quoting for anything sent to a remote shell: wraps in single quotes and escapes
 * embedded single quotes ('\'' idiom). Safe for spaces, quotes, `$`, backticks and non-ASCII.
 */
export function shellQuote(arg: string): string {
  if (arg === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Quotes each argument and joins them into one command line. */
export function shellJoin(args: readonly string[]): string {
  return args.map(shellQuote).join(' ');
}

/** `export K='v'; ` prefix for an env map (keys must be valid shell names). */
export function envPrefix(env: Record<string, string> | undefined): string {
  if (!env) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`invalid environment variable name: ${key}`);
    parts.push(`${key}=${shellQuote(value)}`);
  }
  return parts.length ? `export ${parts.join(' ')}; ` : '';
}
