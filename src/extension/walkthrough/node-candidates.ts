import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { NodeEntry } from '../../core/registry';
import { SshConfig } from '../../core/ssh/ssh-config';

/** A Host entry of ~/.ssh/config that could become a node. */
export interface SshHostCandidate {
  alias: string;
  hostName?: string;
  user?: string;
  port?: number;
  /** A registry node already uses this alias as its host. */
  alreadyAdded: boolean;
}

export interface NodeCandidates {
  sshHosts: SshHostCandidate[];
  /** ~/.openclaw exists on this machine and no node uses host `local` yet. */
  localAvailable: boolean;
  /** Set when ~/.ssh/config could not be read (the flow still offers the other choices). */
  sshConfigError?: string;
}

export interface CandidateSources {
  /** Home folder for ~/.ssh/config and ~/.openclaw (default: the user's). */
  home?: string;
  /** System ssh config; default /etc/ssh/ssh_config, `null` = none (tests). */
  systemConfigPath?: string | null;
}

/**
 * What "Add node…" offers first. Local reads only (the ssh config and one stat): nothing here
 * touches the network.
 */
export async function findNodeCandidates(existing: readonly NodeEntry[], sources: CandidateSources = {}): Promise<NodeCandidates> {
  const home = sources.home ?? homedir();
  const usedHosts = new Set(existing.map((n) => n.host));
  const result: NodeCandidates = { sshHosts: [], localAvailable: false };
  try {
    const config = await SshConfig.load({ home, ...(sources.systemConfigPath !== undefined ? { systemConfigPath: sources.systemConfigPath } : {}) });
    for (const alias of config.hostAliases()) {
      const values = config.compute(alias);
      const hostName = single(values.hostname);
      const user = single(values.user);
      const port = Number(single(values.port));
      result.sshHosts.push({
        alias,
        ...(hostName && hostName.toLowerCase() !== alias.toLowerCase() ? { hostName } : {}),
        ...(user ? { user } : {}),
        ...(Number.isInteger(port) && port > 0 && port !== 22 ? { port } : {}),
        alreadyAdded: usedHosts.has(alias),
      });
    }
  } catch (e) {
    result.sshConfigError = (e as Error).message;
  }
  const hasLocalNode = existing.some((n) => n.host === 'local');
  result.localAvailable = !hasLocalNode && (await isDirectory(join(home, '.openclaw')));
  return result;
}

/** `user@hostname:port` as shown next to an alias (only the parts that are set). */
export function describeSshHost(host: SshHostCandidate): string {
  const name = host.hostName ?? host.alias;
  return `${host.user ? `${host.user}@` : ''}${name}${host.port ? `:${host.port}` : ''}`;
}

/** A node id from a host name: its first label, cut to what NODE_ID_PATTERN accepts. */
export function suggestNodeId(host: string, taken: readonly string[]): string {
  const base =
    host === 'local'
      ? 'local'
      : (host.split('.')[0] ?? host)
          .replace(/[^A-Za-z0-9._-]/g, '-')
          .replace(/^[^A-Za-z0-9]+/, '')
          .slice(0, 60) || 'node';
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i++) if (!taken.includes(`${base}-${i}`)) return `${base}-${i}`;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await fs.stat(path)).isDirectory();
  } catch {
    return false;
  }
}
