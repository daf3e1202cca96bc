import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command, type Option } from 'commander';
import { acceptNewOption, intArg, jsonOption, numberArg, positiveArg, secondsArg } from '../../src/cli/options';
import type { CliContext } from '../../src/cli/context';

/**
 * Options every verb shares are declared once (src/cli/options.ts, issue 14 CLI conventions):
 * every verb's `--json` and `--accept-new` carry the one help text, and no numeric option is left
 * without commander's argParser (a bad value is exit 2 before the verb runs). Every
 * `register*Commands` of src/cli/commands is registered here, so a new verb is checked too.
 */

const COMMANDS = join(__dirname, '..', '..', 'src', 'cli', 'commands');

async function everyVerb(): Promise<Command> {
  const program = new Command('ocm');
  const ctx: CliContext = { out: () => undefined, err: () => undefined, env: {}, json: false };
  for (const file of readdirSync(COMMANDS).filter((f) => f.endsWith('.ts'))) {
    const mod = (await import(join(COMMANDS, file))) as Record<string, unknown>;
    for (const [name, fn] of Object.entries(mod))
      if (/^register\w*Commands$/.test(name) && typeof fn === 'function') (fn as (p: Command, c: CliContext) => void)(program, ctx);
  }
  return program;
}

function* optionsOf(cmd: Command, path: string[] = []): Generator<{ verb: string; option: Option }> {
  for (const option of cmd.options as Option[]) yield { verb: path.join(' '), option };
  for (const sub of cmd.commands) yield* optionsOf(sub, [...path, sub.name()]);
}

/** Options that take a number (by their value name); each must be parsed by an argParser. */
const NUMERIC = /<(n|seconds|days|hours|pct|MiB|port|minutes|count)>/;

describe('shared CLI options', () => {
  it('every --json and --accept-new has the one help text; every numeric option has an argParser', async () => {
    const program = await everyVerb();
    const all = [...optionsOf(program)];
    assert.ok(all.filter((o) => o.option.long === '--json').length > 20, 'the verbs were registered');
    const wrong: string[] = [];
    for (const { verb, option } of all) {
      if (option.long === '--json' && option.description !== jsonOption().description) wrong.push(`${verb} --json: "${option.description}"`);
      if (option.long === '--accept-new' && option.description !== acceptNewOption().description) wrong.push(`${verb} --accept-new: "${option.description}"`);
      if (NUMERIC.test(option.flags) && !(option as Option & { parseArg?: unknown }).parseArg) wrong.push(`${verb} ${option.flags}: no argParser`);
    }
    assert.deepEqual(wrong, []);
  });

  it('the parsers: whole numbers, ranges, above 0, seconds', () => {
    assert.equal(intArg(1)('3'), 3);
    assert.throws(() => intArg(1, 64)('2.5'), /Give a whole number from 1 to 64\./);
    assert.equal(numberArg(1, 100)('87.5'), 87.5);
    assert.throws(() => numberArg(1, 100)('150'), /Give a number from 1 to 100\./);
    assert.throws(() => numberArg(0)(''), /Give a number of at least 0\./);
    assert.equal(positiveArg()('0.1'), 0.1);
    assert.throws(() => positiveArg()('0'), /Give a number above 0\./);
    assert.throws(() => positiveArg(4096)('5000'), /Give a number above 0 and at most 4096\./);
    assert.equal(secondsArg('1.5'), 1500);
    assert.throws(() => secondsArg('soon'), /Give a positive number of seconds\./);
  });
});
