import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

/**
 * Every UI string exists in English and Japanese: runtime strings (`l10n.t('...')`) must have a
 * Japanese entry in l10n/bundle.l10n.ja.json, and every `%key%` in package.json must be in both
 * package.nls.json and package.nls.ja.json. A new string without its translation fails the build.
 */
const root = join(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** First arguments of l10n.t(...) calls, as written (single, double or back quotes without ${}). */
export function runtimeStrings(source: string): { strings: string[]; nonLiteral: number } {
  const strings: string[] = [];
  let nonLiteral = 0;
  const call = /\bl10n\.t\(\s*/g;
  let m: RegExpExecArray | null;
  while ((m = call.exec(source))) {
    const rest = source.slice(m.index + m[0].length);
    const lit = /^(['"`])((?:\\.|(?!\1)[^\\])*)\1/.exec(rest);
    if (!lit || (lit[1] === '`' && lit[2]!.includes('${'))) {
      nonLiteral += 1;
      continue;
    }
    strings.push(unescape(lit[2]!));
  }
  return { strings, nonLiteral };
}

function unescape(s: string): string {
  return s.replace(/\\(['"`\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

describe('l10n coverage', () => {
  it('every runtime UI string has a Japanese translation, and every call uses a literal', () => {
    const bundle = JSON.parse(readFileSync(join(root, 'l10n', 'bundle.l10n.ja.json'), 'utf8')) as Record<string, string>;
    const missing = new Set<string>();
    const nonLiteral: string[] = [];
    for (const file of sourceFiles(join(root, 'src'))) {
      const { strings, nonLiteral: n } = runtimeStrings(readFileSync(file, 'utf8'));
      if (n) nonLiteral.push(`${file.slice(root.length + 1)} (${n})`);
      for (const s of strings) if (!(s in bundle) || bundle[s]!.trim() === '') missing.add(s);
    }
    assert.deepEqual(nonLiteral, [], 'l10n.t must be called with a string literal so it can be translated');
    assert.deepEqual([...missing].sort(), [], 'strings missing from l10n/bundle.l10n.ja.json');
  });

  it('every %key% of package.json is in package.nls.json and package.nls.ja.json', () => {
    const manifest = readFileSync(join(root, 'package.json'), 'utf8');
    const keys = new Set([...manifest.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]!));
    for (const file of ['package.nls.json', 'package.nls.ja.json']) {
      const nls = JSON.parse(readFileSync(join(root, file), 'utf8')) as Record<string, string>;
      const missing = [...keys].filter((k) => !(k in nls) || nls[k]!.trim() === '').sort();
      assert.deepEqual(missing, [], `keys missing from ${file}`);
    }
  });

  it('every command has a title in both languages', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { contributes: { commands: { command: string; title: string }[] } };
    for (const file of ['package.nls.json', 'package.nls.ja.json']) {
      const nls = JSON.parse(readFileSync(join(root, file), 'utf8')) as Record<string, string>;
      const untitled = manifest.contributes.commands
        .filter((c) => !/^%.+%$/.test(c.title) || !nls[c.title.slice(1, -1)])
        .map((c) => c.command);
      assert.deepEqual(untitled, [], `commands without a title in ${file}`);
    }
  });

  it('finds literal strings and flags non-literal calls', () => {
    const found = runtimeStrings(`vscode.l10n.t('a {0}', x); l10n.t("b"); vscode.l10n.t(\`c\`); vscode.l10n.t(name); vscode.l10n.t(\`d \${x}\`); l10n.t('it\\'s')`);
    assert.deepEqual(found, { strings: ['a {0}', 'b', 'c', "it's"], nonLiteral: 2 });
  });
});
