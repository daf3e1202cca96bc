import { homedir } from 'node:os';
import type { Command } from 'commander';
import { ocmHome } from '../../core/home';
import type { AuthPrompt } from '../../core/ssh/connect-target';
import { keyTypeLabel } from '../../core/ssh/fingerprint';
import type { AskHostKey, HostKeyPolicy } from '../../core/ssh/host-key-verifier';
import type { ResolveTargetDeps } from '../../core/ssh/resolve-target';
import { resolveConnectTarget } from '../../core/ssh/resolve-target';
import { trustHostKey } from '../../core/ssh/trust-host';
import { StagedTrustStore } from '../../core/ssh/staged-trust-store';
import { TrustStore } from '../../core/ssh/trust-store';
import { canConfirmOnTerminal, confirmOnTerminal } from '../confirm';
import { printJson, type CliContext } from '../context';
import { l10n } from '../l10n';
import { jsonOption } from '../options';
import { terminalAuthPrompt } from '../terminal-auth-prompt';
import { jumpHostApprover } from '../trust-hops';
import { registryFor } from './registry';

/**
 * What every CLI verb that connects passes to resolveConnectTarget: the user's home (HOME in the
 * CLI's env), the ocm trust store, the unknown-host policy (`strict` unless --accept-new: the CLI
 * never asks about host keys) and the terminal prompt for passwords/passphrases (answers
 * "cancelled" at once when there is no terminal).
 */
export function sshDepsFor(ctx: CliContext, options: { acceptNew?: boolean; prompt?: AuthPrompt; ask?: AskHostKey } = {}): ResolveTargetDeps {
  const policy: HostKeyPolicy = options.ask ? 'ask' : options.acceptNew ? 'accept-new' : 'strict';
  return {
    home: ctx.env.HOME && ctx.env.HOME.trim() !== '' ? ctx.env.HOME : homedir(),
    env: ctx.env,
    hostKeyPolicy: policy,
    trustStore: TrustStore.inHome(ocmHome(ctx.env)),
    prompt: options.prompt ?? ctx.authPrompt ?? terminalAuthPrompt(),
    ...(options.ask ? { ask: options.ask } : {}),
  };
}

/**
 * `ocm trust <id>`: record a node's SSH host key in the ocm trust store after showing its
 * fingerprint. Naming the node is the decision for its own key; the jump hosts on the way each
 * need their own (trust-hops.ts). Every key is staged and written only when all hops passed.
 */
export function registerTrustCommands(program: Command, ctx: CliContext): void {
  program
    .command('trust')
    .description(l10n.t("fetch a node's SSH host key, show its fingerprint and trust it (stored in the ocm home, never in ~/.ssh/known_hosts)"))
    .argument('<id>', l10n.t('node id'))
    .option('--replace', l10n.t('replace a different key already recorded for this host (after checking the new fingerprint out of band)'))
    .option(
      '--replace-jump <host>',
      l10n.t('replace a different key recorded for this ProxyJump host (repeatable; after checking it out of band)'),
      collect,
      [],
    )
    .option(
      '--expect <fingerprint>',
      l10n.t("only trust keys with these SHA256:... fingerprints: the node's and each new jump host's (repeatable)"),
      collect,
      [],
    )
    .option('--yes', l10n.t('also trust new jump-host keys as shown, without asking'))
    .addOption(jsonOption())
    .action(async (id: string, opts: { replace?: boolean; replaceJump: string[]; expect: string[]; yes?: boolean; json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const node = await registryFor(ctx).get(id);
      const trustStore = TrustStore.inHome(ocmHome(ctx.env));
      const staged = new StagedTrustStore(trustStore);
      const approver = jumpHostApprover({
        nodeId: id,
        expect: opts.expect,
        yes: Boolean(opts.yes),
        replaceJumps: opts.replaceJump,
        ...(!opts.json && canConfirmOnTerminal() ? { confirm: confirmOnTerminal } : {}),
        show: (line) => ctx.err(line + '\n'),
      });
      const deps = sshDepsFor(ctx, { ask: approver.ask });
      const target = await resolveConnectTarget(node, {
        ...deps,
        trustStore: staged,
        ...(opts.replaceJump.length > 0 ? { replaceChangedHostKeys: true } : {}),
      });
      const result = await trustHostKey(target, staged, {
        ...(opts.replace ? { replace: true } : {}),
        ...(opts.expect.length > 0 ? { expectFingerprints: opts.expect } : {}),
      });
      const jumpsTrusted = staged.pending().filter((e) => e.nodeId?.startsWith('jump:'));
      await staged.commit();
      const replacedOf = (hostKeyName: string): string[] | undefined => approver.approved.find((q) => q.hostKeyName === hostKeyName && q.replaces)?.replaces;
      if (opts.json) {
        return printJson(ctx, {
          ok: true,
          ...result,
          trustStore: trustStore.path,
          jumpsTrusted: jumpsTrusted.map((e) => {
            const replaced = replacedOf(e.hostKeyName);
            return { nodeId: e.nodeId, hostKeyName: e.hostKeyName, keyType: e.keyType, fingerprint: e.fingerprint, ...(replaced ? { replaced } : {}) };
          }),
        });
      }
      for (const e of jumpsTrusted) {
        const replaced = replacedOf(e.hostKeyName);
        ctx.out(
          (replaced
            ? l10n.t('Jump host {0}: trusted {1} {2} (replacing {3})', e.hostKeyName, keyTypeLabel(e.keyType), e.fingerprint, replaced.join(', '))
            : l10n.t('Jump host {0}: trusted {1} {2}', e.hostKeyName, keyTypeLabel(e.keyType), e.fingerprint)) + '\n',
        );
      }
      ctx.out(l10n.t('Node {0} ({1}) offers {2} key {3}', result.nodeId, result.hostKeyName, keyTypeLabel(result.keyType), result.fingerprint) + '\n');
      if (result.outcome === 'alreadyTrusted') {
        ctx.out(
          (result.source === 'known_hosts'
            ? l10n.t('Already trusted (in your known_hosts). Nothing changed.')
            : l10n.t('Already trusted (in {0}). Nothing changed.', trustStore.path)) + '\n',
        );
      } else {
        ctx.out(
          (result.outcome === 'replaced' ? l10n.t('Replaced the old key with it in {0}.', trustStore.path) : l10n.t('Trusted it in {0}.', trustStore.path)) +
            '\n',
        );
        for (const stale of result.staleKnownHostsLines) {
          ctx.out(
            l10n.t("Your {0} line {1} still holds the old key: remove it with ssh-keygen -R '{2}' -f '{0}'.", stale.file, stale.line, result.hostKeyName) +
              '\n',
          );
        }
      }
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
