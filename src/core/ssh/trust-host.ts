import { OcmError } from '../errors';
import { connectSsh, type ConnectOptions } from './connect-client';
import type { ConnectTarget } from './connect-target';
import { keyTypeLabel, keyTypeOfBlob, sha256Fingerprint } from './fingerprint';
import { hostKeyChangedError, hostKeyRevokedError, judgeHostKey } from './host-key-verifier';
import type { TrustStore } from './trust-store';

/**
 * `ocm trust`: fetch a node's host key (handshake only, no login), show it, and record it in the
 * trust store. A key that differs from a known one is only recorded with `replace`. The jump
 * hosts on the way are checked by their own verifiers (the caller's `ask` decides about them).
 */

export interface ScannedHostKey {
  keyBlob: Buffer;
  keyType: string;
  fingerprint: string;
}

/** Connects through the target's jumps (verified normally) and returns the last hop's host key without logging in. */
export async function scanHostKey(target: ConnectTarget, options: Pick<ConnectOptions, 'readyTimeoutMs' | 'signal'> = {}): Promise<ScannedHostKey> {
  let captured: Buffer | undefined;
  try {
    const connection = await connectSsh(target, {
      ...options,
      hostVerifier: (key, done) => {
        captured = Buffer.from(key);
        // Refusing ends the handshake here: nothing is authenticated, no secret is sent.
        done(false);
      },
    });
    connection.close();
  } catch (e) {
    if (!captured) throw e;
  }
  if (!captured) {
    throw new OcmError(
      'unreachable',
      `Node "${target.nodeId}" (${target.host}:${target.port}) did not present a host key. Check that it runs an SSH server on that port.`,
      { nodeId: target.nodeId },
    );
  }
  return { keyBlob: captured, keyType: keyTypeOfBlob(captured), fingerprint: sha256Fingerprint(captured) };
}

export type TrustOutcome = 'added' | 'replaced' | 'alreadyTrusted';

export interface TrustResult {
  nodeId: string;
  hostKeyName: string;
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
  outcome: TrustOutcome;
  /** Where the key was already trusted, for `alreadyTrusted`. */
  source?: 'known_hosts' | 'trustStore';
  /** known_hosts lines that still hold the old key after a replace (the user should remove them). */
  staleKnownHostsLines: { file: string; line: number }[];
}

export async function trustHostKey(
  target: ConnectTarget,
  trustStore: TrustStore,
  /** `expectFingerprints`: the node's key must be one of these (`ocm trust --expect`, one per hop of a ProxyJump chain). */
  options: { replace?: boolean; expectFingerprints?: readonly string[]; readyTimeoutMs?: number; signal?: AbortSignal } = {},
): Promise<TrustResult> {
  const scanned = await scanHostKey(target, {
    ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const expected = options.expectFingerprints ?? [];
  if (expected.length > 0 && !expected.map(normalizeFingerprint).includes(scanned.fingerprint)) {
    throw new OcmError(
      'hostKeyChanged',
      `Node "${target.nodeId}" (${target.hostKeyName}) offers ${keyTypeLabel(scanned.keyType)} ${scanned.fingerprint}, not the expected ${expected.join(' or ')}. Nothing was trusted. Check the fingerprint on the host itself.`,
      { nodeId: target.nodeId, offered: scanned.fingerprint, expected },
    );
  }
  const base = {
    nodeId: target.nodeId,
    hostKeyName: target.hostKeyName,
    host: target.host,
    port: target.port,
    keyType: scanned.keyType,
    fingerprint: scanned.fingerprint,
  };
  const verdict = await judgeHostKey(scanned.keyBlob, target.hostKeyName, target.knownHostsFiles ?? [], trustStore);
  switch (verdict.status) {
    case 'trusted':
      return { ...base, outcome: 'alreadyTrusted', source: verdict.source, staleKnownHostsLines: [] };
    case 'revoked':
      throw hostKeyRevokedError({ nodeId: target.nodeId, hostKeyName: target.hostKeyName }, scanned.fingerprint, verdict.line);
    case 'changed':
      if (!options.replace)
        throw hostKeyChangedError({ nodeId: target.nodeId, hostKeyName: target.hostKeyName }, scanned.keyType, scanned.fingerprint, verdict);
      await trustStore.add({
        hostKeyName: target.hostKeyName,
        host: target.host,
        port: target.port,
        keyBlob: scanned.keyBlob,
        nodeId: target.nodeId,
        replace: true,
      });
      return { ...base, outcome: 'replaced', staleKnownHostsLines: verdict.knownHosts.map((l) => ({ file: l.file, line: l.line })) };
    case 'unknown':
      await trustStore.add({ hostKeyName: target.hostKeyName, host: target.host, port: target.port, keyBlob: scanned.keyBlob, nodeId: target.nodeId });
      return { ...base, outcome: 'added', staleKnownHostsLines: [] };
  }
}

/** Accepts `SHA256:abc`, `abc` and a trailing `=`. */
export function normalizeFingerprint(text: string): string {
  const body = text
    .trim()
    .replace(/^SHA256:/i, '')
    .replace(/=+$/, '');
  return `SHA256:${body}`;
}
