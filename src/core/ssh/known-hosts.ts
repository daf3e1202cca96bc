import { createHmac, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { keyTypeOfBlob } from './fingerprint';

/**
 * Read-only view of OpenSSH known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"). The tool
 * never writes the user's known_hosts: new trust goes to its own trust store.
 */

export type KnownHostMarker = 'revoked' | 'cert-authority';

export interface KnownHostLine {
  file: string;
  /** 1-based line number (for "remove line N of FILE" advice). */
  line: number;
  marker?: KnownHostMarker;
  /** The raw host field: comma-separated patterns, or one `|1|salt|hash` hashed name. */
  hosts: string;
  keyType: string;
  /** Raw key blob (decoded base64). */
  blob: Buffer;
}

/** The name known_hosts uses for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

/** Parses known_hosts text; malformed lines are skipped (OpenSSH does the same). */
export function parseKnownHosts(text: string, file = '<known_hosts>'): KnownHostLine[] {
  const out: KnownHostLine[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostMarker | undefined;
    if (fields[0]!.startsWith('@')) {
      const name = fields.shift()!.slice(1);
      if (name !== 'revoked' && name !== 'cert-authority') return;
      marker = name;
    }
    const [hosts, keyType, base64] = fields;
    if (!hosts || !keyType || !base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return;
    const blob = Buffer.from(base64, 'base64');
    // A line whose blob names a different type than its type field is corrupt: ignore it.
    if (keyTypeOfBlob(blob) !== keyType) return;
    out.push({ file, line: index + 1, ...(marker ? { marker } : {}), hosts, keyType, blob });
  });
  return out;
}

/** True when the line's host field names `name` (`host` or `[host]:port`), honouring hashes, wildcards and `!` negation. */
export function hostFieldMatches(hosts: string, name: string): boolean {
  const lowerName = name.toLowerCase();
  if (hosts.startsWith('|1|')) return hashedNameMatches(hosts, lowerName);
  let matched = false;
  for (const rawPattern of hosts.split(',')) {
    const negated = rawPattern.startsWith('!');
    const pattern = (negated ? rawPattern.slice(1) : rawPattern).toLowerCase();
    if (patternMatches(pattern, lowerName)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function hashedNameMatches(field: string, name: string): boolean {
  const parts = field.split('|');
  // ['', '1', salt, hash]
  if (parts.length !== 4) return false;
  const salt = Buffer.from(parts[2]!, 'base64');
  const expected = Buffer.from(parts[3]!, 'base64');
  const actual = createHmac('sha1', salt).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** known_hosts wildcards: `*` any run, `?` exactly one character. */
function patternMatches(pattern: string, name: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === name;
  const regex = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
        .join('') +
      '$',
  );
  return regex.test(name);
}

/** Hashes a name the way `ssh-keygen -H` does (tests use it to build hashed lines). */
export function hashKnownHostName(name: string, salt: Buffer): string {
  const hash = createHmac('sha1', salt).update(name.toLowerCase()).digest('base64');
  return `|1|${salt.toString('base64')}|${hash}`;
}

/**
 * Parsed files, reused while a file's size and mtime (ns) are unchanged: checking many nodes at once
 * reads the same known_hosts for each of them twice (algorithms to offer, then the key check).
 */
const parsedFiles = new Map<string, { size: number; mtimeNs: bigint; lines: KnownHostLine[] }>();

/** Lines of all `files` (missing or unreadable files count as empty). */
export async function readKnownHostsFiles(files: readonly string[]): Promise<KnownHostLine[]> {
  const all: KnownHostLine[] = [];
  for (const file of files) {
    try {
      const stat = await fs.stat(file, { bigint: true });
      const cached = parsedFiles.get(file);
      if (cached && cached.size === Number(stat.size) && cached.mtimeNs === stat.mtimeNs) {
        all.push(...cached.lines);
        continue;
      }
      const text = await fs.readFile(file, 'utf8');
      const lines = parseKnownHosts(text, file);
      if (Buffer.byteLength(text) === Number(stat.size)) parsedFiles.set(file, { size: Number(stat.size), mtimeNs: stat.mtimeNs, lines });
      all.push(...lines);
    } catch {
      parsedFiles.delete(file);
    }
  }
  return all;
}

/** Lines whose host field names `name`, in file order. */
export function linesForHost(lines: readonly KnownHostLine[], name: string): KnownHostLine[] {
  return lines.filter((l) => hostFieldMatches(l.hosts, name));
}
