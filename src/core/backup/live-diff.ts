import { OcmError } from '../errors';
import { shellQuote } from '../transport/shell-quote';
import type { Transport } from '../transport/types';
import { diffEntries, type BackupDiff } from './diff';
import { excludedReason } from './exclusions';
import type { BackupIndex, IndexEntry } from './types';

const SIZES_MARKER = '@@OCM-SIZES@@';

/** The roots a backup covered on its node (what "compare with live" hashes). */
export function backupRoots(index: Pick<BackupIndex, 'sourcePaths' | 'options'>): string[] {
  const p = index.sourcePaths;
  const roots = index.options.configOnly ? [p.configPath] : [p.stateDir, p.configPath, ...p.workspaceDirs, ...p.agentDirs];
  return [...new Set(roots.filter((r): r is string => typeof r === 'string' && r.startsWith('/')))];
}

/**
 * Hashes every regular file under `roots` on the node in ONE exec (sha256sum, else `shasum -a 256`,
 * else `openssl dgst -sha256 -r`), plus size and mode (GNU or BSD stat). Missing roots are skipped.
 */
export async function hashLiveFiles(
  transport: Transport,
  roots: readonly string[],
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<IndexEntry[]> {
  if (roots.length === 0) return [];
  const findArgs = `"$@" -name node_modules -prune -o -type f`;
  const script = [
    `set --; for r in ${roots.map(shellQuote).join(' ')}; do if [ -e "$r" ]; then set -- "$@" "$r"; fi; done`,
    `[ $# -eq 0 ] && exit 0`,
    `if command -v sha256sum >/dev/null 2>&1; then find ${findArgs} -exec sha256sum {} +`,
    `elif command -v shasum >/dev/null 2>&1; then find ${findArgs} -exec shasum -a 256 {} +`,
    `elif command -v openssl >/dev/null 2>&1; then find ${findArgs} -exec openssl dgst -sha256 -r {} +`,
    `else echo "no sha256 tool (sha256sum, shasum or openssl) on this node" >&2; exit 42; fi`,
    `echo ${SIZES_MARKER}`,
    // GNU stat ends each record with NUL (names may hold newlines); BSD stat with a newline.
    `if stat -c %s / >/dev/null 2>&1; then find ${findArgs} -exec stat --printf '%s %a %n\\0' {} +; else find ${findArgs} -exec stat -f '%z %Lp %N' {} +; fi`,
  ].join('\n');
  const result = await transport.exec(script, { signal: options.signal, timeoutMs: options.timeoutMs ?? 600_000, maxOutputBytes: 512 * 1024 * 1024 });
  if (result.exitCode === 42) {
    throw new OcmError(
      'unsupported',
      `Node ${transport.nodeId} has no sha256 tool (sha256sum, shasum or openssl); install coreutils to compare with the live node.`,
      { nodeId: transport.nodeId },
    );
  }
  if (!result.stdout.includes(SIZES_MARKER)) {
    throw new OcmError('failed', `Hashing files on ${transport.nodeId} failed (exit ${result.exitCode}): ${result.stderr.trim().slice(0, 400)}`, {
      nodeId: transport.nodeId,
    });
  }
  // A cut-off list would make files look deleted or new: refuse it rather than compare half a tree.
  if (result.truncated) {
    throw new OcmError(
      'failed',
      `The list of files under ${roots.join(', ')} on ${transport.nodeId} was too long to read (over 512 MiB of output); nothing was compared. Compare a smaller part (one agent or one file).`,
      { nodeId: transport.nodeId },
    );
  }
  return parseHashListing(result.stdout, transport.nodeId);
}

/**
 * Parses the hash part (`<sha256>  <path>`; GNU and shasum escape a name holding a newline or a
 * backslash with a leading `\`) and the size part (NUL- or newline-ended `<size> <mode> <path>`).
 * A line that does not parse is an error, never skipped: a tool that prints names raw (openssl)
 * would otherwise split a name with a newline in two. A hashed file without a size is one that
 * vanished between the two passes (a running gateway's staging folder, say) and is left out —
 * unless some sized name starts with its path and a newline, i.e. it is the first half of a split.
 */
export function parseHashListing(stdout: string, nodeId: string): IndexEntry[] {
  const [hashPart = '', sizePart = ''] = stdout.split(SIZES_MARKER + '\n');
  const odd = (what: string, line: string): OcmError =>
    new OcmError(
      'failed',
      `Unexpected ${what} from ${nodeId}: ${JSON.stringify(line.slice(0, 200))}. A file name with a newline? Rename it, or install GNU coreutils on the node; nothing was compared.`,
      { nodeId },
    );
  const sizes = new Map<string, { size: number; mode: number }>();
  const records = sizePart.includes('\0') ? sizePart.split('\0') : sizePart.split('\n');
  for (const record of records) {
    if (record === '' || record === '\n') continue;
    const m = /^(\d+) ([0-7]+) (\/[\s\S]*)$/.exec(record.replace(/^\n/, ''));
    if (!m) throw odd('file size line', record);
    sizes.set(m[3]!, { size: Number(m[1]), mode: parseInt(m[2]!, 8) });
  }
  const entries: IndexEntry[] = [];
  for (const line of hashPart.split('\n')) {
    if (line === '') continue;
    const m = /^(\\?)([0-9a-f]{64}) [ *](\/.*)$/.exec(line);
    if (!m) throw odd('hash line', line);
    const path = m[1] ? m[3]!.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\')) : m[3]!;
    const st = sizes.get(path);
    if (!st) {
      if ([...sizes.keys()].some((k) => k.startsWith(path + '\n'))) throw odd('hash line (no size for it)', line);
      continue; // gone before its size was read: it is not on the node any more
    }
    entries.push({ path, type: 'file', size: st.size, mode: st.mode, sha256: m[2]! });
  }
  return entries;
}

/**
 * Compares a backup with the node as it is now: files only (links and folders are not compared),
 * with the backup's own exclusions applied to the live side. A = backup, B = live.
 */
export async function diffBackupWithLive(
  index: BackupIndex,
  transport: Transport,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<BackupDiff> {
  const live = await hashLiveFiles(transport, backupRoots(index), options);
  const stateDir = index.sourcePaths.stateDir ?? '/nonexistent-state-dir';
  const ctx = {
    stateDir,
    includeTranscripts: index.options.includeTranscripts,
    protectedPaths: new Set(index.sourcePaths.configPath ? [index.sourcePaths.configPath] : []),
  };
  const backupSide = index.entries
    .filter((e) => e.type === 'file' || e.type === 'hardlink')
    .map((e) => (e.type === 'hardlink' ? { ...e, type: 'file' as const } : e));
  const backupPaths = new Set(backupSide.map((e) => e.path));
  // Live files the backup leaves out by rule (logs, transcripts, sidecars, ...) are not "added".
  const liveSide = live.filter((e) => backupPaths.has(e.path) || excludedReason(e.path, ctx) === undefined);
  return diffEntries(backupSide, liveSide);
}

/** Reads files from the live node for line counts / unified diffs (missing files are absent). */
export function liveReader(transport: Transport, options: { signal?: AbortSignal } = {}): (paths: string[]) => Promise<Map<string, Buffer>> {
  return async (paths) => {
    const out = new Map<string, Buffer>();
    const queue = [...paths];
    const worker = async (): Promise<void> => {
      for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
        try {
          out.set(p, await transport.readFile(p, { signal: options.signal }));
        } catch (e) {
          if (!(e instanceof OcmError && e.kind === 'notFound')) throw e;
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    return out;
  };
}
