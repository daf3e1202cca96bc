import { OcmError } from '../errors';
import { keyTypeLabel, keyTypeOfBlob, sha256Fingerprint } from './fingerprint';
import { linesForHost, readKnownHostsFiles, type KnownHostLine } from './known-hosts';
import type { TrustedHostKey, TrustStore } from './trust-store';

/**
 * Decides whether a server's host key is trusted. Sources: the user's known_hosts files (read only)
 * and the tool's trust store. A changed key is always refused, whatever the policy.
 */

/** What to do with a host whose key is in neither known_hosts nor the trust store. */
export type HostKeyPolicy = 'ask' | 'accept-new' | 'strict';

export interface HostKeyQuestion {
  nodeId: string;
  host: string;
  port: number;
  hostKeyName: string;
  /** `SHA256:...` */
  fingerprint: string;
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, ... */
  keyType: string;
  /** Key types already known for this host (another type is offered now), for the face to mention. */
  knownKeyTypes: string[];
  /** Set only with `replaceChanged`: the fingerprints the new key would replace. */
  replaces?: string[];
}

/** Face callback for policy 'ask': resolve true to trust the key (it is then stored in the trust store). */
export type AskHostKey = (question: HostKeyQuestion) => Promise<boolean>;

export interface HostKeyVerifierOptions {
  nodeId: string;
  host: string;
  port: number;
  /** `host` or `[host]:port` (HostKeyAlias honoured): the name looked up in known_hosts and the trust store. */
  hostKeyName: string;
  knownHostsFiles: readonly string[];
  trustStore: TrustStore;
  policy: HostKeyPolicy;
  ask?: AskHostKey;
  /**
   * Only for `ocm trust --replace-jump` (the user's explicit decision): a changed key is offered to `ask`
   * with `replaces` set, and replaced in the trust store on yes. Never set on ordinary connects.
   */
  replaceChanged?: boolean;
  /** Node id to name in "ocm trust <id>" advice (for a ProxyJump hop: the node being reached). Default nodeId. */
  trustNodeId?: string;
}

export interface HostKeyVerifier {
  /**
   * ssh2-ready check: resolves true to accept, false to refuse. Never rejects; on refusal the
   * reason is in `lastError` (ssh2 reports a refused key only as a generic handshake failure, so
   * the pool rethrows `lastError` instead).
   */
  verify(keyBlob: Buffer): Promise<boolean>;
  /** Why the last `verify` refused (hostKeyChanged / hostKeyUnknown / failed), cleared on each call. */
  readonly lastError: OcmError | undefined;
  /** The key offered in the last `verify` call (for messages and `ocm trust`). */
  readonly lastOffered: { keyType: string; fingerprint: string } | undefined;
  /** Key types already trusted for this host (known_hosts + trust store), to ask the server for those first. */
  knownKeyTypes(): Promise<string[]>;
}

/** The known key sources for one host name, and what they say about `keyBlob`. */
export type HostKeyVerdict =
  | { status: 'trusted'; source: 'known_hosts' | 'trustStore' }
  | { status: 'revoked'; line: KnownHostLine }
  | { status: 'changed'; knownHosts: KnownHostLine[]; trusted: TrustedHostKey[] }
  | { status: 'unknown'; knownKeyTypes: string[]; certAuthorityLines: number };

export async function judgeHostKey(keyBlob: Buffer, hostKeyName: string, knownHostsFiles: readonly string[], trustStore: TrustStore): Promise<HostKeyVerdict> {
  const keyType = keyTypeOfBlob(keyBlob);
  const lines = linesForHost(await readKnownHostsFiles(knownHostsFiles), hostKeyName);
  const revoked = lines.find((l) => l.marker === 'revoked' && l.blob.equals(keyBlob));
  if (revoked) return { status: 'revoked', line: revoked };
  const plain = lines.filter((l) => l.marker === undefined);
  if (plain.some((l) => l.blob.equals(keyBlob))) return { status: 'trusted', source: 'known_hosts' };
  const trusted = await trustStore.lookup(hostKeyName);
  const offered = keyBlob.toString('base64');
  if (trusted.some((e) => e.key === offered)) return { status: 'trusted', source: 'trustStore' };
  const staleLines = plain.filter((l) => l.keyType === keyType);
  const staleTrusted = trusted.filter((e) => e.keyType === keyType);
  if (staleLines.length > 0 || staleTrusted.length > 0) return { status: 'changed', knownHosts: staleLines, trusted: staleTrusted };
  const knownKeyTypes = [...new Set([...plain.map((l) => l.keyType), ...trusted.map((e) => e.keyType)])];
  return { status: 'unknown', knownKeyTypes, certAuthorityLines: lines.filter((l) => l.marker === 'cert-authority').length };
}

