/**
 * Gateway tokens are shown only masked — in previews, --json, logs and error messages — so a
 * rotation report can be pasted into a ticket. `scrubTokens` is the last line of defence: it walks
 * any value a face is about to print and replaces every known token string with its mask.
 */

/** `abcd…(48 chars)`; very short tokens show no characters at all. */
export function maskToken(token: string | undefined): string {
  if (token === undefined || token === '') return '(none)';
  const head = token.length >= 16 ? token.slice(0, 4) : '';
  return `${head}…(${token.length} chars)`;
}

/** A deep copy of `value` with every occurrence of each secret replaced by its mask. */
export function scrubTokens<T>(value: T, secrets: readonly (string | undefined)[]): T {
  const list = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4).sort((a, b) => b.length - a.length);
  if (list.length === 0) return value;
  const scrubString = (s: string): string => {
    let out = s;
    for (const secret of list) if (out.includes(secret)) out = out.split(secret).join(maskToken(secret));
    return out;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return scrubString(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && !(v instanceof Date) && !Buffer.isBuffer(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
