import type { DiskUsage, HostFacts } from './types';

/**
 * Host facts (load, memory, disk) from one small POSIX sh script that prints `key=value` lines.
 * Linux reads /proc; macOS/BSD fall back to sysctl, vm_stat and uptime. `df -Pkl` lists every local
 * mounted filesystem and the state dir's one is picked here (longest mount-point prefix), so the
 * script does not need to know the state dir — it runs in the same round trip as OpenClaw's
 * discovery, which is what finds the state dir.
 */
export function buildHostFactsScript(): string {
  // Few processes on purpose (each fork costs milliseconds on a busy node): on Linux the OS name,
  // online CPUs, load, uptime and memory are read from /proc and /sys with the shell's own `read`
  // (df is the only process started), and df's lines are passed through raw after a marker.
  return `
hk() { printf 'host.%s=%s\\n' "$1" "$2"; }
if [ -r /proc/sys/kernel/ostype ]; then read -r os < /proc/sys/kernel/ostype; hk os "$os"; else hk os "$(uname -s 2>/dev/null)"; fi
if [ -r /sys/devices/system/cpu/online ]; then read -r on < /sys/devices/system/cpu/online; hk cpus_online "$on"
else hk cpus "$(getconf _NPROCESSORS_ONLN 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null)"; fi
if [ -r /proc/loadavg ]; then read -r l < /proc/loadavg; hk loadavg "$l"
elif l=$(sysctl -n vm.loadavg 2>/dev/null) && [ -n "$l" ]; then hk loadavg "$l"
else hk uptime_text "$(uptime 2>/dev/null)"; fi
if [ -r /proc/uptime ]; then read -r up _ < /proc/uptime; hk uptime_sec "$up"
elif b=$(sysctl -n kern.boottime 2>/dev/null) && [ -n "$b" ]; then hk boottime "$b"; hk now "$(date +%s)"; fi
if [ -r /proc/meminfo ]; then
  while read -r k v _; do
    case "$k" in MemTotal:|MemAvailable:|MemFree:|Buffers:|Cached:) hk "meminfo.\${k%:}" "$v" ;; esac
  done < /proc/meminfo
else
  hk memsize "$(sysctl -n hw.memsize 2>/dev/null)"
  vm_stat 2>/dev/null | awk -F: 'NR == 1 { if (match($0, /page size of [0-9]+/)) print "host.vm.pagesize=" substr($0, RSTART + 13, RLENGTH - 13); next } { gsub(/[ .]/, "", $2); gsub(/ /, "_", $1); print "host.vm." $1 "=" $2 }'
fi
# \`df -l\` (GNU, BSD, macOS) skips network filesystems before asking them, so a hung NFS or sshfs
# mount cannot hang it and it needs no \`timeout\` process; busybox has no -l: plain df, under timeout.
echo ${DF_MARKER}
dfo=$(df -Pkl 2>/dev/null)
if [ -z "$dfo" ]; then t=""; command -v timeout >/dev/null 2>&1 && t="timeout 5"; dfo=$($t df -Pk 2>/dev/null); fi
printf '%s\n' "$dfo"
exit 0
`;
}

const DF_MARKER = '__OCM_DF__';

