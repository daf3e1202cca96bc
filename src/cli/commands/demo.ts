import type { Command } from 'commander';
import { demoLayout, startDemo, stopDemo, type DemoStartResult } from '../../core/demo';
import { printJson, type CliContext } from '../context';
import { withInterrupt } from '../interrupt';
import { l10n } from '../l10n';
import { jsonOption } from '../options';

/**
 * `ocm demo start|stop`: the demo fleet (two OpenClaw nodes on this machine, src/core/demo) for
 * trying every command without a machine of one's own. `npm start` runs these; the extension's
 * "Try a Demo Node…" runs the same builder.
 */

interface DirOption {
  dir?: string;
  toolsDir?: string;
  json?: boolean;
}

function layoutOf(opts: DirOption, ctx: CliContext) {
  return demoLayout({
    ...(opts.dir ? { root: opts.dir } : {}),
    ...(opts.toolsDir ? { toolsDir: opts.toolsDir } : ctx.env.OCM_TOOLS_DIR ? { toolsDir: ctx.env.OCM_TOOLS_DIR } : {}),
  });
}

function printStarted(ctx: CliContext, r: DemoStartResult): void {
  for (const n of r.nodes) {
    ctx.out(
      (n.ready
        ? l10n.t('{0}: gateway ready on 127.0.0.1:{1} (state dir {2})', n.id, n.gatewayPort, n.stateDir)
        : l10n.t('{0}: gateway NOT ready on 127.0.0.1:{1}: {2}', n.id, n.gatewayPort, n.error ?? '?')) + '\n',
    );
  }
  if (r.memoryFile) ctx.out(l10n.t('A demo agent appends to {0} every 45-90 s (to show the conflict dialog).', r.memoryFile) + '\n');
  ctx.out(l10n.t('Use it with: OCM_HOME={0} ocm status', r.ocmHome) + '\n');
  ctx.out(l10n.t('Stop it with: ocm demo stop') + '\n');
}

export function registerDemoCommands(program: Command, ctx: CliContext): void {
  const demo = program
    .command('demo')
    .description(l10n.t('a demo fleet of two OpenClaw nodes on this machine, to try everything without a machine of your own'));
  demo
    .command('start')
    .description(l10n.t('build the demo on first use (installs OpenClaw into the tools cache), start its gateways and the demo agent'))
    .option('--reset', l10n.t('rebuild the demo from scratch'))
    .option('--dir <dir>', l10n.t('demo folder (default: <tools cache>/demo)'))
    .option('--tools-dir <dir>', l10n.t('tools cache (default: $OCM_TOOLS_DIR or ~/.cache/openclaw-manager-tools)'))
    .option('--no-memory-agent', l10n.t('do not start the demo agent that appends to MEMORY.md'))
    .addOption(jsonOption())
    .action(async (opts: DirOption & { reset?: boolean; memoryAgent?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const layout = layoutOf(opts, ctx);
      const r = await withInterrupt((signal) =>
        startDemo({
          layout,
          reset: Boolean(opts.reset),
          memoryAgent: opts.memoryAgent !== false,
          signal,
          onProgress: (m) => {
            if (!ctx.json) ctx.err(m + '\n');
          },
        }),
      );
      if (r.nodes.some((n) => !n.ready)) ctx.exitCode = 1;
      if (opts.json) return printJson(ctx, r);
      printStarted(ctx, r);
    });
  demo
    .command('stop')
    .description(l10n.t('stop the gateways and processes the demo started (by pid)'))
    .option('--dir <dir>', l10n.t('demo folder (default: <tools cache>/demo)'))
    .option('--tools-dir <dir>', l10n.t('tools cache (default: $OCM_TOOLS_DIR or ~/.cache/openclaw-manager-tools)'))
    .addOption(jsonOption())
    .action(async (opts: DirOption) => {
      ctx.json = Boolean(opts.json);
      const r = await stopDemo(layoutOf(opts, ctx));
      if (opts.json) return printJson(ctx, r);
      const stopped = [...r.stopped, ...r.killed];
      ctx.out(l10n.t('Stopped {0} demo process(es).', stopped.length) + '\n');
    });
}