export function createHostKeyVerifier(options: HostKeyVerifierOptions): HostKeyVerifier {
  let lastError: OcmError | undefined;
  let lastOffered: { keyType: string; fingerprint: string } | undefined;

  async function decide(keyBlob: Buffer): Promise<boolean> {
    const keyType = keyTypeOfBlob(keyBlob);
    const fingerprint = sha256Fingerprint(keyBlob);
    lastOffered = { keyType, fingerprint };
    const verdict = await judgeHostKey(keyBlob, options.hostKeyName, options.knownHostsFiles, options.trustStore);
    switch (verdict.status) {
      case 'trusted':
        return true;
      case 'revoked':
        throw hostKeyRevokedError(options, fingerprint, verdict.line);
      case 'changed': {
        const replaces = [...verdict.knownHosts.map((l) => sha256Fingerprint(l.blob)), ...verdict.trusted.map((e) => e.fingerprint)];
        if (
          options.replaceChanged &&
          options.ask &&
          (await options.ask({
            nodeId: options.nodeId,
            host: options.host,
            port: options.port,
            hostKeyName: options.hostKeyName,
            fingerprint,
            keyType,
            knownKeyTypes: [],
            replaces,
          }))
        ) {
          await options.trustStore.add({
            hostKeyName: options.hostKeyName,
            host: options.host,
            port: options.port,
            keyBlob,
            nodeId: options.nodeId,
            replace: true,
          });
          return true;
        }
        throw hostKeyChangedError(options, keyType, fingerprint, verdict);
      }
      case 'unknown': {
        const accept = await decideUnknown(keyType, fingerprint, verdict);
        if (accept) {
          await options.trustStore.add({ hostKeyName: options.hostKeyName, host: options.host, port: options.port, keyBlob, nodeId: options.nodeId });
        }
        return accept;
      }
    }
  }

  async function decideUnknown(keyType: string, fingerprint: string, verdict: Extract<HostKeyVerdict, { status: 'unknown' }>): Promise<boolean> {
    if (options.policy === 'accept-new') return true;
    if (options.policy === 'ask' && options.ask) {
      const yes = await options.ask({
        nodeId: options.nodeId,
        host: options.host,
        port: options.port,
        hostKeyName: options.hostKeyName,
        fingerprint,
        keyType,
        knownKeyTypes: verdict.knownKeyTypes,
      });
      if (yes) return true;
      throw new OcmError(
        'hostKeyUnknown',
        `The host key of node "${options.nodeId}" (${options.hostKeyName}, ${keyTypeLabel(keyType)} ${fingerprint}) was not trusted, so the connection was not made. Connect again and accept it once you have checked the fingerprint.`,
        { nodeId: options.nodeId, hostKeyName: options.hostKeyName, fingerprint, keyType, declined: true },
      );
    }
    const otherTypes =
      verdict.knownKeyTypes.length > 0 ? ` (known_hosts or the trust store only has ${verdict.knownKeyTypes.map(keyTypeLabel).join(', ')} keys for it)` : '';
    const certNote = verdict.certAuthorityLines > 0 ? ' Host certificates (@cert-authority lines) are not supported; trust the plain host key instead.' : '';
    throw new OcmError(
      'hostKeyUnknown',
      `The host key of node "${options.nodeId}" (${options.hostKeyName}) is unknown${otherTypes}: it offers ${keyTypeLabel(keyType)} ${fingerprint}. Check that fingerprint out of band, then run "ocm trust ${options.trustNodeId ?? options.nodeId}" (or pass --accept-new to trust it on first connect).${certNote}`,
      { nodeId: options.nodeId, hostKeyName: options.hostKeyName, fingerprint, keyType, knownKeyTypes: verdict.knownKeyTypes },
    );
  }

  return {
    async verify(keyBlob: Buffer): Promise<boolean> {
      lastError = undefined;
      lastOffered = undefined;
      try {
        return await decide(keyBlob);
      } catch (e) {
        lastError =
          e instanceof OcmError
            ? e
            : new OcmError(
                'failed',
                `Could not check the host key of node "${options.nodeId}": ${(e as Error).message}`,
                { nodeId: options.nodeId },
                { cause: e },
              );
        return false;
      }
    },
    get lastError() {
      return lastError;
    },
    get lastOffered() {
      return lastOffered;
    },
    async knownKeyTypes(): Promise<string[]> {
      const lines = linesForHost(await readKnownHostsFiles(options.knownHostsFiles), options.hostKeyName).filter((l) => l.marker === undefined);
      const trusted = await options.trustStore.lookup(options.hostKeyName);
      return [...new Set([...lines.map((l) => l.keyType), ...trusted.map((e) => e.keyType)])];
    },
  };
}

