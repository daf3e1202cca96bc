import { promises as fs } from 'node:fs';
import { OcmError } from '../errors';
import { ocmHome } from '../home';
import type { NodeEntry } from '../registry';
import type { AuthPrompt, ConnectTarget } from './connect-target';
import { createHostKeyVerifier, hostKeyAlgorithmsPreferring, type AskHostKey, type HostKeyPolicy } from './host-key-verifier';
import { defaultIdentityFiles, loadIdentities } from './identities';
import { knownHostName } from './known-hosts';
import { resolveSshHost, SshConfig, type JumpSpec, type ResolvedSshHost } from './ssh-config';
import { TrustStore } from './trust-store';

/**
 * Turns a registry entry into a ConnectTarget: who to connect to (ssh_config), how to prove who
 * we are (keys, agent, prompts) and how to know the server is who it claims (host-key verifier).
 * Nothing secret is read here except private key files; passwords and passphrases are asked
 * later, during authentication, through `prompt`, and never stored by core.
 */

export interface ResolveTargetDeps {
  /** The user's home directory (for ~/.ssh). */
  home: string;
  /** ssh config to read; default `<home>/.ssh/config`. */
  sshConfigPath?: string;
  /** System ssh config; default /etc/ssh/ssh_config; null = none (tests). */
  systemSshConfigPath?: string | null;
  /** An already loaded config (skips reading files; resolving many nodes at once). */
  sshConfig?: SshConfig;
  env: NodeJS.ProcessEnv;
  prompt?: AuthPrompt;
  /** Unknown host keys: 'ask' (extension), 'strict' (CLI default), 'accept-new' (CLI --accept-new). */
  hostKeyPolicy: HostKeyPolicy;
  /** Face callback for 'ask'. Without it, 'ask' behaves like 'strict'. */
  ask?: AskHostKey;
  /** Default: the trust store in the ocm home (`OCM_HOME` from env). */
  trustStore?: TrustStore;
  /** Local user name (default: the OS user). */
  localUser?: string;
  /** Only `ocm trust --replace-jump`: changed keys (of jump hosts) go to `ask`, which decides per hop, instead of being refused. */
  replaceChangedHostKeys?: boolean;
}

/** A ProxyJump chain longer than this is a loop in the config. */
const MAX_JUMP_DEPTH = 8;

/** The user's and the system's ssh_config as these settings name them (what a resolve reads when given none). */
export function loadSshConfig(deps: Pick<ResolveTargetDeps, 'home' | 'sshConfigPath' | 'systemSshConfigPath'>): Promise<SshConfig> {
  return SshConfig.load({
    home: deps.home,
    ...(deps.sshConfigPath ? { configPath: deps.sshConfigPath } : {}),
    ...(deps.systemSshConfigPath !== undefined ? { systemConfigPath: deps.systemSshConfigPath } : {}),
  });
}

export async function resolveConnectTarget(node: NodeEntry, deps: ResolveTargetDeps): Promise<ConnectTarget> {
  if (node.host === 'local') {
    throw new OcmError('invalidInput', `Node "${node.id}" is this machine (host "local"): it is reached without SSH. Use the local transport.`, {
      nodeId: node.id,
    });
  }
  const config = deps.sshConfig ?? (await loadSshConfig(deps));
  const trustStore = deps.trustStore ?? TrustStore.inHome(ocmHome(deps.env));
  const resolved = resolveSshHost(config, node.host, {
    ...(node.port !== undefined ? { port: node.port } : {}),
    ...(node.user !== undefined ? { user: node.user } : {}),
    ...(node.identityFile !== undefined ? { identityFile: node.identityFile } : {}),
    ...(deps.localUser ? { localUser: deps.localUser } : {}),
    env: deps.env,
  });
  const required = new Set(node.identityFile !== undefined ? [resolved.identityFiles[0]!] : []);
  const target = await buildTarget(resolved, node.id, node.id, required, { ...deps, trustStore });
  target.jumps = await resolveJumps(config, resolved.proxyJump, node.id, { ...deps, trustStore }, 0, new Set([node.host]));
  target.node = node;
  return target;
}

/** The effective unknown-host policy: StrictHostKeyChecking in ssh_config can tighten or relax it (never for a changed key). */
export function effectiveHostKeyPolicy(requested: HostKeyPolicy, strictHostKeyChecking: string | undefined): HostKeyPolicy {
  switch (strictHostKeyChecking) {
    case 'yes':
    case 'true':
      return 'strict';
    case 'accept-new':
    case 'no':
    case 'off':
    case 'false':
      return 'accept-new';
    default:
      return requested;
  }
}

