import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

/**
 * Every UI string exists in English and Japanese: runtime strings (`l10n.t('...')`, in the
 * extension through vscode.l10n and in the CLI through src/cli/l10n.ts, which also has
 * `l10n.both('...')`) must have a Japanese entry in l10n/bundle.l10n.ja.json, and every `%key%` in
 * package.json must be in both package.nls.json and package.nls.ja.json. A new string without its
 * translation fails the build.
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

/** First arguments of l10n.t(...) / l10n.both(...) calls, as written (single, double or back quotes without ${}). */
export function runtimeStrings(source: string): { strings: string[]; nonLiteral: number } {
  const strings: string[] = [];
  let nonLiteral = 0;
  const call = /\bl10n\.(?:t|both)\(\s*/g;
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

/** Two English words in a row, or a label ("Plan: "), outside `${...}`: text a person reads. */
function hasWords(literal: string): boolean {
  return /[A-Za-z]{2,}[ ,:;'-]+[A-Za-z]{2,}|[A-Za-z]{3,}:(?:\s|$)/.test(literal.replace(/\$\{[^}]*\}/g, ' '));
}

/**
 * Literal English text in CLI sources that does not go through l10n: commander descriptions and
 * help texts, lines written with ctx.out/ctx.err or pushed into output lines, and OcmErrors the
 * CLI raises itself (those use cliError(kind, l10n.both(...))). A heuristic for the usual shapes.
 */
export function untranslatedCliText(source: string): string[] {
  const lit = String.raw`(?:'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|\`(?:\\.|[^\`\\])*\`)`;
  const patterns = [
    new RegExp(String.raw`\.(?:description|summary)\(\s*(${lit})`, 'g'),
    new RegExp(String.raw`\.(?:option|requiredOption|argument)\(\s*${lit}\s*,\s*(${lit})`, 'g'),
    new RegExp(String.raw`\.addHelpText\(\s*${lit}\s*,\s*(${lit})`, 'g'),
    new RegExp(String.raw`\b(?:ctx\.out|ctx\.err|lines\.push|process\.stderr\.write)\(\s*(${lit})`, 'g'),
    new RegExp(String.raw`new OcmError\(\s*${lit}\s*,\s*(${lit})`, 'g'),
  ];
  const found: string[] = [];
  for (const pattern of patterns) {
    for (const m of source.matchAll(pattern)) if (hasWords(m[1]!.slice(1, -1))) found.push(m[1]!);
  }
  return found;
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
      const untitled = manifest.contributes.commands.filter((c) => !/^%.+%$/.test(c.title) || !nls[c.title.slice(1, -1)]).map((c) => c.command);
      assert.deepEqual(untitled, [], `commands without a title in ${file}`);
    }
  });

  it('the CLI shows no English text that bypasses l10n (help texts, output lines, its own errors)', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(join(root, 'src', 'cli'))) {
      const rel = file.slice(root.length + 1);
      for (const found of untranslatedCliText(readFileSync(file, 'utf8'))) offenders.push(`${rel}: ${found}`);
    }
    assert.deepEqual(offenders, [], 'wrap these in l10n.t(...) (or l10n.both(...) with cliError for errors) and add the Japanese to l10n/bundle.l10n.ja.json');
    // The CLI really goes through the shared bundle (a rename of its t() would silently skip the check above).
    const cliStrings = sourceFiles(join(root, 'src', 'cli')).flatMap((f) => runtimeStrings(readFileSync(f, 'utf8')).strings);
    assert.ok(cliStrings.length > 200, `only ${cliStrings.length} l10n strings found in src/cli`);
  });

  it('flags untranslated CLI text', () => {
    const src = [
      `.description('list registered nodes')`,
      `.option('--json', 'print JSON')`,
      `.argument('<id>', 'node id')`,
      `ctx.out(\`Added node \${id}.\\n\`)`,
      `ctx.err('warning: disk full\\n')`,
      `throw new OcmError('invalidInput', \`Give node ids or --all\`)`,
      `lines.push(\`Plan: \${x}\`)`,
      // fine: translated, data only, or no words
      `.description(l10n.t('list registered nodes'))`,
      `.option('--engine <engine>', 'auto | openclaw | ocm', 'auto')`,
      `ctx.err(\`\${nodeId}: \${p.description}\\n\`)`,
      `lines.push(\`  \${tag}  \${f.path}\`)`,
    ].join('\n');
    assert.equal(untranslatedCliText(src).length, 7);
  });

  it('finds literal strings and flags non-literal calls', () => {
    const found = runtimeStrings(
      `vscode.l10n.t('a {0}', x); l10n.t("b"); vscode.l10n.t(\`c\`); vscode.l10n.t(name); vscode.l10n.t(\`d \${x}\`); l10n.t('it\\'s')`,
    );
    assert.deepEqual(found, { strings: ['a {0}', 'b', 'c', "it's"], nonLiteral: 2 });
  });
});
