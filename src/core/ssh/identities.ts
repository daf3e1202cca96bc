import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { utils } from 'ssh2';
import { OcmError } from '../errors';
import type { IdentityCandidate } from './connect-target';
import { ssh2 } from '../vendor';
import { keyTypeOfBlob } from './fingerprint';

/** Key files OpenSSH tries when the config names none, in its order (only those that exist are used). */
export function defaultIdentityFiles(home: string): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((name) => join(home, '.ssh', name));
}

/** What a key file's bytes are, decided by ssh2's parser. */
export type KeyFileKind = 'plain' | 'encrypted' | 'unusable';

/**
 * Classifies private key bytes: `encrypted` when ssh2 says a passphrase is needed (OpenSSH
 * new-format bcrypt kdf, or PEM `Proc-Type: 4,ENCRYPTED`), `unusable` when ssh2 cannot parse it.
 */
export function classifyPrivateKey(bytes: Buffer): KeyFileKind {
  const parsed = ssh2().utils.parseKey(bytes);
  if (!(parsed instanceof Error)) {
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    // ssh2 also parses public keys: those are not usable as identity files on their own.
    return key && key.isPrivateKey() ? 'plain' : 'unusable';
  }
  if (/passphrase|encrypted/i.test(parsed.message)) return 'encrypted';
  return 'unusable';
}

/**
 * Decrypts an encrypted key with `passphrase`. Resolves to the parsed key or to an OcmError
 * (kind auth) when the passphrase is wrong — the caller may ask again.
 */
export function decryptPrivateKey(bytes: Buffer, passphrase: string, path: string): ReturnType<typeof utils.parseKey> | OcmError {
  const parsed = ssh2().utils.parseKey(bytes, passphrase);
  if (parsed instanceof Error) {
    return new OcmError('auth', `The passphrase for ${path} is wrong (${parsed.message}). Try again.`, { keyPath: path });
  }
  return parsed;
}

export interface LoadedIdentities {
  identities: IdentityCandidate[];
  /**
   * Public keys named by IdentityFile whose private half is not on disk (a `.pub` file, or a
   * missing key with a `.pub` next to it): usable only through the agent (1Password, Secretive...).
   */
  agentOnlyKeys: Buffer[];
  /** Files that exist but cannot be used (unsupported type, not a key), for messages. */
  skipped: { path: string; reason: string }[];
}

/**
 * Reads the key files in order. `required` files (the registry's identityFile) must exist and be
 * readable; other missing files are skipped silently, like OpenSSH does.
 */
export async function loadIdentities(paths: readonly string[], required: ReadonlySet<string> = new Set()): Promise<LoadedIdentities> {
  const identities: IdentityCandidate[] = [];
  const agentOnlyKeys: Buffer[] = [];
  const skipped: { path: string; reason: string }[] = [];
  const seen = new Set<string>();
  for (const path of paths) {
    if (seen.has(path)) continue;
    seen.add(path);
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const pub = code === 'ENOENT' ? await publicBlobFromPubFile(`${path}.pub`) : undefined;
      if (pub) {
        agentOnlyKeys.push(pub);
        continue;
      }
      if (required.has(path)) {
        throw new OcmError(
          'invalidConfig',
          code === 'ENOENT'
            ? `The identity file ${path} does not exist. Fix the node's identityFile (ocm add --identity) or create the key.`
            : `Cannot read the identity file ${path}: ${(e as Error).message}. Check its permissions.`,
          { keyPath: path },
        );
      }
      if (code !== 'ENOENT' && code !== 'ENOTDIR') skipped.push({ path, reason: (e as Error).message });
      continue;
    }
    const kind = classifyPrivateKey(bytes);
    const publicOnly = kind === 'unusable' ? publicBlobFromText(bytes.toString('utf8')) : undefined;
    if (publicOnly) {
      agentOnlyKeys.push(publicOnly);
      continue;
    }
    if (kind === 'unusable') {
      const reason = 'not a private key ssh2 can use (FIDO/sk keys and certificates are not supported)';
      if (required.has(path))
        throw new OcmError('invalidConfig', `The identity file ${path} is ${reason}. Use an ed25519, ecdsa or rsa key.`, { keyPath: path });
      skipped.push({ path, reason });
      continue;
    }
    const publicKey = kind === 'plain' ? publicBlobOf(bytes) : await publicBlobFromPubFile(`${path}.pub`);
    identities.push({ path, privateKey: bytes, encrypted: kind === 'encrypted', ...(publicKey ? { publicKey } : {}) });
  }
  return { identities, agentOnlyKeys, skipped };
}

function publicBlobOf(privateKey: Buffer): Buffer | undefined {
  const parsed = ssh2().utils.parseKey(privateKey);
  if (parsed instanceof Error) return undefined;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  return key ? Buffer.from(key.getPublicSSH()) : undefined;
}

/** `<type> <base64> [comment]` from a `.pub` file next to an encrypted key (it needs no passphrase). */
async function publicBlobFromPubFile(path: string): Promise<Buffer | undefined> {
  try {
    return publicBlobFromText(await fs.readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The blob of a one-line public key (`ssh-ed25519 AAAA... comment`), or undefined. */
function publicBlobFromText(text: string): Buffer | undefined {
  const [type, base64] = text.trim().split(/\s+/);
  if (!type || !base64 || !/^(ssh-|ecdsa-|sk-)/.test(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const blob = Buffer.from(base64, 'base64');
  return keyTypeOfBlob(blob) === type ? blob : undefined;
}
