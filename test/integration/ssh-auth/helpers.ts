import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'ssh2';
import { nodeSchema, type NodeEntry, type NodeInput } from '../../../src/core/registry';
import type { ResolveTargetDeps } from '../../../src/core/ssh/resolve-target';
import { TrustStore } from '../../../src/core/ssh/trust-store';
import type { SshNode, SshNodeSet } from '../../support/sshd';

/** A throwaway "user home" (with ~/.ssh) and ocm home inside the node set's folder (removed by set.stop()). */
export interface TestUser {
  home: string;
  ocmHome: string;
  knownHostsPath: string;
  sshConfigPath: string;
  trustStore: TrustStore;
  deps(overrides?: Partial<ResolveTargetDeps>): ResolveTargetDeps;
  /** Writes nodes.json in the ocm home (for CLI tests). */
  writeRegistry(nodes: NodeInput[]): void;
}

export function makeUser(set: SshNodeSet, files: { sshConfig?: string; knownHosts?: string } = {}): TestUser {
  const home = mkdtempSync(join(set.dir, 'user-'));
  const sshDir = join(home, '.ssh');
  mkdirSync(sshDir, { mode: 0o700 });
  const knownHostsPath = join(sshDir, 'known_hosts');
  const sshConfigPath = join(sshDir, 'config');
  writeFileSync(knownHostsPath, files.knownHosts ?? '');
  writeFileSync(sshConfigPath, files.sshConfig ?? '');
  const ocmHome = join(home, 'ocm');
  mkdirSync(ocmHome, { mode: 0o700 });
  const trustStore = TrustStore.inHome(ocmHome);
  return {
    home,
    ocmHome,
    knownHostsPath,
    sshConfigPath,
    trustStore,
    deps: (overrides = {}) => ({
      home,
      systemSshConfigPath: null,
      env: { OCM_HOME: ocmHome },
      hostKeyPolicy: 'strict',
      trustStore,
      ...overrides,
    }),
    writeRegistry: (nodes) => writeFileSync(join(ocmHome, 'nodes.json'), JSON.stringify({ version: 1, nodes: nodes.map((n) => nodeSchema.parse(n)) }, null, 2)),
  };
}

/** Registry entry for a harness node that uses no ssh_config (address, port, user and key given directly). */
export function directEntry(node: SshNode, extra: Partial<NodeInput> = {}): NodeEntry {
  return nodeSchema.parse({ id: node.id, host: node.host, port: node.port, user: node.user, identityFile: node.clientKeyPath, ...extra });
}

/** `[127.0.0.1]:port <type> <base64>` with a key that is not the node's. */
export function wrongKnownHostsLine(node: SshNode, otherPublicKey: string): string {
  return `[${node.host}]:${node.port} ${otherPublicKey.split(/\s+/).slice(0, 2).join(' ')}`;
}

export function execOut(client: Client, command: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) return reject(err);
      let stdout = '';
      let code = -1;
      channel.on('data', (d: Buffer) => (stdout += d.toString()));
      channel.stderr.resume();
      channel.on('exit', (c: number) => (code = c));
      channel.on('close', () => resolve({ code, stdout }));
    });
  });
}

/**
 * Starts `ssh-agent -D -a <socket>` (foreground, so the test owns the pid) and loads `keys`.
 * The socket file appears at bind(), slightly before the agent listens: retry until it answers.
 */
export async function startAgent(socketPath: string, keys: string[]): Promise<ChildProcess> {
  const agent = spawn('ssh-agent', ['-D', '-a', socketPath], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const added = spawnSync('ssh-add', keys, { env: { SSH_AUTH_SOCK: socketPath }, encoding: 'utf8' });
    if (added.status === 0) return agent;
    if (Date.now() > deadline) {
      agent.kill('SIGTERM');
      throw new Error(`ssh-add into ${socketPath} failed: ${added.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
