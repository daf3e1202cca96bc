import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendantsOf, isAlive, signalAll, waitUntil } from './processes';
import { createUser, newUserName, removeStaleUsers, removeUser, removeUserSync } from './users';
import { freePort } from '../free-port';

export const SSHD_PATH = '/usr/sbin/sshd';
const DIR_PREFIX = 'ocm-sshd-';

export interface SshNode {
  /** Node id to use in registries (`node1`, `node2`, ... or `<idPrefix><n>`). */
  id: string;
  /** 127.0.0.1, or the node's address in its own network namespace (option `netns`). */
  host: string;
  port: number;
  user: string;
  uid: number;
  gid: number;
  home: string;
  /** Set on nodes started with password (and keyboard-interactive) login. */
  password?: string;
  /** Unencrypted ed25519 private key authorized on this node only. */
  clientKeyPath: string;
  clientPublicKey: string;
  /** `ssh-ed25519 AAAA...` */
  hostPublicKey: string;
  /** `SHA256:...` as ssh prints it. */
  hostKeyFingerprint: string;
  /** `[host]:port ssh-ed25519 AAAA...` */
  knownHostsLine: string;
  /** Listener pid (changes when the listener is restarted). */
  pid: number;
  configPath: string;
  logPath: string;
  /** Folder holding this node's sshd files (root-owned, outside the user's home). */
  dir: string;
  /** Network namespace the node's sshd runs in (option `netns`), reached over a veth pair. */
  netns?: string;
  /** The user's login shell (sshd runs every command through it). */
  shell: string;
}

export interface StartSshNodesOptions {
  /** Which nodes also accept password and keyboard-interactive logins: `true` = the first. */
  password?: boolean | number[];
  idPrefix?: string;
  /** sshd MaxSessions (default 10, sshd's own default). */
  maxSessions?: number;
  /** Extra sshd_config lines for every node. */
  extraConfig?: string;
  /**
   * Run each node's sshd in its own network namespace behind a veth pair (10.x.y.2, port 22), so
   * `cutNetwork(node)` can blackhole it like a pulled cable.
   */
  netns?: boolean;
  /** Login shell of each node's user by index (default /bin/bash), e.g. `['/usr/bin/fish', '/usr/bin/tcsh']`. */
  shells?: Array<string | undefined>;
}

export interface SshNodeSet {
  nodes: SshNode[];
  /** Temp folder of this set; removed by stop(). */
  dir: string;
  /** known_hosts with every node's host key. */
  knownHostsPath: string;
  /** Stops listeners and their sessions, removes users, homes and files. Idempotent. */
  stop(): Promise<void>;
}

interface NodeRuntime {
  child?: ChildProcess;
  /** Sessions of a stopped listener: no longer its descendants, still this node's. */
  orphans: number[];
}
const runtimes = new WeakMap<SshNode, NodeRuntime>();
const liveSets = new Set<{ nodes: SshNode[]; dir: string }>();

function assertSshdInstalled(): void {
  if (!existsSync(SSHD_PATH)) {
    throw new Error(`${SSHD_PATH} not found: install openssh-server: apt-get install -y openssh-server`);
  }
}

