import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { OcmError } from '../errors';
import { withFileLock } from '../file-lock';
import { writeFileAtomic } from '../fs-atomic';
import { once, zod } from '../vendor';
import { keyTypeOfBlob, sha256Fingerprint } from './fingerprint';

/**
 * The tool's own host-key trust store: `<ocm home>/trusted-host-keys.json`, written atomically and
 * owner-only (0600). Keys land here when the user accepts an unknown host (`ocm trust`, the
 * extension's fingerprint prompt, `--accept-new`); the user's ~/.ssh/known_hosts is never written.
 * Every change holds the file's lock (file-lock.ts) and re-reads the file under it: `ocm status
 * --accept-new` pins many hosts at once, and the CLI, the keeper and the extension share the file.
 */

/** Built on first use: zod is loaded when the store is first read. */
const schemas = once(() => {
  const z = zod();
  const entrySchema = z.object({
    /** known_hosts-style name: `host` on port 22, `[host]:port` otherwise (HostKeyAlias honoured). */
    hostKeyName: z.string().min(1),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    keyType: z.string().min(1),
    /** Base64 of the raw public key blob. */
    key: z.string().min(1),
    fingerprint: z.string().startsWith('SHA256:'),
    /** ISO time the key was trusted. */
    addedAt: z.string(),
    /** Node id that was being connected when the key was trusted (informational). */
    nodeId: z.string().optional(),
  });

  const fileSchema = z.object({
    version: z.literal(1),
    hosts: z.array(entrySchema),
  });
  return { entrySchema, fileSchema };
});

export type TrustedHostKey = z.infer<ReturnType<typeof schemas>['entrySchema']>;

export interface TrustStoreAddInput {
  hostKeyName: string;
  host: string;
  port: number;
  keyBlob: Uint8Array;
  nodeId?: string;
  replace?: boolean;
  now?: Date;
}

/**
 * What `add` does to the list `hosts`: the entry for `input` and the new list (`hosts` itself
 * when the key is already there). Throws hostKeyChanged for a different key of the same type
 * unless `replace`. Pure, so a staged store (staged-trust-store.ts) applies the same rules.
 */
export function planTrustStoreAdd(hosts: TrustedHostKey[], input: TrustStoreAddInput): { entry: TrustedHostKey; hosts: TrustedHostKey[] } {
  const blob = Buffer.from(input.keyBlob);
  const keyType = keyTypeOfBlob(blob);
  const key = blob.toString('base64');
  const name = input.hostKeyName.toLowerCase();
  const sameType = hosts.filter((e) => e.hostKeyName.toLowerCase() === name && e.keyType === keyType);
  const existing = sameType.find((e) => e.key === key);
  if (existing) return { entry: existing, hosts };
  if (sameType.length > 0 && !input.replace) {
    throw new OcmError(
      'hostKeyChanged',
      `The trust store already holds a different ${keyType} key for ${input.hostKeyName} (${sameType.map((e) => e.fingerprint).join(', ')}); the host now offers ${sha256Fingerprint(blob)}. Verify the new fingerprint out of band, then replace it with "ocm trust <id> --replace".`,
      { hostKeyName: input.hostKeyName, stored: sameType.map((e) => e.fingerprint), offered: sha256Fingerprint(blob) },
    );
  }
  const entry: TrustedHostKey = {
    hostKeyName: name,
    host: input.host,
    port: input.port,
    keyType,
    key,
    fingerprint: sha256Fingerprint(blob),
    addedAt: (input.now ?? new Date()).toISOString(),
    ...(input.nodeId ? { nodeId: input.nodeId } : {}),
  };
  const kept = hosts.filter((e) => !(e.hostKeyName.toLowerCase() === name && e.keyType === keyType));
  return { entry, hosts: [...kept, entry] };
}

export function trustStorePath(home: string): string {
  return join(home, 'trusted-host-keys.json');
}

export class TrustStore {
  constructor(readonly path: string) {}

  static inHome(home: string): TrustStore {
    return new TrustStore(trustStorePath(home));
  }

  async list(): Promise<TrustedHostKey[]> {
    let text: string;
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new OcmError('failed', `Cannot read the host-key trust store ${this.path}: ${(e as Error).message}. Check its permissions.`, { path: this.path });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new OcmError(
        'invalidConfig',
        `The host-key trust store ${this.path} is not valid JSON (${(e as Error).message}). Fix or delete it, then trust the hosts again with "ocm trust <id>".`,
        { path: this.path },
      );
    }
    const result = schemas().fileSchema.safeParse(parsed);
    if (!result.success) {
      throw new OcmError(
        'invalidConfig',
        `The host-key trust store ${this.path} has an unexpected shape. Fix or delete it, then trust the hosts again with "ocm trust <id>".`,
        { path: this.path },
      );
    }
    return result.data.hosts;
  }

  /** Entries stored for `hostKeyName` (all key types). */
  async lookup(hostKeyName: string): Promise<TrustedHostKey[]> {
    const name = hostKeyName.toLowerCase();
    return (await this.list()).filter((e) => e.hostKeyName.toLowerCase() === name);
  }

  /**
   * Records `keyBlob` for `hostKeyName`. A stored key of the same type that differs is kept and the
   * call fails with hostKeyChanged, unless `replace` is set (then it is removed).
   */
  async add(input: TrustStoreAddInput): Promise<TrustedHostKey> {
    return this.locked(async () => {
      const hosts = await this.list();
      const planned = planTrustStoreAdd(hosts, input);
      if (planned.hosts !== hosts) await this.write(planned.hosts);
      return planned.entry;
    });
  }

  /** Removes every key stored for `hostKeyName`; returns how many were removed. */
  async remove(hostKeyName: string): Promise<number> {
    const name = hostKeyName.toLowerCase();
    return this.locked(async () => {
      const hosts = await this.list();
      const kept = hosts.filter((e) => e.hostKeyName.toLowerCase() !== name);
      if (kept.length !== hosts.length) await this.write(kept);
      return hosts.length - kept.length;
    });
  }

  /** Read-modify-write under the trust store's lock (in this process and across ocm processes). */
  private locked<T>(change: () => Promise<T>): Promise<T> {
    return withFileLock(this.path, change);
  }

  private async write(hosts: TrustedHostKey[]): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify({ version: 1, hosts }, null, 2) + '\n', 0o600);
  }
}
