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

/** A whole number `min` or more (counts, ports, limits). */
export function intArg(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? l10n.t('Give a whole number of at least {0}.', min) : l10n.t('Give a whole number from {0} to {1}.', min, max));
    }
    return n;
  };
}

/** A number of at least `min` (days, MiB), fractions allowed. */
export function numberArg(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(n) || n < min) throw new InvalidArgumentError(l10n.t('Give a number of at least {0}.', min));
    return n;
  };
}

/** Seconds (> 0) as milliseconds. */
export function secondsArg(value: string): number {
  const s = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(s) || s <= 0) throw new InvalidArgumentError(l10n.t('Give a positive number of seconds.'));
  return Math.round(s * 1000);
}

/** `--timeout <seconds>` parsed to milliseconds. */
export function timeoutOption(help: string): Option {
  return new Option('--timeout <seconds>', help).argParser(secondsArg);
}
