import { strict as assert } from 'node:assert';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listBatches } from '../../src/core/bulk';
import { runCli, tempOcmHome } from '../support/cli';
import { twoLocalNodes } from '../support/local-nodes';
import { atlas, juniper, kestrel, nova, type AgentFixture } from '../core/guard/corpus-agents';

/**
 * The mix-up guard on `ocm apply` (issue 15's classic accident): a SOUL.md template written for
 * agent research applied to other agents is flagged per file in the preview and refused as a
 * whole batch before anything is written, naming the agent whose text it is; --force applies it.
 * Two local nodes (the LocalTransport twin of SSH), every agent with its own realistic files.
 */
describe('ocm apply and the mix-up guard (two local nodes)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let ws: (n: string, a: string) => string;
  let template: string;
  const who: Record<string, AgentFixture> = { 'n1/main': atlas, 'n1/research': nova, 'n2/main': juniper, 'n2/research': kestrel };
  const soulOf = (key: string) => readFile(join(ws(key.split('/')[0]!, key.split('/')[1]!), 'SOUL.md'), 'utf8');
  const unchanged = async () => {
    for (const [key, f] of Object.entries(who)) assert.equal(await soulOf(key), f.files['SOUL.md'], `${key} untouched`);
  };

  before(async () => {
    home = await tempOcmHome();
    env = { OCM_HOME: home, OCM_LANG: 'en' };
    ({ ws } = await twoLocalNodes(home, env));
    for (const [key, f] of Object.entries(who)) {
      const [n, a] = key.split('/') as [string, string];
      for (const [name, text] of Object.entries(f.files)) await writeFile(join(ws(n, a), name), text);
    }
    // The new SOUL.md meant for research only: its current one plus a new rule.
    template = join(home, 'research-soul.md');
    await writeFile(template, nova.files['SOUL.md'] + '\nAlways give the DOI of a paper you cite.\n');
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('a first apply (no fingerprints yet) learns them from the plan itself: research passes, n2/main is flagged in the preview', async () => {
    const dry = await runCli(['apply', '--template', template, '--file', 'SOUL.md', '--agents', 'n1/research,n2/main', '--dry-run'], env);
    assert.equal(dry.code, 1, 'a flagged batch would be refused: exit 1');
    assert.match(dry.stdout, /M {2}n1\/research {2}\S+SOUL\.md {2}\+\d+ −\d+\n {2}M {2}n2\/main/, 'research has no guard line');
    assert.match(dry.stdout, /M {2}n2\/main {2}\S+SOUL\.md .*\n {5}MIX-UP GUARD: \d+ phrases match SOUL\.md of agent research on node n1 \(lines /);
    assert.match(dry.stdout, /1 file\(s\) would bring another agent's text into a guarded file .*refused unless --force\./);
    const json = await runCli(['apply', '--template', template, '--file', 'SOUL.md', '--agents', 'n1/research,n2/main', '--dry-run', '--json'], env);
    assert.equal(json.code, 1);
    const plan = json.json().plan;
    assert.deepEqual(plan.guard, { checked: 2, flagged: 1 });
    assert.deepEqual(
      plan.files.map(
        (f: { agent: string; mixup?: { other: { nodeId: string; agentId: string } }[] }) => f.mixup?.map((m) => `${m.other.nodeId}/${m.other.agentId}`) ?? null,
      ),
      [null, ['n1/research']],
    );
    await unchanged();
  });

  it('the wrong template applied to two agents is refused with the matched agent named, and nothing is written', async () => {
    assert.equal((await runCli(['guard', 'refresh', '--json'], env)).code, 0);
    const r = await runCli(['apply', '--template', template, '--file', 'SOUL.md', '--agents', 'n1/main,n2/main', '--yes'], env);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /The bulk apply was refused before anything was written: 2 file\(s\) would bring another agent's text into a guarded file\./);
    assert.match(r.stderr, /n1\/main \S+SOUL\.md:\n {6}\d+ phrases match SOUL\.md of agent research( \(Nova\))? on node n1/);
    assert.match(r.stderr, /n2\/main \S+SOUL\.md:\n {6}\d+ phrases match SOUL\.md of agent research( \(Nova\))? on node n1/);
    assert.match(r.stderr, /add --force/);
    await unchanged();
    assert.deepEqual(await listBatches(home), [], 'no batch was even started');

    const j = await runCli(['apply', '--template', template, '--file', 'SOUL.md', '--agents', 'n1/main,n2/main', '--yes', '--json'], env);
    assert.equal(j.code, 1);
    const err = j.json().error;
    assert.equal(err.kind, 'conflict');
    assert.deepEqual(
      err.details.files.map(
        (f: { node: string; agent: string; findings: { other: { agentId: string } }[] }) => `${f.node}/${f.agent}:${f.findings[0]!.other.agentId}`,
      ),
      ['n1/main:research', 'n2/main:research'],
    );
    await unchanged();
  });

  it('ordinary bulk edits pass the guard: shared lines appended to every agent', async () => {
    const shared = join(home, 'shared.md');
    await writeFile(shared, '- Escalate anything touching customer data to the on-call human.\n');
    const r = await runCli(['apply', '--append', shared, '--file', 'SOUL.md', '--agents', 'n1,n2', '--yes', '--json'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.json().plan.guard.checked, 4);
    assert.equal(r.json().plan.guard.flagged, 0);
    assert.equal((await runCli(['apply', '--undo', '--yes'], env)).code, 0);
    await unchanged();
  });

  it('--force applies the flagged batch on purpose (recorded as an override) and --undo puts it back', async () => {
    const r = await runCli(['apply', '--template', template, '--file', 'SOUL.md', '--agents', 'n1/main,n2/main', '--yes', '--force'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Applying anyway \(--force\): 2 file\(s\) the mix-up guard flagged\./);
    assert.equal(await soulOf('n1/main'), nova.files['SOUL.md'] + '\nAlways give the DOI of a paper you cite.\n');
    assert.equal(await soulOf('n2/main'), nova.files['SOUL.md'] + '\nAlways give the DOI of a paper you cite.\n');
    const [batch] = await listBatches(home);
    assert.deepEqual(
      batch!.mixupOverride?.map((f) => `${f.nodeId}/${f.agentId}`),
      ['n1/main', 'n2/main'],
    );
    assert.equal((await runCli(['apply', '--undo', '--yes'], env)).code, 0);
    await unchanged();
  });

  it('speaks Japanese', async () => {
    const r = await runCli(['apply', '--template', template, '--file', 'SOUL.md', '--agents', 'n1/main', '--yes'], { ...env, OCM_LANG: 'ja' });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /取り違えガード/);
    assert.match(r.stderr, /何も書き込まずに/);
    await unchanged();
  });
});
