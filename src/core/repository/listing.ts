import { posix } from 'node:path';
import { OcmError } from '../errors';
import { STATE_REBUILDABLE_ROOTS } from '../backup/exclusions';
import { NODE_SQLITE_CHECK } from '../backup/node-stream';
import { shellQuote } from '../transport/shell-quote';
import type { Transport } from '../transport/types';

/**
 * One exec that tells the client what the node has: its tools, and every file under the backup
 * roots with type, size, mtime and ctime (ns), inode, mode and link target. GNU find's -printf
 * where it exists; elsewhere (BusyBox, macOS) `find -exec stat` with seconds-only times. The
 * client compares this with the parent snapshot and asks only for what changed.
 */

export interface ListedEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  mode: number;
  mtimeNs: string;
  ctimeNs: string;
  ino: number;
  linkTarget?: string;
}

export interface NodeListing {
  tools: Set<string>;
  /** GNU tar (has --ignore-failed-read, --null -T). */
  gnuTar: boolean;
  platform: string;
  existing: Set<string>;
  entries: ListedEntry[];
  /** Which listing ran: `printf` (ns times) or `stat` (seconds). */
  method: 'printf' | 'stat';
}

const REC = '\x1e';

export function listingScript(roots: readonly string[], stateDir: string | undefined): string {
  const prunes = ['-name node_modules', ...(stateDir ? [...STATE_REBUILDABLE_ROOTS].map((r) => `-path ${shellQuote(posix.join(stateDir, r))}`) : [])];
  const prune = `\\( ${prunes.join(' -o ')} \\) -prune -o`;
  return [
    // Temp folders of backups killed with SIGKILL (they may hold database copies, in RAM when in
    // /dev/shm: see scratchDir): removed when the shell whose pid is in their name is gone.
    `for d in /tmp/ocm-backup.* /dev/shm/ocm-backup.*; do [ -d "$d" ] && [ -O "$d" ] || continue; p=\${d##*/ocm-backup.}; p=\${p%%.*}; case "$p" in ''|*[!0-9]*) continue;; esac; kill -0 "$p" 2>/dev/null || rm -rf "$d"; done`,
    `for t in zstd gzip sqlite3 tar node; do if command -v "$t" >/dev/null 2>&1; then echo "tool:$t"; fi; done`,
    `case "$(tar --version 2>/dev/null)" in *GNU*) echo "tool:gnutar";; esac`,
    `echo "uname:$(uname -s)"`,
    `set --; for r in ${roots.map(shellQuote).join(' ')}; do if [ -e "$r" ] || [ -L "$r" ]; then echo "exists:$r"; set -- "$@" "$r"; fi; done`,
    // node:sqlite only matters without sqlite3 and with databases: start a Node (0.1–0.3 s) only then.
    `if [ $# -gt 0 ] && ! command -v sqlite3 >/dev/null 2>&1 && command -v node >/dev/null 2>&1 && [ -n "$(find "$@" -name '*.sqlite' -print 2>/dev/null)" ] && ${NODE_SQLITE_CHECK}; then echo "tool:node-sqlite"; fi`,
    `echo "begin-listing"`,
    `[ $# -gt 0 ] || exit 0`,
    `if find / -maxdepth 0 -printf '' >/dev/null 2>&1; then echo "method:printf"; find "$@" ${prune} -printf '%y %s %T@ %C@ %i %m %p\\0%l\\0'`,
    `elif stat -c '%s' / >/dev/null 2>&1; then echo "method:stat"; find "$@" ${prune} -exec stat -c '%F|%s|%Y|%Z|%i|%a|%n' {} + | tr '\\n' '${REC}'`,
    `else echo "method:stat"; find "$@" ${prune} -exec stat -f '%HT|%z|%m|%c|%i|%Lp|%N' {} + | tr '\\n' '${REC}'; fi`,
  ].join('\n');
}

/** `1701234567.123456789` (find %T@) → nanoseconds as a decimal string. */
export function secondsToNs(value: string): string {
  const dot = value.indexOf('.');
  const sec = dot < 0 ? value : value.slice(0, dot);
  const frac = dot < 0 ? '' : value.slice(dot + 1);
  // Plain digits (every time after 1970): string work, no BigInt (a listing has two per entry).
  if (DIGITS.test(sec) && DIGITS.test(frac)) return (sec + (frac + '000000000').slice(0, 9)).replace(LEADING_ZEROS, '');
  return (BigInt(sec || '0') * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9))).toString();
}
const DIGITS = /^\d*$/;
const LEADING_ZEROS = /^0+(?=\d)/;

const PRINTF_TYPE: Record<string, ListedEntry['type']> = { f: 'file', d: 'directory', l: 'symlink' };

