import type { OcmError } from '../errors';
import type { NodeEntry } from '../registry';

/**
 * Everything needed to open one SSH connection, already resolved from the registry entry,
 * ~/.ssh/config, ssh-agent and the face's prompts. Produced by `resolve-target.ts`; consumed by the
 * connection pool. Secrets here live only in memory and are never logged.
 */
export interface ConnectTarget {
  /** Registry node id (or `jump:<host>` for a ProxyJump hop). */
  nodeId: string;
  /** Address to connect to (HostName after ssh_config resolution). */
  host: string;
  port: number;
  username: string;
  /** Name used to look up host keys (`host` or `[host]:port`, HostKeyAlias honoured). */
  hostKeyName: string;
  /** Candidate private keys in order (already read; passphrase-protected ones decrypted lazily). */
  identities: IdentityCandidate[];
  /** Path of the ssh-agent socket ($SSH_AUTH_SOCK or IdentityAgent), if any. */
  agentSocket?: string;
  /**
   * ssh_config IdentitiesOnly: offer only agent keys that match one of `identities` (by public
   * key), like OpenSSH. Keeps an agent full of keys from hitting sshd's MaxAuthTries.
   */
  identitiesOnly?: boolean;
  /** Public keys named by IdentityFile whose private key is only in the agent (IdentitiesOnly lets these through). */
  agentOnlyKeys?: Buffer[];
  /** Face-supplied prompts for password / keyboard-interactive / passphrase. */
  prompt?: AuthPrompt;
  /**
   * Verifies the server's host key (raw blob, as ssh2's hostVerifier gets it); resolves true to
   * accept. Never accepts a changed key. Never rejects: on refusal it resolves false and records why
   * in `hostKeyError()`. Use ssh2's callback form: `hostVerifier: (key, cb) => verifyHostKey(key).then(cb)`.
   */
  verifyHostKey: (key: Buffer) => Promise<boolean>;
  /**
   * Why the last `verifyHostKey` call refused (OcmError kind hostKeyChanged / hostKeyUnknown, with
   * both fingerprints in the message), or undefined. ssh2 turns a refused key into a generic
   * handshake error: when a connect fails and this returns an error, throw this error instead.
   */
  hostKeyError?: () => OcmError | undefined;
  /**
   * Host key algorithms to offer, known types first (undefined = ssh2's defaults). connectSsh
   * passes it as `algorithms.serverHostKey`.
   */
  hostKeyAlgorithms?: () => Promise<string[] | undefined>;
  /** known_hosts files the verifier reads (UserKnownHostsFile + GlobalKnownHostsFile), for `ocm trust` and messages. */
  knownHostsFiles?: string[];
  /** False when ssh_config says `PasswordAuthentication no` (then never prompt for a password). */
  passwordAuthentication?: boolean;
  /** False when ssh_config says `KbdInteractiveAuthentication no`. */
  kbdInteractiveAuthentication?: boolean;
  /** ProxyJump hops, outermost first. */
  jumps: ConnectTarget[];
  /** The registry entry this came from, when there is one. */
  node?: NodeEntry;
}

export interface IdentityCandidate {
  /** File the key came from (for messages). */
  path: string;
  privateKey: Buffer;
  /** True when the key file is encrypted and needs a passphrase (asked via prompt). */
  encrypted: boolean;
  /** Public key blob (from the key itself, or `<path>.pub` for an encrypted key) when known. */
  publicKey?: Buffer;
}

/** How a face asks the user for secrets. Return undefined when the user cancels. */
export interface AuthPrompt {
  /** `port` only when it is not 22 (shown as host:port, so two nodes on one host are told apart). */
  password(request: { nodeId: string; username: string; host: string; port?: number }): Promise<string | undefined>;
  passphrase(request: { nodeId: string; keyPath: string }): Promise<string | undefined>;
  keyboardInteractive(request: {
    nodeId: string;
    name: string;
    instructions: string;
    prompts: { prompt: string; echo: boolean }[];
  }): Promise<string[] | undefined>;
}
