import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isAlive, processesOfUid, signalAll, waitUntil } from './processes';

/**
 * Throwaway Unix users for harness nodes. Names carry the owning test process's pid
 * (`ocmt<pid>x<random><index>`) so parallel runs never collide and a later run can remove the
 * users a crashed run left behind (their pid is gone).
 */
export const USER_PREFIX = 'ocmt';

export function newUserName(index: number, suffix: string): string {
  return `${USER_PREFIX}${process.pid}x${suffix}${index}`;
}

function run(cmd: string, args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(cmd, args, { input, encoding: 'utf8' });
  return { code: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? String(result.error ?? '') };
}

/** `shell` is the login shell sshd runs commands with (default /bin/bash). */
export function createUser(name: string, password?: string, shell = '/bin/bash'): { uid: number; gid: number; home: string } {
  if (!existsSync(shell)) throw new Error(`login shell ${shell} not found: install it (e.g. apt-get install -y fish tcsh)`);
  const home = `/home/${name}`;
  const added = run('useradd', ['-m', '-d', home, '-s', shell, name]);
  if (added.code !== 0) throw new Error(`useradd ${name} failed: ${added.stderr.trim()}`);
  // useradd leaves the account locked; with UsePAM no sshd then refuses even key logins.
  const unlocked = password ? run('chpasswd', [], `${name}:${password}\n`) : run('usermod', ['-p', '*', name]);
  if (unlocked.code !== 0) throw new Error(`unlocking ${name} failed: ${unlocked.stderr.trim()}`);
  const uid = Number(run('id', ['-u', name]).stdout.trim());
  const gid = Number(run('id', ['-g', name]).stdout.trim());
  return { uid, gid, home };
}

/** Kills what still runs as the user (only our throwaway user), then removes it and its home. */
export async function removeUser(name: string, uid: number | undefined): Promise<void> {
  if (uid !== undefined && uid > 0) {
    signalAll(processesOfUid(uid), 'SIGKILL');
    await waitUntil(() => processesOfUid(uid).length === 0, 2000);
  }
  run('userdel', ['-r', '-f', name]);
}

export function removeUserSync(name: string, uid: number | undefined): void {
  if (uid !== undefined && uid > 0) signalAll(processesOfUid(uid), 'SIGKILL');
  run('userdel', ['-r', '-f', name]);
}

/** Removes harness users whose owning test process no longer exists. */
export async function removeStaleUsers(): Promise<void> {
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return;
  }
  const pattern = new RegExp(`^(${USER_PREFIX}(\\d+)x[a-z0-9]+):[^:]*:(\\d+):`, 'gm');
  for (const match of passwd.matchAll(pattern)) {
    const ownerPid = Number(match[2]);
    if (ownerPid !== process.pid && !isAlive(ownerPid)) await removeUser(match[1]!, Number(match[3]));
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `command` with /bin/sh as `user` in `home` on this machine (the node's files are local):
 * for test setup and assertions that must not go through the code under test.
 */
export function runAsUser(user: string, home: string, command: string, options: { stdin?: string | Buffer; check?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(existsSync('/usr/sbin/runuser') ? '/usr/sbin/runuser' : '/sbin/runuser', ['-u', user, '--', '/bin/sh', '-c', command], {
      cwd: home,
      env: { HOME: home, USER: user, LOGNAME: user, PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', LANG: 'C.UTF-8' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const result = { code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      if (options.check !== false && result.code !== 0) {
        reject(new Error(`runuser ${user}: \`${command}\` exited ${result.code}: ${result.stderr.trim()}`));
      } else {
        resolve(result);
      }
    });
    // A command that exits without reading stdin closes the pipe first: EPIPE is not a failure.
    child.stdin.on('error', () => undefined);
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    else child.stdin.end();
  });
}
