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
  /** Face-supplied prompts for password / keyboard-interactive / passphrase. */
  prompt?: AuthPrompt;
  /** Verifies the server's host key; resolves true to accept. Never accepts a changed key. */
  verifyHostKey: (key: Buffer) => Promise<boolean>;
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
}

/** How a face asks the user for secrets. Return undefined when the user cancels. */
export interface AuthPrompt {
  password(request: { nodeId: string; username: string; host: string }): Promise<string | undefined>;
  passphrase(request: { nodeId: string; keyPath: string }): Promise<string | undefined>;
  keyboardInteractive(request: { nodeId: string; name: string; instructions: string; prompts: { prompt: string; echo: boolean }[] }): Promise<string[] | undefined>;
}