export function parseListing(stdout: string): NodeListing {
  const at = stdout.indexOf('begin-listing\n');
  if (at < 0) throw new OcmError('failed', 'The node did not answer the file listing (no "begin-listing" marker).');
  const head = stdout.slice(0, at);
  let body = stdout.slice(at + 'begin-listing\n'.length);
  const listing: NodeListing = { tools: new Set(), gnuTar: false, platform: 'unknown', existing: new Set(), entries: [], method: 'printf' };
  for (const line of head.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const [key, value] = [line.slice(0, i), line.slice(i + 1)];
    if (key === 'tool') {
      if (value === 'gnutar') listing.gnuTar = true;
      else listing.tools.add(value);
    } else if (key === 'uname') listing.platform = value.toLowerCase();
    else if (key === 'exists') listing.existing.add(value);
  }
  const m = /^method:(printf|stat)\n/.exec(body);
  if (!m) return listing;
  listing.method = m[1] as 'printf' | 'stat';
  body = body.slice(m[0].length);
  if (listing.method === 'printf') {
    const fields = body.split('\0');
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const rec = fields[i];
      const parts = rec.split(' ');
      if (parts.length < 7) continue;
      const [y, size, mtime, ctime, ino, mode] = parts;
      const path = parts.slice(6).join(' ');
      const type = PRINTF_TYPE[y] ?? 'other';
      listing.entries.push({
        path,
        type,
        size: Number(size),
        mode: parseInt(mode, 8),
        mtimeNs: secondsToNs(mtime),
        ctimeNs: secondsToNs(ctime),
        ino: Number(ino),
        ...(type === 'symlink' ? { linkTarget: fields[i + 1] } : {}),
      });
    }
  } else {
    for (const rec of body.split(REC)) {
      const parts = rec.split('|');
      if (parts.length < 7) continue;
      const [kind, size, mtime, ctime, ino, mode] = parts;
      let path = parts.slice(6).join('|');
      let linkTarget: string | undefined;
      const k = kind.toLowerCase();
      const type: ListedEntry['type'] = k.includes('directory') ? 'directory' : k.includes('symbolic') ? 'symlink' : k.includes('regular') ? 'file' : 'other';
      if (type === 'symlink') {
        // GNU/BusyBox %N is "'link' -> 'target'" only with quoting; plain %n is the name: read the target separately.
        const arrow = path.indexOf(' -> ');
        if (arrow > 0) {
          linkTarget = path.slice(arrow + 4);
          path = path.slice(0, arrow);
        }
      }
      listing.entries.push({
        path,
        type,
        size: Number(size),
        mode: parseInt(mode, 8),
        mtimeNs: secondsToNs(mtime),
        ctimeNs: secondsToNs(ctime),
        ino: Number(ino),
        ...(linkTarget !== undefined ? { linkTarget } : {}),
      });
    }
  }
  return listing;
}

export async function listNode(
  transport: Transport,
  roots: readonly string[],
  stateDir: string | undefined,
  options: { signal?: AbortSignal; env?: Record<string, string> } = {},
): Promise<NodeListing> {
  const r = await transport.exec(listingScript(roots, stateDir), {
    signal: options.signal,
    timeoutMs: 600_000,
    maxOutputBytes: 1024 * 1024 * 1024,
    ...(options.env ? { env: options.env } : {}),
  });
  if (r.truncated) throw new OcmError('failed', `The file listing of ${transport.nodeId} was too large to read.`, { nodeId: transport.nodeId });
  if (r.exitCode !== 0 && !r.stdout.includes('begin-listing')) {
    throw new OcmError('failed', `Listing the files on ${transport.nodeId} failed (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 300) || 'no message'}.`, {
      nodeId: transport.nodeId,
    });
  }
  const listing = parseListing(r.stdout);
  if (!listing.tools.has('tar'))
    throw new OcmError('unsupported', `Node ${transport.nodeId} has no "tar" command; install tar there.`, { nodeId: transport.nodeId });
  // Symlinks in the stat fallback: read their targets in one more exec (rare: BusyBox, macOS).
  const links = listing.entries.filter((e) => e.type === 'symlink' && e.linkTarget === undefined);
  if (links.length) {
    const rl = await transport.exec(`for p in ${links.map((l) => shellQuote(l.path)).join(' ')}; do printf '%s\\0' "$(readlink "$p")"; done`, {
      signal: options.signal,
      timeoutMs: 120_000,
    });
    const targets = rl.stdout.split('\0');
    links.forEach((l, i) => (l.linkTarget = targets[i] ?? ''));
  }
  return listing;
}

/**
 * The change-detection stamp of a listed file (and, for a database, its -wal). A database's `-wal` counts with its size, mtime and inode but
 * not its ctime: SQLite running as root fchowns the WAL to the database's owner on every open, so
 * each consistent copy (ours included) moved the WAL's ctime and every snapshot of a root-run node
 * read every WAL database again (seen on the real 2026.9.6 state: two databases per unchanged repeat).
 */
export function stampOf(e: ListedEntry, wal?: ListedEntry): string {
  return `${e.size}:${e.mtimeNs}:${e.ctimeNs}:${e.ino}${wal ? `|wal:${wal.size}:${wal.mtimeNs}:${wal.ino}` : ''}`;
}
