import { randomBytes } from 'node:crypto';
import { localZstd, NODE_SQLITE_BACKUP } from '../backup/node-stream';
import { shellQuote } from '../transport/shell-quote';
import type { CapturePlan } from './capture-plan';
import { NODE_DELTAS, type DeltaInput, type TailRequest } from './deltas';
import type { NodeListing } from './listing';

/**
 * The shell script (and its stdin) of a snapshot's second exec, built from the plan: a scratch
 * folder, consistent copies of changed databases, the changed parts of large files where the node
 * has Node.js (deltas.ts), and one tar stream of all of it, compressed when both sides can.
 * capture-stream.ts runs it and reads the stream.
 */

export interface CaptureScript {
  script: string;
  stdin: Buffer;
  /** Marks the scratch files in tar names (databases' copies and deltas, tails). */
  token: string;
  /** Indexes (into plan.databases) of the databases sent as deltas. */
  deltas: number[];
  tails: TailRequest[];
  wire: 'zstd' | 'gzip' | 'none';
}

export function captureScript(listing: NodeListing, plan: CapturePlan): CaptureScript {
  const token = `.ocm-snapshot-${randomBytes(6).toString('hex')}`;
  const wire: CaptureScript['wire'] = listing.tools.has('zstd') && localZstd() ? 'zstd' : listing.tools.has('gzip') ? 'gzip' : 'none';
  // Where the node has Node.js, databases with a parent copy send only their changed blocks and
  // grown files only what follows their unchanged start (see deltas.ts).
  const onNode = listing.tools.has('node');
  const deltas = onNode ? plan.databases.flatMap((d, i) => (d.known ? [i] : [])) : [];
  const tails: TailRequest[] = onNode ? [...plan.grown].map(([path, segs]) => ({ path, segs })) : [];
  const tailed = new Set(tails.map((t) => t.path));
  const nodeSide = deltas.length > 0 || tails.length > 0;
  // GNU tar and bsdtar read a NUL-separated list; BusyBox tar reads one name per line.
  const nul = listing.gnuTar || listing.platform === 'darwin';
  const sep = nul ? '\0' : '\n';
  const names = [...plan.wanted.keys()].filter((p) => !tailed.has(p)).map((p) => `.${p}${sep}`);
  const list = Buffer.from(names.join(''));
  const parts = {
    dbFile: (i: number): string => `$T/db${i}${token}`,
    tarArgs: `${listing.gnuTar ? '--ignore-failed-read ' : ''}${nul ? '--no-recursion --null ' : ''}`,
    printName: (name: string): string => (nul ? `printf '%s\\0' "${name}"` : `printf '%s\\n' "${name}"`),
    compress: wire === 'zstd' ? ' | zstd -q -1 -c' : wire === 'gzip' ? ' | gzip -1 -c' : '',
  };
  const lines = [
    'umask 077',
    ...scratchDir(plan.databases.reduce((n, d) => n + d.listed.size, 0)),
    `trap 'rm -rf "$T"' EXIT`,
    `trap 'exit 143' INT TERM HUP PIPE`,
    nodeSide ? 'cat > "$T/in" || exit 94' : 'cat > "$T/list" || exit 94',
    ...(nodeSide ? overlappedStream(plan, deltas, token, parts) : sequentialStream(plan, parts)),
    'rc=$(cat "$T/rc" 2>/dev/null || echo 99)',
    'if [ "$rc" = 1 ]; then echo "ocm-warning: some files changed while they were read" >&2; elif [ "$rc" != 0 ]; then echo "tar failed with exit code $rc" >&2; exit 92; fi',
    'exit 0',
  ];
  const input: DeltaInput = { known: deltas.map((i) => plan.databases[i]!.known!), tails, sep };
  const stdin = nodeSide ? Buffer.concat([Buffer.from(JSON.stringify(input) + '\n'), list]) : list;
  return { script: lines.join('\n'), stdin, token, deltas, tails, wire };
}

interface ScriptParts {
  dbFile(i: number): string;
  /** tar's options before `-T`. */
  tarArgs: string;
  printName(name: string): string;
  compress: string;
}

/**
 * A database's consistent copy. A backup must not write to the node's databases. With a -wal
 * file, the copy's connection may be the last one, and a read-write last connection checkpoints
 * the WAL into the database on close: open read-only then. Without one, read-write: a read-only
 * connection would create and leave behind -wal/-shm files, where a read-write one removes those
 * it made when it closes.
 */
function copyCommand(plan: CapturePlan, i: number, to: string): string {
  const d = plan.databases[i]!;
  return plan.sqliteTool === 'sqlite3'
    ? `sqlite3${d.wal ? ' -readonly' : ''} -cmd '.timeout 10000' ${shellQuote(d.listed.path)} ".backup '${to}'" >/dev/null`
    : `node -e ${shellQuote(NODE_SQLITE_BACKUP)} ${shellQuote(d.listed.path)} "${to}"${d.wal ? ' ro' : ''}`;
}

