import { OcmError } from '../errors';
import { planTrustStoreAdd, TrustStore, type TrustedHostKey, type TrustStoreAddInput } from './trust-store';

/**
 * A trust store that holds its additions in memory until `commit`: `ocm trust` checks every hop
 * of a ProxyJump chain (each jump host, then the node) before anything is written, so a hop
 * that is refused, declined or not the `--expect`ed key leaves the trust store as it was.
 * Reads see the real store plus what is staged; the same rules as TrustStore.add apply.
 */
export class StagedTrustStore extends TrustStore {
  private readonly staged: { input: TrustStoreAddInput; entry: TrustedHostKey }[] = [];

  constructor(private readonly real: TrustStore) {
    super(real.path);
  }

  override async list(): Promise<TrustedHostKey[]> {
    let hosts = await this.real.list();
    for (const { input } of this.staged) hosts = planTrustStoreAdd(hosts, { ...input, replace: true }).hosts;
    return hosts;
  }

  override async add(input: TrustStoreAddInput): Promise<TrustedHostKey> {
    const hosts = await this.list();
    const planned = planTrustStoreAdd(hosts, input);
    if (planned.hosts !== hosts) this.staged.push({ input, entry: planned.entry });
    return planned.entry;
  }

  override async remove(): Promise<number> {
    throw new OcmError('unsupported', 'A staged trust store only adds keys; remove them from the trust store itself.');
  }

  /** The keys staged so far, in the order they were added. */
  pending(): TrustedHostKey[] {
    return this.staged.map((s) => s.entry);
  }

  /** Writes the staged keys to the real store (each under its lock); a key changed meanwhile fails as hostKeyChanged. */
  async commit(): Promise<TrustedHostKey[]> {
    const written: TrustedHostKey[] = [];
    for (const { input } of this.staged) written.push(await this.real.add(input));
    this.staged.length = 0;
    return written;
  }
}
