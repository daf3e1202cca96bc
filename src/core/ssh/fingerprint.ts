import { createHash } from 'node:crypto';

/**
 * Host-key identity helpers. ssh2 hands the host verifier the raw public key blob (SSH wire
 * format: string keyType, then type-specific fields); OpenSSH shows keys as `SHA256:<base64>`.
 */

/** `SHA256:` + unpadded base64 of sha256(blob): the same text `ssh-keygen -lf` prints. */
export function sha256Fingerprint(keyBlob: Uint8Array): string {
  const digest = createHash('sha256').update(keyBlob).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** The key type (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, ...) named by the blob's first string. */
export function keyTypeOfBlob(keyBlob: Uint8Array): string {
  const buf = Buffer.from(keyBlob.buffer, keyBlob.byteOffset, keyBlob.byteLength);
  if (buf.length < 4) return 'unknown';
  const length = buf.readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length > buf.length) return 'unknown';
  const type = buf.toString('latin1', 4, 4 + length);
  return /^[\x21-\x7e]+$/.test(type) ? type : 'unknown';
}

/** A public key as it appears in known_hosts / `.pub` files: `<type> <base64 blob>`. */
export interface PublicKey {
  keyType: string;
  /** Raw SSH wire-format blob. */
  blob: Buffer;
}

export function publicKeyFromBlob(keyBlob: Uint8Array): PublicKey {
  const blob = Buffer.from(keyBlob);
  return { keyType: keyTypeOfBlob(blob), blob };
}

/** Short human label for a key type: `ED25519`, `ECDSA`, `RSA` (as ssh-keygen prints). */
export function keyTypeLabel(keyType: string): string {
  if (keyType === 'ssh-ed25519') return 'ED25519';
  if (keyType.startsWith('ecdsa-')) return 'ECDSA';
  if (keyType === 'ssh-rsa') return 'RSA';
  if (keyType === 'ssh-dss') return 'DSA';
  return keyType;
}
