/**
 * Masks secrets in text before it reaches a log. Core never logs passwords or passphrases in the
 * first place; this is the safety net for text that comes from elsewhere (remote command output,
 * config files, error messages from libraries).
 */

const MASK = '***';

const PATTERNS: { pattern: RegExp; replace: (match: string, ...groups: string[]) => string }[] = [
  // PEM / OpenSSH private key blocks.
  {
    pattern: /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g,
    replace: (_m, kind: string) => `-----BEGIN ${kind}PRIVATE KEY-----${MASK}-----END ${kind}PRIVATE KEY-----`,
  },
  // Authorization headers: Bearer / Basic / Token schemes.
  {
    pattern: /\b(Authorization\s*[:=]\s*["']?)(Bearer|Basic|Token|Bot)\s+[^\s"',;]+/gi,
    replace: (_m, head: string, scheme: string) => `${head}${scheme} ${MASK}`,
  },
  { pattern: /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/g, replace: (_m, scheme: string) => `${scheme} ${MASK}` },
  // JSON / JSON5 / YAML-ish "key": "value" where the key names a secret.
  {
    pattern:
      /(["']?)([A-Za-z0-9_.-]*(?:token|secret|password|passwd|passphrase|api[_-]?key|apikey|private[_-]?key|access[_-]?key|credential|auth)[A-Za-z0-9_.-]*)\1(\s*[:=]\s*)(["'])((?:\\.|(?!\4)[^\\])*)\4/gi,
    replace: (_m, q: string, key: string, sep: string, vq: string) => `${q}${key}${q}${sep}${vq}${MASK}${vq}`,
  },
  // key=value / key: value without quotes (query strings, env lines, YAML).
  {
    pattern: /\b([A-Za-z0-9_.-]*(?:token|secret|password|passwd|passphrase|api[_-]?key|apikey|access[_-]?key)[A-Za-z0-9_.-]*)(\s*[=:]\s*)([^\s"'&,;}]+)/gi,
    replace: (_m, key: string, sep: string) => `${key}${sep}${MASK}`,
  },
  // Credentials in URLs: scheme://user:password@host
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi, replace: (_m, head: string) => `${head}:${MASK}@` },
  // Well-known token shapes even without a key name.
  { pattern: /\b(sk-[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16})\b/g, replace: () => MASK },
];

/** Returns `text` with tokens, API keys, passwords, bearer headers and private keys masked. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const { pattern, replace } of PATTERNS) {
    out = out.replace(pattern, replace as (substring: string, ...args: unknown[]) => string);
  }
  return out;
}
