/**
 * Real OpenSSH test nodes for integration tests (each test file starts its own and stops them).
 *
 *   import { startSshNodes, targetFor, writeOcmHome, runAsNodeUser, killSessions } from '../support/sshd';
 *
 *   let set: SshNodeSet;
 *   before(async () => { set = await startSshNodes(2, { password: true }); });   // node 0 also takes passwords
 *   after(async () => { await set.stop(); });                                    // always: removes sshd, users, homes
 *
 *   const node = set.nodes[0];             // { id, host: '127.0.0.1', port, user, home, password?, clientKeyPath,
 *                                          //   hostPublicKey, hostKeyFingerprint, knownHostsLine, pid, ... }
 *   const target = targetFor(node);        // ConnectTarget without the ssh_config resolver
 *   const ocm = writeOcmHome(set);         // { home (use as OCM_HOME), registryPath, knownHostsPath, sshConfigPath }
 *   await runAsNodeUser(node, 'mkdir -p x && echo hi > x/f');   // setup/asserts as the node's user, locally
 *   await killSessions(node); freeze(node); thaw(node); await stopListener(node); await startListener(node);
 *
 * Needs root (useradd) and /usr/sbin/sshd (apt-get install -y openssh-server). Users are named
 * `ocmt<pid>x...`; a run that crashed is cleaned up by the next startSshNodes call.
 */
import type { SshNode } from './nodes';
import { runAsUser, type RunResult } from './users';

export * from './nodes';
export * from './ocm-home';
export * from './target';
export type { RunResult } from './users';

/** Runs a /bin/sh command as the node's user in its home (local, not over SSH). Throws on non-zero exit unless `check: false`. */
export function runAsNodeUser(node: SshNode, command: string, options: { stdin?: string | Buffer; check?: boolean } = {}): Promise<RunResult> {
  return runAsUser(node.user, node.home, command, options);
}
