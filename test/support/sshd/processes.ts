import { readdirSync, readFileSync } from 'node:fs';

/** Parent pid and uid of every live process, read from /proc (no `ps` dependency). */
function processTable(): { pid: number; ppid: number; uid: number }[] {
  const rows: { pid: number; ppid: number; uid: number }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Field 2 (comm) may contain spaces and parentheses: parse after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
      rows.push({ pid: Number(name), ppid: Number(rest[1]), uid });
    } catch {
      // The process exited while we looked.
    }
  }
  return rows;
}

/** All descendants of `rootPid` (children, grandchildren, ...), not including it. */
export function descendantsOf(rootPid: number): number[] {
  const table = processTable();
  const children = new Map<number, number[]>();
  for (const row of table) {
    const list = children.get(row.ppid) ?? [];
    list.push(row.pid);
    children.set(row.ppid, list);
  }
  const out: number[] = [];
  const queue = [rootPid];
  while (queue.length) {
    const pid = queue.shift()!;
    for (const child of children.get(pid) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** Pids of processes running as `uid`. */
export function processesOfUid(uid: number): number[] {
  return processTable()
    .filter((row) => row.uid === uid)
    .map((row) => row.pid);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

export async function waitUntil(predicate: () => boolean, timeoutMs: number, stepMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  return predicate();
}