/** Parses the script's `host.*` lines. `stateDir` picks the filesystem reported as `disk`. */
export function parseHostFacts(output: string, stateDir: string | undefined): HostFacts {
  const values = new Map<string, string>();
  const markerAt = output.indexOf(`${DF_MARKER}\n`);
  const head = markerAt >= 0 ? output.slice(0, markerAt) : output;
  // Line 1 of df is its header, which parseDfLine rejects.
  const dfLines =
    markerAt >= 0
      ? output
          .slice(markerAt + DF_MARKER.length + 1)
          .split('\n')
          .filter((l) => l.trim() !== '')
      : [];
  for (const line of head.split('\n')) {
    if (!line.startsWith('host.')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(5, eq);
    const value = line.slice(eq + 1).trim();
    if (key === 'df') dfLines.push(value);
    else if (!values.has(key)) values.set(key, value);
  }
  const facts: HostFacts = {};
  const os = values.get('os');
  if (os) facts.os = os;
  const cpus = int(values.get('cpus')) ?? countCpuList(values.get('cpus_online'));
  if (cpus !== undefined && cpus > 0) facts.cpus = cpus;

  const load = parseLoad(values.get('loadavg')) ?? parseUptimeLoad(values.get('uptime_text'));
  if (load) [facts.load1, facts.load5, facts.load15] = load;

  const uptime = num(values.get('uptime_sec'));
  if (uptime !== undefined) facts.uptimeSec = Math.round(uptime);
  else {
    // kern.boottime: `{ sec = 1700000000, usec = 0 } Mon Nov ...`
    const boot = /sec\s*=\s*(\d+)/.exec(values.get('boottime') ?? '');
    const now = int(values.get('now'));
    if (boot && now !== undefined) facts.uptimeSec = Math.max(0, now - Number(boot[1]));
  }

  const memory = parseLinuxMemory(values) ?? parseDarwinMemory(values);
  if (memory) {
    facts.memTotalBytes = memory.total;
    facts.memAvailableBytes = memory.available;
    facts.memUsedPct = memory.total > 0 ? round1(((memory.total - memory.available) / memory.total) * 100) : 0;
  }

  const disk = stateDir
    ? diskFor(
        dfLines.map(parseDfLine).filter((d): d is DiskUsage => d !== undefined),
        stateDir,
      )
    : undefined;
  if (disk) facts.disk = disk;
  return facts;
}

/** `/proc/loadavg` (`0.52 0.58 0.59 1/389 12345`) or macOS `vm.loadavg` (`{ 1.23 1.45 1.67 }`). */
export function parseLoad(text: string | undefined): [number, number, number] | undefined {
  if (!text) return undefined;
  const m = /(\d+(?:[.,]\d+)?)\s+(\d+(?:[.,]\d+)?)\s+(\d+(?:[.,]\d+)?)/.exec(text);
  if (!m) return undefined;
  return [dec(m[1]!), dec(m[2]!), dec(m[3]!)];
}

/** `uptime`: `... load average: 0.52, 0.58, 0.59` (Linux) or `load averages: 1.23 1.45 1.67` (macOS). */
export function parseUptimeLoad(text: string | undefined): [number, number, number] | undefined {
  if (!text) return undefined;
  const m = /load averages?:\s*(\d+(?:[.,]\d+)?),?\s+(\d+(?:[.,]\d+)?),?\s+(\d+(?:[.,]\d+)?)/.exec(text);
  if (!m) return undefined;
  return [dec(m[1]!), dec(m[2]!), dec(m[3]!)];
}

function parseLinuxMemory(values: Map<string, string>): { total: number; available: number } | undefined {
  const kb = (k: string): number | undefined => int(values.get(`meminfo.${k}`));
  const total = kb('MemTotal');
  if (total === undefined) return undefined;
  // MemAvailable exists since Linux 3.14; before, free + buffers + cache is the usual estimate.
  const available = kb('MemAvailable') ?? (kb('MemFree') ?? 0) + (kb('Buffers') ?? 0) + (kb('Cached') ?? 0);
  return { total: total * 1024, available: available * 1024 };
}

function parseDarwinMemory(values: Map<string, string>): { total: number; available: number } | undefined {
  const total = int(values.get('memsize'));
  if (total === undefined) return undefined;
  const pageSize = int(values.get('vm.pagesize')) ?? 4096;
  const pages = (k: string): number => int(values.get(`vm.${k}`)) ?? 0;
  // What Activity Monitor counts as reclaimable without swapping.
  const availablePages = pages('Pages_free') + pages('Pages_inactive') + pages('Pages_speculative') + pages('Pages_purgeable');
  return { total, available: Math.min(total, availablePages * pageSize) };
}

/** One `df -Pk` line: `Filesystem 1024-blocks Used Available Capacity Mounted-on` (names may hold spaces). */
export function parseDfLine(line: string): DiskUsage | undefined {
  const m = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+|-)%?\s+(\/.*)$/.exec(line.trim());
  if (!m) return undefined;
  const total = Number(m[2]) * 1024;
  const used = Number(m[3]) * 1024;
  const available = Number(m[4]) * 1024;
  const usedPct = used + available > 0 ? round1((used / (used + available)) * 100) : 0;
  return { filesystem: m[1]!, mountPoint: m[6]!, totalBytes: total, usedBytes: used, availableBytes: available, usedPct };
}

/** The filesystem whose mount point is the longest prefix of `path` (the last one listed wins ties: it is mounted on top). */
export function diskFor(disks: DiskUsage[], path: string): DiskUsage | undefined {
  let best: DiskUsage | undefined;
  for (const d of disks) {
    const mp = d.mountPoint;
    const covers = mp === '/' || path === mp || path.startsWith(mp.endsWith('/') ? mp : `${mp}/`);
    if (covers && (!best || mp.length >= best.mountPoint.length)) best = d;
  }
  return best;
}

/** Linux's CPU list (`/sys/devices/system/cpu/online`): `0-3,8-11` → 8. */
export function countCpuList(text: string | undefined): number | undefined {
  if (!text || !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text.trim())) return undefined;
  let count = 0;
  for (const part of text.trim().split(',')) {
    const [from, to] = part.split('-').map(Number);
    count += to === undefined ? 1 : to! - from! + 1;
  }
  return count;
}

function int(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  return Number(text.trim());
}

function num(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** Some locales print `0,52`. */
function dec(text: string): number {
  return Number(text.replace(',', '.'));
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
