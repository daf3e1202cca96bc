import { createInterface } from 'node:readline/promises';
import { currentLocale } from './l10n';

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
