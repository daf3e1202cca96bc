import { keyTypeLabel } from '../core/ssh/fingerprint';
import type { AskHostKey, HostKeyQuestion } from '../core/ssh/host-key-verifier';
import { normalizeFingerprint } from '../core/ssh/trust-host';
import { cliError, l10n } from './l10n';

/**
 * `ocm trust <id>` through ProxyJump hosts: the command names the node, not its jump hosts, so a
 * jump host's key is never trusted just because the node was named. Each jump host whose key
 * would be added or replaced is shown and then
 *   - with --expect: trusted only when its fingerprint is one of the --expect values;
 *   - with --yes: trusted as shown;
 *   - on a terminal: trusted when the user answers yes;
 *   - otherwise refused, with its fingerprint and the flags that trust it.
 * A changed jump-host key is refused unless that hop is named with --replace-jump (--replace is
 * the node's own key); naming it replaces the key (still checked against --expect when given). Nothing is written here: the caller stages keys and commits at the end.
 */

export interface JumpApprovalOptions {
  /** The node `ocm trust` was run for. */
  nodeId: string;
  /** --expect values (normalized here). */
  expect: readonly string[];
  /** --yes. */
  yes: boolean;
  /** --replace-jump values: hop names (`jump:<name>` without the prefix) or host key names. */
  replaceJumps: readonly string[];
  /** Asks the user on the terminal; undefined when there is none (or --json). */
  confirm?: (question: string) => Promise<boolean>;
  /** Shows a line to the user before asking (stderr). */
  show: (line: string) => void;
}

export interface JumpApprover {
  ask: AskHostKey;
  /** The jump-host keys approved, in order (`replaces` set for replaced ones). */
  approved: HostKeyQuestion[];
}

export function jumpHostApprover(options: JumpApprovalOptions): JumpApprover {
  const expected = options.expect.map(normalizeFingerprint);
  const approved: HostKeyQuestion[] = [];
  const ask: AskHostKey = async (q) => {
    const hop = hopName(q);
    if (q.replaces && !options.replaceJumps.some((r) => r === hop || r.toLowerCase() === q.hostKeyName.toLowerCase())) {
      // Refused by the verifier with both fingerprints and the --replace-jump advice.
      return false;
    }
    const offered = `${keyTypeLabel(q.keyType)} ${q.fingerprint}`;
    if (expected.length > 0) {
      if (expected.includes(q.fingerprint)) return approve(q);
      throw cliError(
        'hostKeyChanged',
        l10n.both(
          'Jump host {0} ({1}) on the way to node {2} offers {3}, which is not one of the --expect fingerprints. Nothing was trusted. Check the fingerprint on the jump host itself.',
          hop,
          q.hostKeyName,
          options.nodeId,
          offered,
        ),
        { nodeId: q.nodeId, hostKeyName: q.hostKeyName, offered: q.fingerprint, expected },
      );
    }
    // Naming the hop with --replace-jump is the decision for its new key, as --replace is for the node's.
    if (options.yes || q.replaces) return approve(q);
    if (options.confirm) {
      options.show(l10n.t('Jump host {0} ({1}) offers {2}, which is not trusted yet.', hop, q.hostKeyName, offered));
      if (await options.confirm(l10n.t('Trust this key of jump host {0}? [y/N] ', hop))) return approve(q);
      throw cliError('hostKeyUnknown', l10n.both('The key of jump host {0} ({1}) was not trusted. Nothing was trusted.', hop, offered), {
        nodeId: q.nodeId,
        hostKeyName: q.hostKeyName,
        fingerprint: q.fingerprint,
        declined: true,
      });
    }
    throw cliError(
      'hostKeyUnknown',
      l10n.both(
        'Jump host {0} ({1}) on the way to node {2} offers {3}, which is not trusted yet. Nothing was trusted. Check that fingerprint on the jump host, then run "ocm trust {2} --expect {4}" (add one --expect per new key; --yes trusts the keys as shown), or run it on a terminal to be asked.',
        hop,
        q.hostKeyName,
        options.nodeId,
        offered,
        q.fingerprint,
      ),
      { nodeId: q.nodeId, hostKeyName: q.hostKeyName, fingerprint: q.fingerprint, keyType: q.keyType },
    );
  };
  const approve = (q: HostKeyQuestion): boolean => {
    approved.push(q);
    return true;
  };
  return { ask, approved };
}

/** `bastion` for the hop `jump:bastion`. */
function hopName(q: HostKeyQuestion): string {
  return q.nodeId.startsWith('jump:') ? q.nodeId.slice('jump:'.length) : q.nodeId;
}
