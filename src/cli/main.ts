import { Command, CommanderError } from 'commander';
import { OcmError, toOcmError } from '../core/errors';
import { registerRegistryCommands } from './commands/registry';
import { registerBackupCommands } from './commands/backup';
import { registerBackupInspectCommands } from './commands/backup-inspect';
import { registerBackupRepoCommands } from './commands/backup-repo';
import { registerTrustCommands } from './commands/trust';
import { registerFilesCommands } from './commands/files';
import { registerAgentsCommands } from './commands/agents';
import { registerStatusCommands } from './commands/status';
import { registerSessionsCommands } from './commands/sessions';
import { registerMigrateCommands } from './commands/migrate';
import { registerRestartCommands } from './commands/restart';
import { registerRestoreCommands } from './commands/restore';
import { registerKeeperCommands } from './commands/keeper';
import { registerDemoCommands } from './commands/demo';
import { registerTimelineCommands } from './commands/timeline';
import { registerGuardCommands } from './commands/guard';
import { registerBulkCommands } from './commands/bulk';
import { registerDeleteCommands } from './commands/deletes';
import { registerTokenCommands } from './commands/token';
import { registerDoctorCommands } from './commands/doctor';
import { EXIT_FAILURE, EXIT_USAGE, type CliContext } from './context';
import { configureHelpL10n } from './help-l10n';
import { runInKeeper } from './keeper/client';
import { runKeeper } from './keeper/server';
import { errorText, l10n, localeFromEnv, withLocale } from './l10n';

/**
 * `ocm`: the command-line twin of the extension. Exit codes: 0 ok, 1 failure, 2 usage.
 * Each verb lives in src/cli/commands/; this file wires them and maps errors to exit codes.
 */
export function main(argv: string[], ctx: CliContext = defaultContext()): Promise<number> {
  // Help, tables and messages follow the command's locale (LC_ALL / LC_MESSAGES / LANG, or OCM_LANG).
  return withLocale(localeFromEnv(ctx.env), () => run(argv, ctx));
}

async function run(argv: string[], ctx: CliContext): Promise<number> {
  const program = new Command('ocm')
    .description(l10n.t('OpenClaw Manager: manage OpenClaw gateways on many machines over SSH'))
    .version(VERSION, '-V, --version', l10n.t('output the version number'))
    .showHelpAfterError(l10n.t('(run "ocm --help" for usage)'))
    .exitOverride();
  configureHelpL10n(program, ctx);

  registerRegistryCommands(program, ctx);
  registerBackupCommands(program, ctx);
  registerBackupInspectCommands(program, ctx);
  registerBackupRepoCommands(program, ctx);
  registerTrustCommands(program, ctx);
  registerFilesCommands(program, ctx);
  registerAgentsCommands(program, ctx);
  registerStatusCommands(program, ctx);
  registerSessionsCommands(program, ctx);
  registerMigrateCommands(program, ctx);
  registerRestartCommands(program, ctx);
  registerRestoreCommands(program, ctx);
  registerKeeperCommands(program, ctx);
  registerDemoCommands(program, ctx);
  registerTimelineCommands(program, ctx);
  registerGuardCommands(program, ctx);
  registerBulkCommands(program, ctx);
  registerDeleteCommands(program, ctx);
  registerTokenCommands(program, ctx);
  registerDoctorCommands(program, ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode ?? 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // `ocm --help` and `--version` succeed; `ocm` alone shows help as a usage error.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      // A bad option value under --json: the error as JSON too (English, like every --json error).
      if (e.code === 'commander.invalidArgument' && argv.includes('--json'))
        ctx.out(
          JSON.stringify({ ok: false, error: { kind: 'invalidInput', message: e.message.replace(/^error: /, ''), details: { usage: true } } }, null, 2) + '\n',
        );
      return EXIT_USAGE;
    }
    const err = toOcmError(e);
    if (ctx.json) ctx.out(JSON.stringify({ ok: false, error: err.toJSON() }, null, 2) + '\n');
    else ctx.err(l10n.t('ocm: {0}', errorText(err)) + '\n');
    return err.kind === 'invalidInput' && err.details.usage ? EXIT_USAGE : EXIT_FAILURE;
  }
}

declare const __OCM_VERSION__: string | undefined;
const VERSION = typeof __OCM_VERSION__ === 'string' ? __OCM_VERSION__ : '0.1.0';

function defaultContext(): CliContext {
  return {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    env: process.env,
    json: false,
  };
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const exit = (code: number): void => {
    // Let piped output drain before exiting.
    process.stdout.write('', () => process.exit(code));
  };
  const started =
    argv[0] === '__keeper'
      ? runKeeper(argv[1]!, Number(argv[2]) * 60_000, main).then(() => undefined)
      : runInKeeper(argv, __filename).then((code) => (code === undefined ? main(argv) : code));
  started.then(
    (code) => {
      if (code !== undefined) exit(code);
    },
    (e: unknown) => {
      process.stderr.write(l10n.t('ocm: {0}', e instanceof OcmError ? errorText(e) : String(e)) + '\n');
      process.exit(EXIT_FAILURE);
    },
  );
}
