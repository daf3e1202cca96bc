import { createInterface } from 'node:readline/promises';
import type { CliContext } from './context';
import { cliError, currentLocale, type Localized } from './l10n';

/**
 * A yes/no question on the terminal (stdin, question on stderr so --json-free stdout stays
 * clean). Only "y"/"yes" (in Japanese also はい and ｙ) mean yes; anything else, or Ctrl-D, is no.
 */
export async function confirmOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(question)).trim();
    return /^y(es)?$/i.test(answer) || (currentLocale() === 'ja' && /^(はい|ｙ)$/i.test(answer));
  } catch {
    return false;
  } finally {
    rl.close();
  }
}

/** Whether the user can be asked on this process's terminal. */
export function canConfirmOnTerminal(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

/** What a destructive verb does now: only show, apply, or nothing (the user said no). */
export type DestructiveDecision = 'show' | 'apply' | 'declined';

/**
 * The destructive-verb convention in one place (every destructive verb: restore, migrate, prune,
 * history prune/restore, sessions, timeline --restore, token rotate, apply, rm, mv, agents remove):
 * `--dry-run` shows, `--yes` applies, a terminal is asked, and without a terminal (or with --json)
 * and without `--yes` the verb exits 2 with `hint`. Tests answer through `ctx.confirm`.
 */
export async function decideDestructive(
  ctx: CliContext & { confirm?: (question: string) => Promise<boolean> },
  opts: { yes?: boolean; dryRun?: boolean; json?: boolean },
  question: string,
  hint: Localized,
): Promise<DestructiveDecision> {
  if (opts.dryRun) return 'show';
  if (opts.yes) return 'apply';
  const ask = asker(ctx, opts);
  if (!ask) throw cliError('invalidInput', hint, { usage: true });
  return (await ask(question)) ? 'apply' : 'declined';
}

type Asker = (question: string) => Promise<boolean>;

function asker(ctx: CliContext & { confirm?: Asker }, opts: { json?: boolean }): Asker | undefined {
  return opts.json ? undefined : (ctx.confirm ?? (canConfirmOnTerminal() ? confirmOnTerminal : undefined));
}

/** Whether decideDestructive (without --dry-run or --yes) would ask rather than exit 2: a verb shows its plan first then. */
export function willAsk(ctx: CliContext & { confirm?: Asker }, opts: { json?: boolean }): boolean {
  return asker(ctx, opts) !== undefined;
}