function sh(cmd: string, args: string[]): string {
  const result = spawnSync(cmd, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${result.stderr || result.error}`);
  return result.stdout;
}

/** SHA256 fingerprint the way `ssh-keygen -l` prints it. */
export function fingerprintOf(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.trim().split(/\s+/)[1] ?? '', 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function sshdConfig(
  node: { host: string; port: number; user: string; dir: string },
  options: { password: boolean; maxSessions: number; extra?: string },
): string {
  return [
    `Port ${node.port}`,
    `ListenAddress ${node.host}`,
    `HostKey ${join(node.dir, 'ssh_host_ed25519_key')}`,
    `PidFile ${join(node.dir, 'sshd.pid')}`,
    'Subsystem sftp internal-sftp',
    // PAM is only needed for keyboard-interactive; without it Debian's sshd skips pam_loginuid etc.
    `UsePAM ${options.password ? 'yes' : 'no'}`,
    `AllowUsers ${node.user}`,
    'MaxStartups 100:30:200',
    `MaxSessions ${options.maxSessions}`,
    `LogLevel ${process.env.OCM_SSHD_LOGLEVEL ?? 'VERBOSE'}`,
    'PubkeyAuthentication yes',
    'AuthorizedKeysFile .ssh/authorized_keys',
    `PasswordAuthentication ${options.password ? 'yes' : 'no'}`,
    `KbdInteractiveAuthentication ${options.password ? 'yes' : 'no'}`,
    'PermitRootLogin no',
    'StrictModes yes',
    'AllowTcpForwarding yes',
    'X11Forwarding no',
    'PrintMotd no',
    'AcceptEnv LANG LC_*',
    options.extra ?? '',
    '',
  ].join('\n');
}

/** Waits until the port answers with an SSH banner. */
function bannerSeen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('SSH-2.0')) done(true);
    });
    socket.on('error', () => done(false));
  });
}

/** (Re)starts the node's listener on its port; resolves when it answers. */
export async function startListener(node: SshNode): Promise<void> {
  const sshd = [SSHD_PATH, '-D', '-f', node.configPath, '-E', node.logPath];
  // `ip netns exec` execs sshd in place: the child pid is sshd's.
  const child = node.netns ? spawn('ip', ['netns', 'exec', node.netns, ...sshd], { stdio: 'ignore' }) : spawn(sshd[0]!, sshd.slice(1), { stdio: 'ignore' });
  runtimes.set(node, { child, orphans: runtimes.get(node)?.orphans ?? [] });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !exited) {
    if (await bannerSeen(node.host, node.port)) {
      node.pid = child.pid!;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  const log = existsSync(node.logPath) ? readFileSync(node.logPath, 'utf8').split('\n').slice(-5).join('\n') : '';
  throw new Error(`sshd for ${node.id} did not start on port ${node.port}${exited ? ' (it exited)' : ''}: ${log}`);
}

/** Kills the listener only; open sessions stay alive (as with a real sshd restart). */
export async function stopListener(node: SshNode): Promise<void> {
  const pid = node.pid;
  const runtime = runtimes.get(node);
  if (runtime) runtime.orphans.push(...descendantsOf(pid));
  signalAll([pid], 'SIGCONT');
  signalAll([pid], 'SIGTERM');
  await waitUntil(() => !isAlive(pid) || isZombie(pid), 3000);
}

function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

/** Creates namespace `name` with a veth pair 10.<subnet>.<index>.1 (here) ↔ .2 (there); returns the node's address. */
function createNamespace(name: string, ifPrefix: string, subnet: number, index: number): string {
  const here = `${ifPrefix}h`;
  const there = `${ifPrefix}n`;
  const base = `10.${subnet}.${index}`;
  sh('ip', ['netns', 'add', name]);
  sh('ip', ['link', 'add', here, 'type', 'veth', 'peer', 'name', there]);
  sh('ip', ['link', 'set', there, 'netns', name]);
  sh('ip', ['addr', 'add', `${base}.1/30`, 'dev', here]);
  sh('ip', ['link', 'set', here, 'up']);
  sh('ip', ['netns', 'exec', name, 'ip', 'addr', 'add', `${base}.2/30`, 'dev', there]);
  sh('ip', ['netns', 'exec', name, 'ip', 'link', 'set', there, 'up']);
  sh('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  return `${base}.2`;
}

function removeNamespace(name: string): void {
  // Deleting the namespace destroys the veth pair with it.
  spawnSync('ip', ['netns', 'del', name]);
}

const CUT_TABLE = 'ocmcut';

/** Blackholes a `netns` node: every packet in and out is dropped (nothing is reset). */
export function cutNetwork(node: SshNode): void {
  if (!node.netns) throw new Error(`cutNetwork needs a node started with { netns: true } (${node.id} was not)`);
  const nft = (args: string[]) => sh('ip', ['netns', 'exec', node.netns!, 'nft', ...args]);
  nft(['add', 'table', 'inet', CUT_TABLE]);
  nft(['add', 'chain', 'inet', CUT_TABLE, 'in', '{ type filter hook input priority 0 ; policy drop ; }']);
  nft(['add', 'chain', 'inet', CUT_TABLE, 'out', '{ type filter hook output priority 0 ; policy drop ; }']);
}

export function restoreNetwork(node: SshNode): void {
  if (!node.netns) return;
  spawnSync('ip', ['netns', 'exec', node.netns, 'nft', 'delete', 'table', 'inet', CUT_TABLE]);
}

/** SIGKILLs the node's per-connection sshd processes and what they run; the listener stays up. */
export async function killSessions(node: SshNode): Promise<number> {
  const pids = sessionPids(node);
  signalAll(pids, 'SIGKILL');
  await waitUntil(() => pids.every((pid) => !isAlive(pid) || isZombie(pid)), 2000);
  return pids.length;
}

/** Per-connection processes of the node (also those left by a stopped listener). */
function sessionPids(node: SshNode): number[] {
  const orphans = (runtimes.get(node)?.orphans ?? []).filter((pid) => isAlive(pid) && !isZombie(pid));
  return [...new Set([...descendantsOf(node.pid), ...orphans, ...orphans.flatMap((pid) => descendantsOf(pid))])];
}

/** SIGSTOPs the listener and every session: the node stops answering but keeps its sockets open. */
export function freeze(node: SshNode): void {
  signalAll([node.pid, ...sessionPids(node)], 'SIGSTOP');
}

export function thaw(node: SshNode): void {
  signalAll([node.pid, ...sessionPids(node)], 'SIGCONT');
}

/** Number of live session processes under the listener (for tests that check cleanup). */
export function sessionProcessCount(node: SshNode): number {
  return sessionPids(node).length;
}

async function killNodeProcesses(node: SshNode): Promise<void> {
  const pids = [node.pid, ...sessionPids(node)];
  signalAll(pids, 'SIGCONT');
  signalAll(pids, 'SIGKILL');
  await waitUntil(() => pids.every((pid) => !isAlive(pid) || isZombie(pid)), 3000);
}

/** Stops listeners (and sessions) a crashed earlier run left, identified by their pid files in our temp folders. */
async function removeStaleSets(): Promise<void> {
  for (const name of readdirSync(tmpdir())) {
    const match = new RegExp(`^${DIR_PREFIX}(\\d+)-`).exec(name);
    if (!match || Number(match[1]) === process.pid || isAlive(Number(match[1]))) continue;
    const dir = join(tmpdir(), name);
    for (const nodeDir of readdirSync(dir)) {
      const pidFile = join(dir, nodeDir, 'sshd.pid');
      if (!existsSync(pidFile)) continue;
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (cmdline.includes(dir)) signalAll([pid, ...descendantsOf(pid)], 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const match of namespaces.matchAll(/^ocmn(\d+)x\S+/gm)) {
    if (Number(match[1]) !== process.pid && !isAlive(Number(match[1]))) removeNamespace(match[0]);
  }
  await removeStaleUsers();
}

/**
 * Starts `count` independent OpenSSH servers on 127.0.0.1, each with its own user, home, host
 * key, client key and port.
 */
export async function startSshNodes(count: number, options: StartSshNodesOptions = {}): Promise<SshNodeSet> {
  assertSshdInstalled();
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  await removeStaleSets();
  const suffix = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
  chmodSync(dir, 0o755);
  const passwordIndexes = options.password === true ? [0] : Array.isArray(options.password) ? options.password : [];
  const nodes: SshNode[] = [];
  const record = { nodes, dir };
  const subnet = 100 + (randomBytes(1)[0]! % 150);
  liveSets.add(record);
  try {
    for (let i = 0; i < count; i++) {
      const id = `${options.idPrefix ?? 'node'}${i + 1}`;
      const nodeDir = join(dir, id);
      mkdirSync(nodeDir, { mode: 0o755 });
      const user = newUserName(i, suffix);
      const password = passwordIndexes.includes(i) ? `pw-${randomBytes(9).toString('base64url')}` : undefined;
      const shell = options.shells?.[i] ?? '/bin/bash';
      const account = createUser(user, password, shell);
      const node: SshNode = {
        id,
        host: '127.0.0.1',
        port: 0,
        user,
        uid: account.uid,
        gid: account.gid,
        home: account.home,
        clientKeyPath: join(nodeDir, 'client_ed25519'),
        clientPublicKey: '',
        hostPublicKey: '',
        hostKeyFingerprint: '',
        knownHostsLine: '',
        pid: 0,
        configPath: join(nodeDir, 'sshd_config'),
        logPath: join(nodeDir, 'sshd.log'),
        dir: nodeDir,
        shell,
      };
      if (password) node.password = password;
      nodes.push(node);

      sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${id}-host`, '-f', join(nodeDir, 'ssh_host_ed25519_key')]);
      sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${id}-client`, '-f', node.clientKeyPath]);
      node.hostPublicKey = readFileSync(join(nodeDir, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
      node.hostKeyFingerprint = fingerprintOf(node.hostPublicKey);
      node.clientPublicKey = readFileSync(`${node.clientKeyPath}.pub`, 'utf8').trim();

      const sshDir = join(node.home, '.ssh');
      mkdirSync(sshDir, { recursive: true, mode: 0o700 });
      writeFileSync(join(sshDir, 'authorized_keys'), `${node.clientPublicKey}\n`, { mode: 0o600 });
      chownSync(sshDir, node.uid, node.gid);
      chownSync(join(sshDir, 'authorized_keys'), node.uid, node.gid);
      chmodSync(node.home, 0o750);

      if (options.netns) {
        node.netns = `ocmn${process.pid}x${suffix}${i}`;
        node.host = createNamespace(node.netns, `oc${suffix}${i}`, subnet, i);
      }
      for (let attempt = 0; ; attempt++) {
        node.port = node.netns ? 22 : await freePort();
        node.knownHostsLine = `[${node.host}]:${node.port} ${node.hostPublicKey}`;
        writeFileSync(node.configPath, sshdConfig(node, { password: !!password, maxSessions: options.maxSessions ?? 10, extra: options.extraConfig }));
        const check = spawnSync(SSHD_PATH, ['-t', '-f', node.configPath], { encoding: 'utf8' });
        if (check.status !== 0) throw new Error(`sshd -t rejected ${node.configPath}: ${check.stderr.trim()}`);
        try {
          await startListener(node);
          break;
        } catch (e) {
          // Another process may have taken the port between probe and bind: try a new one.
          if (attempt >= 2) throw e;
        }
      }
    }
  } catch (e) {
    await stopSet(record);
    throw e;
  }
  const knownHostsPath = join(dir, 'known_hosts');
  writeFileSync(knownHostsPath, nodes.map((n) => `${n.knownHostsLine}\n`).join(''), { mode: 0o644 });
  let stopped = false;
  return {
    nodes,
    dir,
    knownHostsPath,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopSet(record);
    },
  };
}

async function stopSet(record: { nodes: SshNode[]; dir: string }): Promise<void> {
  for (const node of record.nodes) {
    if (node.pid) await killNodeProcesses(node);
    await removeUser(node.user, node.uid);
    if (node.netns) removeNamespace(node.netns);
  }
  rmSync(record.dir, { recursive: true, force: true });
  liveSets.delete(record);
}

// A test process that dies without calling stop() still must not leave servers or users behind.
process.once('exit', () => {
  for (const record of liveSets) {
    for (const node of record.nodes) {
      if (node.pid) signalAll([node.pid, ...sessionPids(node)], 'SIGKILL');
      removeUserSync(node.user, node.uid);
      if (node.netns) removeNamespace(node.netns);
    }
    rmSync(record.dir, { recursive: true, force: true });
  }
});
