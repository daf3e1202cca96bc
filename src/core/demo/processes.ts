import { execFile } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { withFileLock } from '../file-lock';
import { writeFileAtomic } from '../fs-atomic';

/**
 * The processes the demo started (gateways, the demo memory agent), in one pid file, so that
 * stopping the demo stops exactly those and nothing else. Each entry keeps the process's start
 * time as the kernel reports it: a pid that was reused by another program since (after a crash
 * and a reboot, or a long time) does not match and is never signalled.
 */

export interface DemoProcess {
  pid: number;
  /** Kernel start time (Linux: /proc/<pid>/stat field 22; elsewhere `ps -o lstart=`). */
  startTime: string;
  kind: 'gateway' | 'memory-agent';
  nodeId?: string;
  startedAt: string;
  /**
   * The process group it runs in when it does not lead it (a gateway under the `setsid sh -c` of
   * ocm's start command, with its workers), and the group leader's start time: stopped with it.
   */
  group?: { pgid: number; startTime: string };
}

export async function readPidFile(file: string): Promise<DemoProcess[]> {
  const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '[]';
    throw e;
  });
  try {
    const list = JSON.parse(text) as unknown;
    return Array.isArray(list) ? list.filter((p): p is DemoProcess => typeof p?.pid === 'number' && typeof p?.startTime === 'string') : [];
  } catch {
    return []; // a torn file from a crash: nothing in it can be trusted as ours
  }
}

async function updatePidFile(file: string, change: (list: DemoProcess[]) => DemoProcess[]): Promise<void> {
  await fs.mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await withFileLock(file, async () => {
    const next = change(await readPidFile(file));
    await writeFileAtomic(file, JSON.stringify(next, null, 2) + '\n', 0o600);
  });
}

/** Adds a running process to the pid file (its start time is read now). */
export async function recordProcess(file: string, entry: Omit<DemoProcess, 'startTime' | 'startedAt' | 'group'>): Promise<DemoProcess | undefined> {
  const startTime = await processStartTime(entry.pid);
  if (!startTime) return undefined; // already gone
  const full: DemoProcess = { ...entry, startTime, startedAt: new Date().toISOString() };
  const pgid = await processGroup(entry.pid);
  const groupStart = pgid && pgid !== entry.pid ? await processStartTime(pgid) : undefined;
  if (pgid && groupStart) full.group = { pgid, startTime: groupStart };
  await updatePidFile(file, (list) => [...list.filter((p) => p.pid !== entry.pid), full]);
  return full;
}

/** The kernel's start time of a process, or undefined when it does not exist. */
export async function processStartTime(pid: number): Promise<string | undefined> {
  if (!(pid > 1)) return undefined;
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat !== undefined) {
    // Fields after the command name (which may hold spaces and parentheses): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  }
  if (process.platform === 'linux') return undefined;
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'lstart=', '-p', String(pid)], (err, stdout) => resolve(err ? undefined : stdout.trim() || undefined));
  });
}

/** The process group of a process (Linux /proc; undefined elsewhere or when gone). */
async function processGroup(pid: number): Promise<number | undefined> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  return pgid > 1 ? pgid : undefined;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when the pid still runs the process that was recorded (same start time). */
export async function stillOurs(p: DemoProcess): Promise<boolean> {
  return (await processStartTime(p.pid)) === p.startTime;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  // A process that leads its own group (gateways run under setsid) takes its children with it.
  try {
    process.kill(-pid, sig);
    return;
  } catch {
    /* not a group leader */
  }
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

export interface StopReport {
  stopped: DemoProcess[];
  /** Needed SIGKILL after the grace time. */
  killed: DemoProcess[];
  /** In the file, but the pid is gone or belongs to another program now (left alone). */
  notOurs: DemoProcess[];
}

/**
 * Stops the recorded processes that are still ours: SIGTERM (to the process group when the
 * process leads one), SIGKILL after `graceMs`; then empties the pid file of everything it named.
 */
export async function stopRecorded(file: string, options: { graceMs?: number; filter?: (p: DemoProcess) => boolean } = {}): Promise<StopReport> {
  const all = await readPidFile(file);
  const chosen = all.filter(options.filter ?? (() => true));
  const report: StopReport = { stopped: [], killed: [], notOurs: [] };
  const ours: DemoProcess[] = [];
  for (const p of chosen) ((await stillOurs(p)) ? ours : report.notOurs).push(p);
  for (const p of ours) signal(p.pid, 'SIGTERM');
  const deadline = Date.now() + (options.graceMs ?? 20_000);
  let alive = ours;
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    alive = (await Promise.all(alive.map(async (p) => ((await stillOurs(p)) ? p : undefined)))).filter((p): p is DemoProcess => p !== undefined);
  }
  for (const p of alive) signal(p.pid, 'SIGKILL');
  for (const p of alive) {
    for (let i = 0; i < 50 && (await stillOurs(p)); i++) await new Promise((r) => setTimeout(r, 100));
  }
  // What remains of their process groups (workers of a gateway), when the group is still the recorded one.
  // (A group outlives its leader, and Linux reuses no pid while its group exists: a live group whose
  // leader is gone is still the recorded one.)
  const groups: number[] = [];
  for (const p of ours) {
    if (!p.group || !groupAlive(p.group.pgid)) continue;
    const leader = await processStartTime(p.group.pgid);
    if (leader === undefined || leader === p.group.startTime) groups.push(p.group.pgid);
  }
  for (const g of groups) signal(g, 'SIGTERM');
  const groupDeadline = Date.now() + 10_000;
  while (groups.some(groupAlive) && Date.now() < groupDeadline) await new Promise((r) => setTimeout(r, 200));
  for (const g of groups.filter(groupAlive)) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  report.killed = alive;
  report.stopped = ours.filter((p) => !alive.includes(p));
  const named = new Set(chosen.map((p) => p.pid));
  await updatePidFile(file, (list) => list.filter((p) => !named.has(p.pid)));
  return report;
}

/** True when a process's environment has `NAME=value` (Linux /proc; false where that cannot be read). */
export async function processHasEnv(pid: number, name: string, value: string): Promise<boolean> {
  const environ = await fs.readFile(`/proc/${pid}/environ`).catch(() => undefined);
  if (!environ) return false;
  return environ.toString('utf8').split('\0').includes(`${name}=${value}`);
}

/**
 * SIGTERM to every recorded process that is still ours, synchronously and without waiting (for a
 * host that is shutting down; the next start cleans whatever survives).
 */
export function stopRecordedNow(file: string): number {
  let list: DemoProcess[];
  try {
    list = JSON.parse(readFileSync(file, 'utf8')) as DemoProcess[];
  } catch {
    return 0;
  }
  let sent = 0;
  for (const p of Array.isArray(list) ? list : []) {
    let stat: string | undefined;
    try {
      stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    if (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] !== p.startTime) continue;
    signal(p.pid, 'SIGTERM');
    sent++;
  }
  return sent;
}