/** The refusal for a changed key: both fingerprints, where the old one is, and what to do. */
export function hostKeyChangedError(
  options: Pick<HostKeyVerifierOptions, 'nodeId' | 'hostKeyName' | 'trustNodeId'>,
  keyType: string,
  fingerprint: string,
  verdict: Extract<HostKeyVerdict, { status: 'changed' }>,
): OcmError {
  const stored = [
    ...verdict.knownHosts.map((l) => ({ fingerprint: sha256Fingerprint(l.blob), where: `${l.file} line ${l.line}` })),
    ...verdict.trusted.map((e) => ({ fingerprint: e.fingerprint, where: 'the ocm trust store' })),
  ];
  const storedText = stored.map((s) => `${s.fingerprint} (in ${s.where})`).join(', ');
  // A jump host's key is replaced only when that hop is named (`--replace` is the node's own key).
  const jumpHost = options.nodeId.startsWith('jump:') ? options.nodeId.slice('jump:'.length) : undefined;
  const fixes = [`run "ocm trust ${options.trustNodeId ?? options.nodeId} ${jumpHost ? `--replace-jump ${jumpHost}` : '--replace'}"`];
  const files = [...new Set(verdict.knownHosts.map((l) => l.file))];
  for (const file of files) fixes.push(`remove the stale line with "ssh-keygen -R '${options.hostKeyName}' -f '${file}'"`);
  return new OcmError(
    'hostKeyChanged',
    `HOST KEY CHANGED for node "${options.nodeId}" (${options.hostKeyName}): it now offers ${keyTypeLabel(keyType)} ${fingerprint}, but the expected key is ${storedText}. ` +
      `Someone may be intercepting the connection, or the host was reinstalled. Connection refused. ` +
      `Verify the new fingerprint out of band (on the host: "ssh-keygen -lf /etc/ssh/ssh_host_${keyType === 'ssh-ed25519' ? 'ed25519' : keyType.startsWith('ecdsa') ? 'ecdsa' : 'rsa'}_key.pub"), then ${fixes.join(' and ')}.`,
    { nodeId: options.nodeId, hostKeyName: options.hostKeyName, keyType, offered: fingerprint, expected: stored },
  );
}

export function hostKeyRevokedError(options: Pick<HostKeyVerifierOptions, 'nodeId' | 'hostKeyName'>, fingerprint: string, line: KnownHostLine): OcmError {
  return new OcmError(
    'hostKeyChanged',
    `The host key of node "${options.nodeId}" (${options.hostKeyName}, ${fingerprint}) is marked @revoked in ${line.file} line ${line.line}. Connection refused. Ask the host's administrator for the current key.`,
    { nodeId: options.nodeId, hostKeyName: options.hostKeyName, offered: fingerprint, revoked: true, file: line.file, line: line.line },
  );
}

/** ssh2's default host key algorithms, in its order (ed25519 first). */
const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/**
 * Host key algorithms with those matching already-known key types first, like OpenSSH does: a
 * host known by its ECDSA key is then verified with that key instead of looking "unknown" because
 * the server would rather show its ed25519 key. Returns undefined when nothing is known.
 */
export function hostKeyAlgorithmsPreferring(knownKeyTypes: readonly string[]): string[] | undefined {
  const preferred = knownKeyTypes
    .flatMap((type) => (type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]))
    .filter((a) => DEFAULT_HOST_KEY_ALGORITHMS.includes(a));
  if (preferred.length === 0) return undefined;
  return [...new Set([...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS])];
}
