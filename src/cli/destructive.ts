import { canConfirmOnTerminal, confirmOnTerminal } from './confirm';
import type { CliContext } from './context';
import { cliError, type Localized } from './l10n';

/**
 * The destructive-verb convention in one place: --dry-run shows, --yes applies, a terminal asks,
 * and without a terminal (or with --json) and without --yes the verb exits 2 with the hint.
 * Tests answer the question through `ctx.confirm`.
 */
export type Decision = 'show' | 'apply' | 'declined';

export async function decideDestructive(ctx: CliContext & { confirm?: (question: string) => Promise<boolean> }, opts: { yes?: boolean; dryRun?: boolean; json?: boolean }, question: string, hint: Localized): Promise<Decision> {
  if (opts.dryRun) return 'show';
  if (opts.yes) return 'apply';
  const ask = ctx.confirm ?? (canConfirmOnTerminal() && !opts.json ? confirmOnTerminal : undefined);
  if (!ask || opts.json) throw cliError('invalidInput', hint, { usage: true });
  return (await ask(question)) ? 'apply' : 'declined';
}
