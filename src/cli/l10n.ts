import { AsyncLocalStorage } from 'node:async_hooks';
import { OcmError, type OcmErrorKind } from '../core/errors';
import jaBundle from '../../l10n/bundle.l10n.ja.json';

/**
 * The CLI's localization, with the semantics of `vscode.l10n.t`: the English text is the key,
 * `{0}`, `{1}`… are replaced by the arguments, and the Japanese text comes from the extension's own
 * l10n/bundle.l10n.ja.json (bundled into dist/cli.js), so the extension and the CLI share one
 * Japanese source with one set of terms, checked by test/l10n/l10n-coverage.test.ts.
 *
 * The locale comes from the command's environment: OCM_LANG, then LC_ALL, then LC_MESSAGES, then
 * LANG; a value starting with "ja" is Japanese, anything else (C, POSIX, en_US…, unset) English.
 * `--json` output never goes through here: it is a machine interface and stays English.
 */
export type CliLocale = 'en' | 'ja';

const bundles: Record<Exclude<CliLocale, 'en'>, Record<string, string>> = { ja: jaBundle as Record<string, string> };

export function localeFromEnv(env: NodeJS.ProcessEnv): CliLocale {
  // The first variable that is set and non-empty decides, like setlocale(LC_MESSAGES, "").
  const value = [env.OCM_LANG, env.LC_ALL, env.LC_MESSAGES, env.LANG].map((v) => v?.trim()).find((v) => v) ?? '';
  return /^ja(?:[_.@-]|$)/i.test(value) ? 'ja' : 'en';
}

const current = new AsyncLocalStorage<CliLocale>();

/** Runs one command in a locale (main() does this with its context's environment). */
export function withLocale<T>(locale: CliLocale, work: () => T): T {
  return current.run(locale, work);
}

export function currentLocale(): CliLocale {
  return current.getStore() ?? localeFromEnv(process.env);
}

type Arg = string | number | boolean;

function format(template: string, args: Arg[]): string {
  return template.replace(/\{(\d+)\}/g, (whole, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : whole));
}

function translate(locale: CliLocale, message: string): string {
  if (locale === 'en') return message;
  const text = bundles[locale][message];
  return text && text.trim() !== '' ? text : message;
}

/** A message the CLI both shows (localized `text`) and records (English `en`, e.g. in `--json` errors). */
export interface Localized {
  en: string;
  text: string;
}

export const l10n = {
  /** `message` (English, the key) in the current locale, with `{n}` replaced by `args[n]`. */
  t(message: string, ...args: Arg[]): string {
    return format(translate(currentLocale(), message), args);
  },
  /** The same message in English and in the current locale. */
  both(message: string, ...args: Arg[]): Localized {
    return { en: format(message, args), text: format(translate(currentLocale(), message), args) };
  },
};

const localizedText = new WeakMap<OcmError, string>();

/**
 * An OcmError raised by the CLI itself: its message (and so `--json`'s `error.message`) is English,
 * the terminal shows the localized text (see errorText).
 */
/**
 * A fixed English word (a status, a heading) in the CLI's locale: `known` maps each word to its
 * translation call with a literal argument, so the l10n check sees every one. Anything else passes unchanged
 * (versions, error kinds, words a newer core may add).
 */
export function knownWord(word: string, known: Record<string, string>): string {
  return Object.hasOwn(known, word) ? known[word]! : word;
}

export function cliError(kind: OcmErrorKind, message: Localized, details: Record<string, unknown> = {}): OcmError {
  const error = new OcmError(kind, message.en, details);
  localizedText.set(error, message.text);
  return error;
}

/** What the terminal shows for an error: the CLI's localized text, or the message as it came (src/core errors are English). */
export function errorText(error: OcmError): string {
  return localizedText.get(error) ?? error.message;
}
