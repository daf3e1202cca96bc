import { Help, type Command, type Option } from 'commander';
import type { CliContext } from './context';
import { currentLocale, knownWord, l10n } from './l10n';
import { localizedReason } from './options';
import { displayWidth } from './table';

/**
 * Commander's own words in the CLI's locale: help headings, the help/version option texts,
 * "(default: …)" and its usage errors ("error: unknown command …"). Set on the program before the
 * verbs are added: subcommands inherit it.
 */
export function configureHelpL10n(program: Command, ctx: CliContext): void {
  program
    .helpOption('-h, --help', l10n.t('display help for command'))
    .helpCommand('help [command]', l10n.t('display help for command'))
    .configureOutput({ writeOut: (s) => ctx.out(s), writeErr: (s) => ctx.err(s), outputError: (s, write) => write(commanderMessage(s)) })
    .configureHelp({
      styleTitle: (title: string) => helpTitle(title),
      optionDescription(option: Option): string {
        return withDefaultLabel(Help.prototype.optionDescription.call(this, option));
      },
      // Japanese characters take two columns; lines wrap between them (there are few spaces).
      displayWidth: (text: string) => displayWidth(text.replace(/\x1b\[\d*(;\d*)*m/g, '')),
      boxWrap(text: string, width: number): string {
        return currentLocale() === 'en' ? Help.prototype.boxWrap.call(this, text, width) : wrapWide(text, width);
      },
    });
}

function helpTitle(title: string): string {
  return knownWord(title, {
    'Usage:': l10n.t('Usage:'),
    'Arguments:': l10n.t('Arguments:'),
    'Options:': l10n.t('Options:'),
    'Global Options:': l10n.t('Global Options:'),
    'Commands:': l10n.t('Commands:'),
  });
}

function withDefaultLabel(description: string): string {
  // Japanese puts its full-width parenthesis right after the text.
  return currentLocale() === 'en' ? description : description.replace(/ ?\(default: (.*)\)$/, (_, value: string) => l10n.t('(default: {0})', value));
}

/** Commander's usage errors, which it words itself, in the current locale (anything else unchanged). */
export function commanderMessage(text: string): string {
  if (currentLocale() === 'en') return text;
  const [first = '', ...rest] = text.split('\n');
  const line = localizeErrorLine(first);
  const suggestion = rest.map((l) => {
    const one = /^\(Did you mean (.+)\?\)$/.exec(l);
    if (!one) return l;
    const many = /^one of (.+)$/.exec(one[1]!);
    return many ? l10n.t('(Did you mean one of {0}?)', many[1]!) : l10n.t('(Did you mean {0}?)', one[1]!);
  });
  return [line, ...suggestion].join('\n');
}

function localizeErrorLine(line: string): string {
  let m: RegExpExecArray | null;
  if ((m = /^error: unknown command '(.*)'$/.exec(line))) return l10n.t("error: unknown command '{0}'", m[1]!);
  if ((m = /^error: unknown option '(.*)'$/.exec(line))) return l10n.t("error: unknown option '{0}'", m[1]!);
  if ((m = /^error: missing required argument '(.*)'$/.exec(line))) return l10n.t("error: missing required argument '{0}'", m[1]!);
  if ((m = /^error: option '(.*)' argument missing$/.exec(line))) return l10n.t("error: option '{0}' argument missing", m[1]!);
  if ((m = /^error: option '(.*)' argument '(.*)' is invalid\. (.*)$/.exec(line)))
    return l10n.t("error: option '{0}' argument '{1}' is invalid. {2}", m[1]!, m[2]!, localizedReason(m[3]!));
  if ((m = /^error: required option '(.*)' not specified$/.exec(line))) return l10n.t("error: required option '{0}' not specified", m[1]!);
  if ((m = /^error: too many arguments(?: for '(.*)')?\. Expected (\d+) arguments? but got (\d+)\.$/.exec(line))) {
    return m[1]
      ? l10n.t("error: too many arguments for '{0}'. Expected {1} argument(s) but got {2}.", m[1], m[2]!, m[3]!)
      : l10n.t('error: too many arguments. Expected {0} argument(s) but got {1}.', m[2]!, m[3]!);
  }
  return line;
}

/** Word wrap that may also break between wide (CJK) characters, never before closing punctuation. */
function wrapWide(text: string, width: number): string {
  if (width < 40) return text;
  const chunkPattern =
    /\s*(?:[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef][、。，．）」』：！？ーッャュョァィゥェォっゃゅょ]*|[^\s\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+)/g;
  return text
    .split(/\r\n|\n/)
    .map((line) => {
      const chunks = line.match(chunkPattern);
      if (!chunks) return '';
      const out: string[] = [];
      let current = chunks.shift()!;
      for (const chunk of chunks) {
        if (displayWidth(current) + displayWidth(chunk) <= width) current += chunk;
        else {
          out.push(current);
          current = chunk.trimStart();
        }
      }
      out.push(current);
      return out.join('\n');
    })
    .join('\n');
}
