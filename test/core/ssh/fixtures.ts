import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';

/** A fresh host/client key pair: `line` is `ssh-ed25519 AAAA...`, `blob` the raw public key. */
export function newKey(type: 'ed25519' | 'ecdsa' = 'ed25519', passphrase?: string): { line: string; blob: Buffer; private: string; type: string } {
  const pair = passphrase
    ? utils.generateKeyPairSync(type === 'ecdsa' ? 'ecdsa' : 'ed25519', { bits: 256, passphrase, cipher: 'aes256-ctr', rounds: 4 })
    : utils.generateKeyPairSync(type === 'ecdsa' ? 'ecdsa' : 'ed25519', { bits: 256 });
  const [keyType, base64] = pair.public.split(' ');
  return { line: `${keyType} ${base64}`, blob: Buffer.from(base64!, 'base64'), private: pair.private, type: keyType! };
}

export async function tempDir(prefix = 'ocm-ssh-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}