function copyFailed(plan: CapturePlan, i: number): string {
  return `{ echo ${shellQuote(`SQLite snapshot (${plan.sqliteTool}) of ${plan.databases[i]!.listed.path} failed`)} >&2; exit 91; }`;
}

/** Without Node.js on the node (or nothing to compute there): copies first, then one tar of the list. */
function sequentialStream(plan: CapturePlan, p: ScriptParts): string[] {
  return [
    ...plan.databases.map((_, i) => `${copyCommand(plan, i, p.dbFile(i))} || ${copyFailed(plan, i)}`),
    ...plan.databases.map((_, i) => `${p.printName(p.dbFile(i))} >> "$T/list"`),
    'cd / || exit 93',
    `{ tar -cf - ${p.tarArgs}-T "$T/list"; echo $? > "$T/rc"; }${p.compress}`,
  ];
}

/**
 * With Node.js on the node, nothing waits for the slowest part: the databases' consistent copies
 * run as a job beside the delta script (whose start-up, ~50 ms, they overlap), and tar reads its
 * names from that script's output (`-T -`), so the plain files stream while the copies are made
 * and hashed; the deltas, and databases sent whole, come last. Each copy's exit status goes to
 * DB.rc, renamed into place last (the script waits for it); failures are reported once the stream
 * has ended, so the client sees the exit code with the reason.
 */
function overlappedStream(plan: CapturePlan, deltas: number[], token: string, p: ScriptParts): string[] {
  const rc = (i: number): string => `"$(cat "${p.dbFile(i)}.rc" 2>/dev/null)"`;
  // A delta's whole-copy hash is computed by openssl beside the script's block hashes (the other
  // core: ~40 ms of a daily's critical path for 50 MB). Not sha256sum: coreutils' is ~4× slower
  // than OpenSSL here (no SHA extensions), slower than hashing in the script. An empty .sum (no
  // openssl) makes the script hash the copy itself.
  const sum = (f: string): string =>
    `if [ $r = 0 ]; then { openssl dgst -sha256 -r "${f}" > "${f}.su" 2>/dev/null || : > "${f}.su"; mv -f "${f}.su" "${f}.sum"; } & fi; `;
  const job = plan.databases.map(
    (_, i) =>
      `${copyCommand(plan, i, p.dbFile(i))}; r=$?; ${deltas.includes(i) ? sum(p.dbFile(i)) : ''}echo $r > "${p.dbFile(i)}.rt"; mv -f "${p.dbFile(i)}.rt" "${p.dbFile(i)}.rc"`,
  );
  const args = deltas.map((i, k) => ` "${p.dbFile(i)}" ${k}`).join('');
  const names = [
    ...(job.length ? [`{ ${job.join('; ')}; } </dev/null >/dev/null &`] : []),
    `node -e ${shellQuote(NODE_DELTAS)} "$T/in" ${shellQuote(token)}${args}; echo $? > "$T/nrc"`,
    'wait',
    ...plan.databases.flatMap((_, i) => (deltas.includes(i) ? [] : [`if [ ${rc(i)} = 0 ]; then ${p.printName(p.dbFile(i))}; fi`])),
  ];
  return [
    'cd / || exit 93',
    `{\n${names.join('\n')}\n} | { tar -cf - ${p.tarArgs}-T -; echo $? > "$T/rc"; }${p.compress}`,
    ...plan.databases.map((_, i) => `[ ${rc(i)} = 0 ] || ${copyFailed(plan, i)}`),
    `[ "$(cat "$T/nrc" 2>/dev/null)" = 0 ] || { echo 'Computing the changed parts of large files failed' >&2; exit 95; }`,
  ];
}

/**
 * Shell lines that make `$T`, the capture's scratch folder. Consistent database copies go to RAM
 * (`/dev/shm`, a tmpfs on Linux) when it has ample room: a copy written to a disk-backed /tmp
 * costs its write and SQLite's fsyncs — for a 50 MB database 0.21 s there against 0.06 s in
 * /dev/shm, most of a daily snapshot's time. "Ample" is four times the copy and its delta, so a
 * backup never crowds the node's shared memory; else, and where there is no /dev/shm, /tmp.
 */
export function scratchDir(databaseBytes: number): string[] {
  const make = 'mktemp -d /tmp/ocm-backup.$$.XXXXXX';
  if (databaseBytes <= 0) return [`T=$(${make}) || { echo "mktemp failed" >&2; exit 90; }`];
  const needKb = Math.ceil((databaseBytes * 2 * 4) / 1024) + 64 * 1024;
  return [
    `shm=$(df -Pk /dev/shm 2>/dev/null | awk 'NR==2{print $4}')`,
    `T=; case "$shm" in ''|*[!0-9]*) ;; *) [ "$shm" -gt ${needKb} ] && T=$(mktemp -d /dev/shm/ocm-backup.$$.XXXXXX 2>/dev/null) ;; esac`,
    `[ -n "$T" ] || T=$(${make}) || { echo "mktemp failed" >&2; exit 90; }`,
  ];
}
