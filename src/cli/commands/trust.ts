import { homedir } from 'node:os';
import type { Command } from 'commander';
import { ocmHome } from '../../core/home';
import type { AuthPrompt } from '../../core/ssh/connect-target';
import { keyTypeLabel } from '../../core/ssh/fingerprint';
import type { AskHostKey, HostKeyPolicy, HostKeyQuestion } from '../../core/ssh/host-key-verifier';
import type { ResolveTargetDeps } from '../../core/ssh/resolve-target';
import { resolveConnectTarget } from '../../core/ssh/resolve-target';
import { trustHostKey } from '../../core/ssh/trust-host';
import { TrustStore } from '../../core/ssh/trust-store';
import { printJson, type CliContext } from '../context';
import { terminalAuthPrompt } from '../terminal-auth-prompt';
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
    prompt: options.prompt ?? terminalAuthPrompt(),
    ...(options.ask ? { ask: options.ask } : {}),
  };
}

/** `ocm trust <id>`: record a node's SSH host key in the ocm trust store after showing its fingerprint. */
export function registerTrustCommands(program: Command, ctx: CliContext): void {
  program
    .command('trust')
    .description("fetch a node's SSH host key, show its fingerprint and trust it (stored in the ocm home, never in ~/.ssh/known_hosts)")
    .argument('<id>', 'node id')
    .option('--replace', 'replace a different key already recorded for this host (after checking the new fingerprint out of band)')
    .option('--expect <fingerprint>', 'only trust the key if its fingerprint is this SHA256:... value')
    .option('--json', 'print {"ok":true,"nodeId","hostKeyName","keyType","fingerprint","outcome":"added|replaced|alreadyTrusted",...}')
    .action(async (id: string, opts: { replace?: boolean; expect?: string; json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const node = await registryFor(ctx).get(id);
      const trustStore = TrustStore.inHome(ocmHome(ctx.env));
      // Jump hosts on the way are trusted too (this command is the user's explicit decision); they are listed.
      const jumpsTrusted: HostKeyQuestion[] = [];
      const deps = sshDepsFor(ctx, {
        ask: async (question) => {
          jumpsTrusted.push(question);
          return true;
        },
      });
      const target = await resolveConnectTarget(node, { ...deps, trustStore, ...(opts.replace ? { replaceChangedHostKeys: true } : {}) });
      const result = await trustHostKey(target, trustStore, { ...(opts.replace ? { replace: true } : {}), ...(opts.expect ? { expectFingerprint: opts.expect } : {}) });
      if (opts.json) {
        return printJson(ctx, {
          ok: true,
          ...result,
          trustStore: trustStore.path,
          jumpsTrusted: jumpsTrusted.map((q) => ({ nodeId: q.nodeId, hostKeyName: q.hostKeyName, keyType: q.keyType, fingerprint: q.fingerprint, ...(q.replaces ? { replaced: q.replaces } : {}) })),
        });
      }
      for (const q of jumpsTrusted) {
        ctx.out(`Jump host ${q.hostKeyName}: trusted ${keyTypeLabel(q.keyType)} ${q.fingerprint}${q.replaces ? ` (replacing ${q.replaces.join(', ')})` : ''}\n`);
      }
      ctx.out(`Node ${result.nodeId} (${result.hostKeyName}) offers ${keyTypeLabel(result.keyType)} key ${result.fingerprint}\n`);
      if (result.outcome === 'alreadyTrusted') {
        ctx.out(`Already trusted (${result.source === 'known_hosts' ? 'in your known_hosts' : `in ${trustStore.path}`}). Nothing changed.\n`);
      } else {
        ctx.out(`${result.outcome === 'replaced' ? 'Replaced the old key with it' : 'Trusted it'} in ${trustStore.path}.\n`);
        for (const stale of result.staleKnownHostsLines) {
          ctx.out(`Your ${stale.file} line ${stale.line} still holds the old key: remove it with ssh-keygen -R '${result.hostKeyName}' -f '${stale.file}'.\n`);
        }
      }
    });
}
