import { strict as assert } from 'node:assert';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import type { CliContext } from '../../src/cli/context';
import { runCli, tempOcmHome } from '../support/cli';
import { twoLocalNodes } from '../support/local-nodes';

async function runWithAnswer(args: string[], env: NodeJS.ProcessEnv, answer: boolean): Promise<{ code: number; stdout: string; asked: string[] }> {
  let stdout = '';
  const asked: string[] = [];
  const ctx: CliContext & { confirm: (q: string) => Promise<boolean> } = {
    out: (s) => (stdout += s),
    err: () => undefined,
    env,
    json: false,
    confirm: async (q) => (asked.push(q), answer),
  };
  const code = await main(args, ctx);
  return { code, stdout, asked };
}

describe('ocm apply (two local nodes)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let ws: (n: string, a: string) => string;
  let src: string;
  const soul = (n: string, a: string) => `# ${a}@${n}\n\n## Tools\n- ${a} only\n\n## Rules\nbe ${a}\n`;
  const all = [
    ['n1', 'main'],
    ['n1', 'research'],
    ['n2', 'main'],
    ['n2', 'research'],
  ] as const;
  const reset = async () => {
    for (const [n, a] of all) await writeFile(join(ws(n, a), 'SOUL.md'), soul(n, a));
  };

  before(async () => {
    home = await tempOcmHome();
    env = { OCM_HOME: home, OCM_LANG: 'en' };
    ({ ws } = await twoLocalNodes(home, env));
    src = join(home, 'section.md');
    await writeFile(src, '- shared tool\n');
    await reset();
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('--dry-run shows every resulting change and writes nothing; without --yes and a terminal it exits 2 with the hint', async () => {
    const dry = await runCli(['apply', '--replace-section', '## Tools', '--with', src, '--file', 'SOUL.md', '--agents', 'label:prod', '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /M {2}n1\/main {2}.*SOUL\.md {2}\+1 −1/);
    assert.match(dry.stdout, /4 to change, 0 to create, 0 already like this, 0 left out\./);
    assert.match(dry.stdout, /^-- main only$/m);
    assert.match(dry.stdout, /^\+- shared tool$/m);
    for (const [n, a] of all) assert.equal(await readFile(join(ws(n, a), 'SOUL.md'), 'utf8'), soul(n, a));
    const noTty = await runCli(['apply', '--replace-section', '## Tools', '--with', src, '--file', 'SOUL.md', '--agents', 'n1'], env);
    assert.equal(noTty.code, 2);
    assert.match(noTty.stderr, /This changes 2 file\(s\)\. Look first with --dry-run, then add --yes to apply\./);
  });

  it('a terminal asks; "no" changes nothing', async () => {
    const r = await runWithAnswer(['apply', '--append', src, '--file', 'SOUL.md', '--agents', 'n1/main,n2/research'], env, false);
    assert.equal(r.code, 0);
    assert.match(r.asked[0]!, /Change 2 file\(s\) on 2 node\(s\)\?/);
    assert.match(r.stdout, /Nothing was changed\./);
    assert.equal(await readFile(join(ws('n1', 'main'), 'SOUL.md'), 'utf8'), soul('n1', 'main'));
  });

  it('--yes applies across nodes (JSON result), and --undo --yes restores the whole batch', async () => {
    const r = await runCli(['apply', '--replace-section', 'Tools', '--with', src, '--file', 'SOUL.md', '--agents', 'n1,n2/main', '--yes', '--json'], env);
    assert.equal(r.code, 0, r.stdout);
    const j = r.json();
    assert.equal(j.result.ok, true);
    assert.equal(j.result.batch.files.length, 3);
    assert.deepEqual(
      j.plan.files.map((f: { node: string; agent: string }) => `${f.node}/${f.agent}`),
      ['n1/main', 'n1/research', 'n2/main'],
    );
    assert.match(await readFile(join(ws('n2', 'main'), 'SOUL.md'), 'utf8'), /## Tools\n- shared tool\n\n## Rules/);
    assert.equal(await readFile(join(ws('n2', 'research'), 'SOUL.md'), 'utf8'), soul('n2', 'research'));

    const look = await runCli(['apply', '--undo', '--dry-run'], env);
    assert.equal(look.code, 0, look.stderr);
    assert.equal(look.stdout.match(/will be put back/g)?.length, 3);
    const undo = await runCli(['apply', '--undo', '--yes'], env);
    assert.equal(undo.code, 0, undo.stderr + undo.stdout);
    assert.match(undo.stdout, /Put back 3 file\(s\)\./);
    for (const [n, a] of all) assert.equal(await readFile(join(ws(n, a), 'SOUL.md'), 'utf8'), soul(n, a));
    const nothing = await runCli(['apply', '--undo', '--yes'], env);
    assert.match(nothing.stdout, /No bulk apply to undo\./);
  });

  it('undo refuses a file changed since, and --force puts it back too', async () => {
    assert.equal((await runCli(['apply', '--append', src, '--file', 'SOUL.md', '--agents', 'n1', '--yes'], env)).code, 0);
    await writeFile(join(ws('n1', 'main'), 'SOUL.md'), 'the agent rewrote this\n');
    const look = await runCli(['apply', '--undo', '--dry-run'], env);
    assert.match(look.stdout, /CHANGED since the batch: refused unless --force/);
    const undo = await runCli(['apply', '--undo', '--yes'], env);
    assert.equal(undo.code, 1);
    assert.match(undo.stdout, /Put back 1 file\(s\)\.\nrefused: n1:.*workspace\/SOUL\.md: .*changed since the bulk apply/);
    assert.equal(await readFile(join(ws('n1', 'main'), 'SOUL.md'), 'utf8'), 'the agent rewrote this\n');
    const forced = await runCli(['apply', '--undo', '--yes', '--force'], env);
    assert.equal(forced.code, 0, forced.stdout);
    assert.equal(await readFile(join(ws('n1', 'main'), 'SOUL.md'), 'utf8'), soul('n1', 'main'));
  });

  it('a missing heading is a per-agent result (exit 1), never an append; the others are applied', async () => {
    await writeFile(join(ws('n2', 'research'), 'SOUL.md'), '# research\nno sections\n');
    const r = await runCli(['apply', '--replace-section', '## Tools', '--with', src, '--file', 'SOUL.md', '--agents', 'n2', '--yes'], env);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /! {2}n2\/research {2}.*SOUL\.md: the heading is not in this file: nothing replaced, nothing appended/);
    assert.equal(await readFile(join(ws('n2', 'research'), 'SOUL.md'), 'utf8'), '# research\nno sections\n');
    assert.match(await readFile(join(ws('n2', 'main'), 'SOUL.md'), 'utf8'), /- shared tool/);
    await runCli(['apply', '--undo', '--yes'], env);
    await reset();
  });

  it('usage errors exit 2: no mode, two modes, bad selector, unknown agent, a path leaving the workspace', async () => {
    const cases: [string[], RegExp][] = [
      [['apply', '--file', 'SOUL.md', '--agents', 'n1'], /exactly one of --template/],
      [['apply', '--template', src, '--append', src, '--file', 'SOUL.md', '--agents', 'n1'], /exactly one of/],
      [['apply', '--template', src, '--file', 'SOUL.md', '--agents', 'n1/'], /not node\/agent/],
      [['apply', '--template', src, '--file', '../x.md', '--agents', 'n1'], /inside each agent's workspace/],
      [['apply', '--template', src, '--file', 'SOUL.md', '--agents', 'label:staging'], /No active node has the label "staging"/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(args, env);
      assert.equal(r.code, 2, args.join(' ') + r.stderr);
      assert.match(r.stderr, re);
    }
    const agent = await runCli(['apply', '--template', src, '--file', 'SOUL.md', '--agents', 'n1/nobody', '--dry-run'], env);
    assert.equal(agent.code, 1);
    assert.match(agent.stderr, /Agent "nobody" is not configured on node n1/);
  });

  it('speaks Japanese', async () => {
    const r = await runCli(['apply', '--append', src, '--file', 'SOUL.md', '--agents', 'n1', '--dry-run'], { ...env, OCM_LANG: 'ja' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /変更 2 件/);
  });
});
