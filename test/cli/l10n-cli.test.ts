import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { commanderMessage } from '../../src/cli/help-l10n';
import { l10n, localeFromEnv, withLocale } from '../../src/cli/l10n';
import { runCli, tempOcmHome } from '../support/cli';

const JA = { LANG: 'ja_JP.UTF-8' };
const C = { LANG: 'C' };

describe('ocm in Japanese and English (issue 8)', () => {
  it('takes the locale from OCM_LANG, LC_ALL, LC_MESSAGES, then LANG', () => {
    assert.equal(localeFromEnv({ LANG: 'ja_JP.UTF-8' }), 'ja');
    assert.equal(localeFromEnv({ LANG: 'ja' }), 'ja');
    assert.equal(localeFromEnv({ LANG: 'C' }), 'en');
    assert.equal(localeFromEnv({ LANG: 'POSIX' }), 'en');
    assert.equal(localeFromEnv({ LANG: 'en_US.UTF-8' }), 'en');
    assert.equal(localeFromEnv({}), 'en');
    assert.equal(localeFromEnv({ LANG: 'jav_ID' }), 'en', 'only "ja" itself, not a language starting with "ja"');
    assert.equal(localeFromEnv({ LC_ALL: 'C', LANG: 'ja_JP.UTF-8' }), 'en');
    assert.equal(localeFromEnv({ LC_ALL: '', LC_MESSAGES: 'ja_JP.UTF-8', LANG: 'C' }), 'ja', 'an empty variable does not count');
    assert.equal(localeFromEnv({ LC_MESSAGES: 'C', LANG: 'ja_JP.UTF-8' }), 'en');
    assert.equal(localeFromEnv({ OCM_LANG: 'ja', LC_ALL: 'C' }), 'ja');
    assert.equal(localeFromEnv({ OCM_LANG: 'en', LC_ALL: 'ja_JP.UTF-8' }), 'en');
  });

  it('t() has the semantics of vscode.l10n.t: English key, {n} placeholders, English when untranslated', () => {
    withLocale('ja', () => {
      assert.equal(l10n.t('Added node {0} ({1}).', 'gw1', 'claw@gw1'), 'ノード gw1（claw@gw1）を追加しました。');
      assert.equal(l10n.t('no such key {0} {1}', 'a'), 'no such key a {1}');
      assert.deepEqual(l10n.both('Retired node {0}.', 'n1'), { en: 'Retired node n1.', text: 'ノード n1 を退役にしました。' });
    });
    withLocale('en', () => assert.equal(l10n.t('Added node {0} ({1}).', 'gw1', 'claw@gw1'), 'Added node gw1 (claw@gw1).'));
  });

  it('--help is Japanese under LANG=ja_JP.UTF-8 and English under LANG=C', async () => {
    const env = { OCM_HOME: await tempOcmHome() };
    const ja = await runCli(['--help'], { ...env, ...JA });
    assert.equal(ja.code, 0);
    assert.match(ja.stdout, /^使い方: ocm /);
    assert.match(ja.stdout, /コマンド:/);
    assert.match(ja.stdout, /list \[options\]\s+登録済みのノードを一覧表示/);
    assert.match(ja.stdout, /コマンドのヘルプを表示/);
    assert.doesNotMatch(ja.stdout, /list registered nodes|Usage:|Options:/);

    const en = await runCli(['--help'], { ...env, ...C });
    assert.equal(en.code, 0);
    assert.match(en.stdout, /^Usage: ocm /);
    assert.match(en.stdout, /list \[options\]\s+list registered nodes/);
    assert.match(en.stdout, /display help for command/);
    assert.doesNotMatch(en.stdout, /[\u3040-\u30ff\u4e00-\u9fff]/, 'no Japanese in the English help');

    const sub = await runCli(['prune', '--help'], { ...env, ...JA });
    assert.match(sub.stdout, /各ノードの最新 N 個のバックアップ/);
  });

  it('ocm list: empty registry, table headers and status words follow the locale', async () => {
    const env = { OCM_HOME: await tempOcmHome() };
    assert.equal((await runCli(['list'], { ...env, ...JA })).stdout, 'ノードはまだありません。追加するには：ocm add <id> <[user@]host[:port]>\n');
    assert.equal((await runCli(['list'], { ...env, ...C })).stdout, 'No nodes yet. Add one with: ocm add <id> <[user@]host[:port]>\n');

    const added = await runCli(['add', 'gw1', 'claw@gw1.example:2222', '--label', 'prod'], { ...env, ...JA });
    assert.equal(added.stdout, 'ノード gw1（claw@gw1.example:2222）を追加しました。\n');
    await runCli(['add', 'gw2', 'gw2'], env);
    await runCli(['retire', 'gw2'], env);
    const ja = await runCli(['list'], { ...env, ...JA });
    assert.match(ja.stdout, /^ID\s+接続先\s+状態ディレクトリ\s+状態\s+ラベル\n/);
    assert.match(ja.stdout, /gw1\s+claw@gw1\.example:2222\s+-\s+稼働中\s+prod/);
    assert.match(ja.stdout, /gw2\s+gw2\s+-\s+退役\s+-/);
    const en = await runCli(['list'], { ...env, ...C });
    assert.match(en.stdout, /^ID\s+TARGET\s+STATE DIR\s+STATUS\s+LABELS\n/);
    assert.match(en.stdout, /gw2\s+gw2\s+-\s+retired\s+-/);
  });

  it('--json output is byte-for-byte the same in both languages, errors included', async () => {
    const env = { OCM_HOME: await tempOcmHome() };
    await runCli(['add', 'gw1', 'claw@gw1.example:2222', '--state-dir', '/srv/claw'], env);
    for (const args of [
      ['list', '--json'],
      ['backups', '--json'],
      ['retire', 'nope', '--json'],
      ['status', 'gw1', '--all', '--json'],
      ['prune', '--keep', 'x', '--json'],
    ]) {
      const ja = await runCli(args, { ...env, ...JA });
      const en = await runCli(args, { ...env, ...C });
      assert.ok(ja.stdout.length > 0, args.join(' '));
      assert.equal(ja.stdout, en.stdout, `ocm ${args.join(' ')}`);
      assert.equal(ja.code, en.code);
      assert.doesNotMatch(ja.stdout, /[\u3040-\u30ff\u4e00-\u9fff]/, `ocm ${args.join(' ')} --json has no Japanese`);
    }
    const error = await runCli(['status', 'gw1', '--all', '--json'], { ...env, ...JA });
    assert.equal(error.json().error.message, 'Give node ids or --all, not both.');
  });

  it("the CLI's own errors and commander's usage errors are localized on the terminal", async () => {
    const env = { OCM_HOME: await tempOcmHome() };
    const both = await runCli(['status', 'a', '--all'], { ...env, ...JA });
    assert.equal(both.code, 2);
    assert.equal(both.stderr, 'ocm: エラー：ノード ID と --all はどちらか一方だけを指定してください。\n');
    assert.equal((await runCli(['status', 'a', '--all'], { ...env, ...C })).stderr, 'ocm: Give node ids or --all, not both.\n');

    const missing = await runCli(['add', 'only-id'], { ...env, ...JA });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^エラー：必須の引数 'target' がありません\n（使い方は "ocm --help" で表示できます）\n$/);
    const unknown = await runCli(['lis'], { ...env, ...JA });
    assert.match(unknown.stderr, /エラー：不明なコマンドです：'lis'\n（list のことですか？）/);
    assert.match((await runCli(['lis'], { ...env, ...C })).stderr, /error: unknown command 'lis'\n\(Did you mean list\?\)/);

    // Messages from src/core stay English, behind the localized prefix.
    const notFound = await runCli(['retire', 'nope'], { ...env, ...JA });
    assert.match(notFound.stderr, /^ocm: エラー：.*No node "nope"/);
  });

  it('commander messages it does not know pass through unchanged', () => {
    withLocale('ja', () => assert.equal(commanderMessage("error: something new 'x'\n"), "error: something new 'x'\n"));
    withLocale('en', () => assert.equal(commanderMessage("error: unknown command 'x'\n"), "error: unknown command 'x'\n"));
  });

  it('the built dist/cli.js carries the Japanese bundle', async (t) => {
    const root = join(__dirname, '..', '..');
    const cli = join(root, 'dist', 'cli.js');
    if (!existsSync(cli) || statSync(cli).mtimeMs < statSync(join(root, 'l10n', 'bundle.l10n.ja.json')).mtimeMs) {
      t.skip('dist/cli.js is missing or older than the bundle: run npm run build');
      return;
    }
    const run = (env: NodeJS.ProcessEnv) => promisify(execFile)(process.execPath, [cli, '--help'], { env: { PATH: process.env.PATH, ...env } });
    assert.match((await run({ LANG: 'ja_JP.UTF-8' })).stdout, /^使い方: ocm /);
    assert.match((await run({ LANG: 'C' })).stdout, /^Usage: ocm /);
  });
});
