import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SshNode, SshNodeSet } from './nodes';

export interface TestOcmHome {
  /** Use as OCM_HOME. Lives inside the node set's folder: removed by `set.stop()`. */
  home: string;
  registryPath: string;
  /** known_hosts for the nodes (the tool must never write the user's own). */
  knownHostsPath: string;
  /** ssh_config with one `Host <node id>` block per node (HostName, Port, User, IdentityFile, UserKnownHostsFile). */
  sshConfigPath: string;
}

/** Registry entry for a harness node, as `ocm add` would write it. */
export function registryEntryFor(node: SshNode): Record<string, unknown> {
  return { id: node.id, host: node.host, port: node.port, user: node.user, identityFile: node.clientKeyPath, status: 'active', labels: [] };
}

/**
 * Writes a fresh ocm home for `set`: nodes.json listing the nodes, a known_hosts file and an
 * ssh_config with aliases named after the node ids.
 */
export function writeOcmHome(set: SshNodeSet, options: { nodes?: SshNode[]; knownHosts?: boolean } = {}): TestOcmHome {
  const nodes = options.nodes ?? set.nodes;
  const home = mkdtempSync(join(set.dir, 'ocm-home-'));
  mkdirSync(home, { recursive: true });
  const registryPath = join(home, 'nodes.json');
  writeFileSync(registryPath, `${JSON.stringify({ version: 1, nodes: nodes.map(registryEntryFor) }, null, 2)}\n`, { mode: 0o600 });
  const knownHostsPath = join(home, 'known_hosts');
  writeFileSync(knownHostsPath, options.knownHosts === false ? '' : nodes.map((n) => `${n.knownHostsLine}\n`).join(''), { mode: 0o644 });
  const sshConfigPath = join(home, 'ssh_config');
  writeFileSync(
    sshConfigPath,
    nodes
      .map((n) =>
        [
          `Host ${n.id}`,
          `  HostName ${n.host}`,
          `  Port ${n.port}`,
          `  User ${n.user}`,
          `  IdentityFile ${n.clientKeyPath}`,
          `  UserKnownHostsFile ${knownHostsPath}`,
          '',
        ].join('\n'),
      )
      .join('\n'),
    { mode: 0o644 },
  );
  return { home, registryPath, knownHostsPath, sshConfigPath };
}

/** Arguments for OpenSSH's `ssh` client that log into `node` non-interactively (baselines, cross-checks). */
export function sshArgs(node: SshNode, knownHostsPath: string): string[] {
  return [
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${knownHostsPath}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'LogLevel=ERROR',
    '-F',
    '/dev/null',
    '-i',
    node.clientKeyPath,
    '-p',
    String(node.port),
    `${node.user}@${node.host}`,
  ];
}