async function resolveJumps(
  config: SshConfig,
  hops: readonly JumpSpec[],
  trustNodeId: string,
  deps: ResolveTargetDeps & { trustStore: TrustStore },
  depth: number,
  visiting: Set<string>,
): Promise<ConnectTarget[]> {
  if (hops.length === 0) return [];
  if (depth >= MAX_JUMP_DEPTH) {
    throw new OcmError(
      'invalidConfig',
      `The ProxyJump chain for node "${trustNodeId}" is longer than ${MAX_JUMP_DEPTH} hops (a loop in ~/.ssh/config?). Fix the ProxyJump lines.`,
      { nodeId: trustNodeId },
    );
  }
  const out: ConnectTarget[] = [];
  for (const [index, hop] of hops.entries()) {
    if (visiting.has(hop.host) && index === 0) {
      throw new OcmError('invalidConfig', `ProxyJump for node "${trustNodeId}" loops back to "${hop.host}". Fix the ProxyJump lines in ~/.ssh/config.`, {
        nodeId: trustNodeId,
        hop: hop.host,
      });
    }
    const resolved = resolveSshHost(config, hop.host, {
      ...(hop.port !== undefined ? { port: hop.port } : {}),
      ...(hop.user !== undefined ? { user: hop.user } : {}),
      ...(deps.localUser ? { localUser: deps.localUser } : {}),
      env: deps.env,
    });
    // Like OpenSSH's `-J a,b`: only the first hop is reached through its own ProxyJump.
    if (index === 0) out.push(...(await resolveJumps(config, resolved.proxyJump, trustNodeId, deps, depth + 1, new Set([...visiting, hop.host]))));
    out.push(await buildTarget(resolved, `jump:${hop.host}`, trustNodeId, new Set(), deps));
  }
  return out;
}

async function buildTarget(
  resolved: ResolvedSshHost,
  nodeId: string,
  trustNodeId: string,
  required: ReadonlySet<string>,
  deps: ResolveTargetDeps & { trustStore: TrustStore },
): Promise<ConnectTarget> {
  const keyPaths = resolved.identityFiles.length > 0 ? resolved.identityFiles : defaultIdentityFiles(deps.home);
  const { identities, agentOnlyKeys } = await loadIdentities(keyPaths, required);
  const hostKeyName = knownHostName(resolved.hostKeyAlias ?? resolved.hostName, resolved.port);
  const knownHostsFiles = [...resolved.userKnownHostsFiles, ...resolved.globalKnownHostsFiles];
  const verifier = createHostKeyVerifier({
    nodeId,
    trustNodeId,
    host: resolved.hostName,
    port: resolved.port,
    hostKeyName,
    knownHostsFiles,
    trustStore: deps.trustStore,
    policy: effectiveHostKeyPolicy(deps.hostKeyPolicy, resolved.strictHostKeyChecking),
    ...(deps.ask ? { ask: deps.ask } : {}),
    ...(deps.replaceChangedHostKeys ? { replaceChanged: true } : {}),
  });
  const agentSocket = await agentSocketFor(resolved, deps.env);
  return {
    nodeId,
    host: resolved.hostName,
    port: resolved.port,
    username: resolved.user,
    hostKeyName,
    identities,
    ...(agentSocket ? { agentSocket } : {}),
    ...(resolved.identitiesOnly ? { identitiesOnly: true } : {}),
    ...(agentOnlyKeys.length > 0 ? { agentOnlyKeys } : {}),
    ...(deps.prompt ? { prompt: deps.prompt } : {}),
    verifyHostKey: (key) => verifier.verify(key),
    hostKeyError: () => verifier.lastError,
    hostKeyAlgorithms: async () => hostKeyAlgorithmsPreferring(await verifier.knownKeyTypes()),
    knownHostsFiles,
    passwordAuthentication: resolved.passwordAuthentication,
    kbdInteractiveAuthentication: resolved.kbdInteractiveAuthentication,
    jumps: [],
  };
}

/** IdentityAgent (or $SSH_AUTH_SOCK) when the socket exists. (IdentitiesOnly filters the agent's keys later, in the auth handler.) */
async function agentSocketFor(resolved: ResolvedSshHost, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (resolved.identityAgent === null) return undefined;
  const path = resolved.identityAgent ?? env.SSH_AUTH_SOCK;
  if (!path) return undefined;
  try {
    const stat = await fs.stat(path);
    return stat.isSocket() ? path : undefined;
  } catch {
    return undefined;
  }
}
