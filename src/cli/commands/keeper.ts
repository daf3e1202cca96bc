import type { Command } from 'commander';
import { askKeeper } from '../keeper/client';
import { keeperSocketPath, keepMinutes } from '../keeper/protocol';
import { printJson, type CliContext } from '../context';
import { l10n } from '../l10n';
import { jsonOption } from '../options';

/**
 * `ocm keeper [status|stop]`: whether the connection keeper (keeper/protocol.ts) of this ocm home
 * runs, which nodes it holds connections to, and stopping it (its connections close at once).
 */
export function registerKeeperCommands(program: Command, ctx: CliContext): void {
  const keeper = program
    .command('keeper')
    .description(l10n.t('the background ocm that keeps SSH connections between commands (OCM_KEEP_CONNECTIONS minutes, 0 = off)'));
  keeper
    .command('status', { isDefault: true })
    .description(l10n.t('show whether it runs and which nodes it is connected to'))
    .addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const info = await askThisKeeper(ctx, 'info');
      const running = info !== undefined && !('stopped' in info);
      if (opts.json) return printJson(ctx, running ? { running: true, ...info } : { running: false, keepMinutes: keepMinutes(ctx.env) });
      if (!running) {
        ctx.out(
          (keepMinutes(ctx.env) > 0
            ? l10n.t('No connection keeper is running for this ocm home; "ocm status" starts one.')
            : l10n.t('The connection keeper is off (OCM_KEEP_CONNECTIONS=0).')) + '\n',
        );
        return;
      }
      ctx.out(
        l10n.t('Connection keeper running (pid {0}, since {1}); it leaves {2} minutes after its last command.', info.pid, info.startedAt, info.keepMinutes) +
          '\n',
      );
      ctx.out(l10n.t('Open connections: {0}', info.connections.length ? info.connections.join(', ') : '-') + '\n');
    });
  keeper
    .command('stop')
    .description(l10n.t('stop it now (its SSH connections close)'))
    .addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const stopped = (await askThisKeeper(ctx, 'stop')) !== undefined;
      if (opts.json) return printJson(ctx, { ok: true, stopped });
      ctx.out((stopped ? l10n.t('Connection keeper stopped.') : l10n.t('No connection keeper was running.')) + '\n');
    });
}

/** The keeper of this ocm home and of the running `ocm` script (the socket name depends on its build); undefined when none runs. */
function askThisKeeper(ctx: CliContext, what: 'info' | 'stop'): ReturnType<typeof askKeeper> {
  const socketPath = keeperSocketPath(ctx.env, process.argv[1] ?? __filename);
  return socketPath ? askKeeper(socketPath, what) : Promise.resolve(undefined);
}
