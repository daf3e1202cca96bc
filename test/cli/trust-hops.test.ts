import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isOcmError } from '../../src/core/errors';
import type { HostKeyQuestion } from '../../src/core/ssh/host-key-verifier';
import { jumpHostApprover, type JumpApprovalOptions } from '../../src/cli/trust-hops';

/** How `ocm trust` decides about a jump host's key (the terminal path; real sshd tests cover the flags). */

const question = (extra: Partial<HostKeyQuestion> = {}): HostKeyQuestion => ({
  nodeId: 'jump:bastion',
  host: '10.0.0.1',
  port: 22,
  hostKeyName: '10.0.0.1',
  fingerprint: 'SHA256:bastionKey',
  keyType: 'ssh-ed25519',
  knownKeyTypes: [],
  ...extra,
});

function approver(options: Partial<JumpApprovalOptions> = {}) {
  const shown: string[] = [];
  const asked: string[] = [];
  const a = jumpHostApprover({ nodeId: 'inner', expect: [], yes: false, replaceJumps: [], show: (l) => shown.push(l), ...options });
  return { ...a, shown, asked };
}

describe('jump-host approval for ocm trust', () => {
  it('on a terminal: shows the key, asks, and trusts only on yes', async () => {
    const answers = [true, false];
    const asked: string[] = [];
    const a = approver({ confirm: async (q) => (asked.push(q), answers.shift()!) });
    assert.equal(await a.ask(question()), true);
    assert.ok(a.shown[0]!.includes('SHA256:bastionKey') && a.shown[0]!.includes('bastion'), a.shown[0]);
    assert.match(asked[0]!, /jump host bastion\? \[y\/N\]/);
    await assert.rejects(a.ask(question({ fingerprint: 'SHA256:other' })), (e) => isOcmError(e, 'hostKeyUnknown') && /not trusted/.test(e.message));
    assert.deepEqual(
      a.approved.map((q) => q.fingerprint),
      ['SHA256:bastionKey'],
    );
  });

  it('without a terminal: refused with the fingerprint and the flags that trust it', async () => {
    await assert.rejects(
      approver().ask(question()),
      (e) => isOcmError(e, 'hostKeyUnknown') && e.message.includes('--expect SHA256:bastionKey') && e.message.includes('--yes'),
    );
  });

  it('--expect decides before --yes and the terminal: a listed key is trusted, another refused', async () => {
    let asked = false;
    const a = approver({ expect: ['bastionKey='], yes: true, confirm: async () => (asked = true) });
    assert.equal(await a.ask(question()), true, 'SHA256: prefix and trailing = are optional');
    await assert.rejects(a.ask(question({ fingerprint: 'SHA256:other' })), (e) => isOcmError(e, 'hostKeyChanged'));
    assert.equal(asked, false);
  });

  it('a changed key is replaced only for a hop named with --replace-jump (by name or host key name)', async () => {
    const changed = question({ replaces: ['SHA256:old'] });
    assert.equal(await approver({ yes: true }).ask(changed), false);
    assert.equal(await approver({ replaceJumps: ['other'] }).ask(changed), false);
    assert.equal(await approver({ replaceJumps: ['bastion'] }).ask(changed), true);
    assert.equal(await approver({ replaceJumps: ['10.0.0.1'] }).ask(changed), true);
    await assert.rejects(approver({ replaceJumps: ['bastion'], expect: ['SHA256:nope'] }).ask(changed), (e) => isOcmError(e, 'hostKeyChanged'));
  });
});
