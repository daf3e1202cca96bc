import { InvalidArgumentError, Option } from 'commander';
import { l10n } from './l10n';

/**
 * Options every verb shares, declared once: `--json` and `--accept-new` with one help text each,
 * and numeric values parsed by commander's argParser, so a bad value is a usage error (exit 2,
 * commander's "option ... argument ... is invalid" with our reason) before the verb runs.
 */

/** `--json`: one help text everywhere (the shapes are in the README). */
export function jsonOption(): Option {
  return new Option('--json', l10n.t('print the result as JSON'));
}

/** `--accept-new`: trust on first use, never a changed key. */
export function acceptNewOption(): Option {
  return new Option('--accept-new', l10n.t('trust an unknown SSH host key on first contact (default: refuse; see "ocm trust")'));
}

/*
 * The reasons are English in the error (commander's message, also the `--json` error) and
 * localized when printed (help-l10n.ts calls localizedReason on commander's error line).
 */
const REASONS = {
  atLeastInt: 'Give a whole number of at least {0}.',
  intRange: 'Give a whole number from {0} to {1}.',
  atLeast: 'Give a number of at least {0}.',
  range: 'Give a number from {0} to {1}.',
  above0: 'Give a number above 0.',
  above0AtMost: 'Give a number above 0 and at most {0}.',
  seconds: 'Give a positive number of seconds.',
};

function fill(template: string, args: Array<string | number>): string {
  return template.replace(/\{(\d+)\}/g, (_w, i: string) => String(args[Number(i)]));
}

/** One of our argParser reasons in the current locale (anything else unchanged). */
export function localizedReason(reason: string): string {
  let m: RegExpExecArray | null;
  if ((m = /^Give a whole number of at least (-?\d+)\.$/.exec(reason))) return l10n.t('Give a whole number of at least {0}.', m[1]!);
  if ((m = /^Give a whole number from (-?\d+) to (-?\d+)\.$/.exec(reason))) return l10n.t('Give a whole number from {0} to {1}.', m[1]!, m[2]!);
  if ((m = /^Give a number of at least (-?[\d.]+)\.$/.exec(reason))) return l10n.t('Give a number of at least {0}.', m[1]!);
  if ((m = /^Give a number from (-?[\d.]+) to (-?[\d.]+)\.$/.exec(reason))) return l10n.t('Give a number from {0} to {1}.', m[1]!, m[2]!);
  if (reason === REASONS.above0) return l10n.t('Give a number above 0.');
  if ((m = /^Give a number above 0 and at most ([\d.]+)\.$/.exec(reason))) return l10n.t('Give a number above 0 and at most {0}.', m[1]!);
  if (reason === REASONS.seconds) return l10n.t('Give a positive number of seconds.');
  return reason;
}

/** A whole number `min` or more (counts, ports, limits). */
export function intArg(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? fill(REASONS.atLeastInt, [min]) : fill(REASONS.intRange, [min, max]));
    }
    return n;
  };
}

/** A number of at least `min` (and at most `max`: days, MiB, percents), fractions allowed. */
export function numberArg(min: number, max = Number.POSITIVE_INFINITY): (value: string) => number {
  return (value) => {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(max === Number.POSITIVE_INFINITY ? fill(REASONS.atLeast, [min]) : fill(REASONS.range, [min, max]));
    return n;
  };
}

/** A number above 0 (and at most `max`): sizes in MiB, days. */
export function positiveArg(max = Number.POSITIVE_INFINITY): (value: string) => number {
  return (value) => {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max)
      throw new InvalidArgumentError(max === Number.POSITIVE_INFINITY ? REASONS.above0 : fill(REASONS.above0AtMost, [max]));
    return n;
  };
}

/** Seconds (> 0) as milliseconds. */
export function secondsArg(value: string): number {
  const s = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(s) || s <= 0) throw new InvalidArgumentError(REASONS.seconds);
  return Math.round(s * 1000);
}

/** `--timeout <seconds>` parsed to milliseconds. */
export function timeoutOption(help: string): Option {
  return new Option('--timeout <seconds>', help).argParser(secondsArg);
}
