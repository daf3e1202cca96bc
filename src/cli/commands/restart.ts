import type { Command } from 'commander';
import { locateOpenclaw, type OpenclawLocation } from '../../core/openclaw';
import { restartGateway, type RestartResult } from '../../core/operations';
import type { NodeEntry } from '../../core/registry';
import type { Transport } from '../../core/transport/types';
import { printJson, type CliContext } from '../context';
import { l10n } from '../l10n';
import { withNodeTransport } from '../node-connection';
import { acceptNewOption, jsonOption, timeoutOption } from '../options';
import { interruptSignal } from '../interrupt';

/**
 * A registry node's transport and its located OpenClaw, for one command: through the CLI's one
 * way of opening nodes (withNodeTransport — the keeper's shared pool when there is one).
 */
export async function withLocatedNode<T>(
  ctx: CliContext,
  nodeId: string,
  acceptNew: boolean,
  work: (transport: Transport, node: NodeEntry, location: OpenclawLocation) => Promise<T>,
): Promise<T> {
  return withNodeTransport(ctx, nodeId, acceptNew ? { acceptNew: true } : {}, async (transport, node) =>
    work(transport, node, await locateOpenclaw(transport, node, ctx.signal ? { signal: ctx.signal } : {})),
  );
}

/** `ocm restart <id> [--force] [--timeout S] [--json]`: restart the gateway and wait until /readyz says ready. */
export function registerRestartCommands(program: Command, ctx: CliContext): void {
  program
    .command('restart')
    .description(l10n.t("restart a node's OpenClaw gateway (graceful: drains running work) and wait until it is ready"))
    .argument('<id>', l10n.t('node id'))
    .option('--force', l10n.t('stop the gateway at once (SIGKILL / supervisor) and start it again, without draining'))
    .addOption(timeoutOption(l10n.t('how long to wait for /readyz (default 120)')))
    .addOption(jsonOption())
    .addOption(acceptNewOption())
    .action(async (id: string, opts: { force?: boolean; timeout?: number; json?: boolean; acceptNew?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const timeoutMs = opts.timeout ?? 120_000;
      const { signal, dispose } = interruptSignal();
      try {
        const result = await withLocatedNode(ctx, id, Boolean(opts.acceptNew), (transport, node, location) =>
          restartGateway({
            transport,
            location,
            node,
            force: Boolean(opts.force),
            timeoutMs,
            signal,
            onProgress: (m) => (ctx.json ? undefined : ctx.err(`${id}: ${m}\n`)),
          }),
        );
        if (!result.ok) ctx.exitCode = 1;
        if (opts.json) return printJson(ctx, result);
        ctx.out(renderRestart(result, timeoutMs));
      } finally {
        dispose();
      }
    });
}

function renderRestart(r: RestartResult, timeoutMs: number): string {
  const how = r.method === 'start' ? l10n.t('was not running; started it') : r.method === 'stop-start' ? l10n.t('force-restarted') : l10n.t('restarted');
  const lines = r.warnings.map((w) => l10n.t('warning: {0}', w));
  if (r.ok) {
    lines.push(l10n.t('{0}: gateway {1} ({2}); ready after {3} s.', r.nodeId, how, r.supervisor, (r.readyAfterMs! / 1000).toFixed(1)));
  } else {
    lines.push(l10n.t('{0}: gateway {1} ({2}), but it was NOT ready within {3} s.', r.nodeId, how, r.supervisor, Math.round(timeoutMs / 1000)));
    if (r.failing.length) lines.push(`  ${l10n.t('failing checks: {0}', r.failing.join(', '))}`);
    if (r.lastError) lines.push(`  ${l10n.t('last probe: {0}', r.lastError)}`);
    if (r.logTail?.length) lines.push(`  ${l10n.t('last log lines:')}`, ...r.logTail.map((l) => `    ${l}`));
    lines.push(`  ${l10n.t('Check the gateway on the node (openclaw gateway status), then "ocm restart {0}" again.', r.nodeId)}`);
  }
  return lines.join('\n') + '\n';
}
