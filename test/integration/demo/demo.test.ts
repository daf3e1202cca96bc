/**
 * The demo fleet built for real on a fresh demo dir (the installed OpenClaw 2026.9.6 of the tools
 * cache is reused; the onboarded template is made anew, so onboarding is part of the test): both
 * gateways ready, agents listed by the same code paths as a remote node, one backup each, and then
 * every capability through the CLI in-process with OCM_HOME = the demo's ocm home — expand (agents,
 * files), cat + safe save (put with the sha of what was read; refused after the demo agent wrote),
 * history, backup, compare, restore, restart, migrate demo-a → demo-b. Stopping the demo leaves no
 * process of it behind.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { demoLayout, readPidFile, startDemo, stopDemo, type DemoLayout, type DemoStartResult } from '../../../src/core/demo';
import { runCli } from '../../support/cli';

/** Pids of processes whose environment has HOME inside `root` (every demo OpenClaw process does). */
function processesUnder(root: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`).toString('utf8').split('\0');
      if (env.some((e) => e.startsWith(`HOME=${root}/`))) out.push(Number(name));
    } catch {
      /* gone, or not ours */
    }
  }
  return out;
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('demo fleet (real OpenClaw 2026.9.6, local transport)', { timeout: 2_400_000 }, () => {
  let root: string;
  let layout: DemoLayout;
  let started: DemoStartResult;
  let env: NodeJS.ProcessEnv;
  const progress: string[] = [];
  const cli = async (args: string[]) => {
    const r = await runCli(args, env);
    assert.equal(r.code, 0, `ocm ${args.join(' ')}\n${r.stderr}\n${r.stdout}`);
    return r;
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'ocm-demo-'));
    layout = demoLayout({ root, templateDir: join(root, 'template') });
    started = await startDemo({ layout, memoryAgent: { minSeconds: 2, maxSeconds: 4 }, onProgress: (m) => progress.push(m) });
    env = { ...process.env, OCM_HOME: layout.ocmHome, OCM_BACKUP_DIR: '', OCM_KEEP_MINUTES: '0', OCM_LANG: 'en' };
  });

  after(async () => {
    if (layout) await stopDemo(layout).catch(() => undefined);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('builds two ready nodes, says what it installs first, records its processes and backs each node up', async () => {
    assert.equal(started.built, true);
    assert.match(progress[0]!, /First run: building the demo fleet/);
    assert.match(progress[0]!, /OpenClaw 2026\.9\.6/);
    assert.deepEqual(
      started.nodes.map((n) => [n.id, n.ready, n.error]),
      [
        ['demo-a', true, undefined],
        ['demo-b', true, undefined],
      ],
    );
    assert.notEqual(started.nodes[0]!.gatewayPort, started.nodes[1]!.gatewayPort);
    for (const n of started.nodes) assert.ok(n.backupId, `${n.id} has a first backup`);
    const pids = await readPidFile(layout.pidFile);
    assert.deepEqual(pids.map((p) => p.kind).sort(), ['gateway', 'gateway', 'memory-agent']);
    const registry = JSON.parse(readFileSync(join(layout.ocmHome, 'nodes.json'), 'utf8'));
    assert.deepEqual(
      registry.nodes.map((n: { id: string; host: string }) => [n.id, n.host]),
      [
        ['demo-a', 'local'],
        ['demo-b', 'local'],
      ],
    );
    // Real tokens, never the template's, and different per node.
    const tokens = started.nodes.map((n) => JSON.parse(readFileSync(join(n.stateDir, 'openclaw.json'), 'utf8')).gateway.auth.token);
    assert.notEqual(tokens[0], tokens[1]);
    // Each gateway logs to its own file (logging.file), not the machine-wide /tmp/openclaw one.
    for (const n of started.nodes) {
      const log = JSON.parse(readFileSync(join(n.stateDir, 'openclaw.json'), 'utf8')).logging?.file as string;
      assert.equal(log, join(n.stateDir, 'logs', 'openclaw.log'));
      assert.ok(existsSync(log), `${n.id}'s gateway wrote ${log}`);
    }
  });

  it('lists the agents through the same code paths as a remote node (status, agents confirmed by the CLI)', async () => {
    const status = (await cli(['status', '--json'])).json();
    const rows = status.nodes ?? status.results ?? status;
    for (const id of ['demo-a', 'demo-b']) {
      const row = (Array.isArray(rows) ? rows : []).find((r: { nodeId?: string; id?: string }) => (r.nodeId ?? r.id) === id);
      assert.ok(row, `status has ${id}: ${JSON.stringify(status).slice(0, 500)}`);
      assert.match(JSON.stringify(row), /"ready":\s*true/);
    }
    for (const id of ['demo-a', 'demo-b']) {
      const out = (await cli(['agents', id, '--json', '--files'])).json();
      assert.equal(out.openclaw.version, '2026.9.6');
      assert.equal(out.source, 'cli');
      assert.deepEqual(
        out.agents.map((a: { id: string }) => a.id),
        ['main', 'research', 'support'],
      );
      for (const a of out.agents)
        assert.ok(
          a.files.some((f: { name: string }) => f.name === 'MEMORY.md'),
          `${id}/${a.id} has MEMORY.md`,
        );
    }
  });

  it('the demo agent writes MEMORY.md; a save with a stale sha is refused, a fresh one lands and is in the history', async () => {
    const file = started.memoryFile!;
    const first = (await cli(['cat', 'demo-a', file, '--json'])).json();
    assert.match(first.content, /## Running notes/);
    await waitFor('the demo agent to append', 60_000, async () => ((await readFile(file, 'utf8')) !== first.content ? true : undefined));
    const local = join(root, 'edited.md');
    writeFileSync(local, first.content + '- a note typed by the operator\n');
    const stale = await runCli(['put', 'demo-a', file, local, '--expect-sha256', first.sha256, '--json'], env);
    assert.notEqual(stale.code, 0, 'a save over a file the agent changed must be refused');
    assert.ok(!(await readFile(file, 'utf8')).includes('typed by the operator'));
    const now = (await cli(['cat', 'demo-a', file, '--json'])).json();
    writeFileSync(local, now.content + '- a note typed by the operator\n');
    // The agent may append between cat and put (every 2-4 s here): retry the way a person would.
    await waitFor('a save that wins the race', 60_000, async () => {
      const cur = (await cli(['cat', 'demo-a', file, '--json'])).json();
      writeFileSync(local, cur.content + '- a note typed by the operator\n');
      const r = await runCli(['put', 'demo-a', file, local, '--expect-sha256', cur.sha256, '--json'], env);
      return r.code === 0 ? true : undefined;
    });
    assert.ok((await readFile(file, 'utf8')).includes('typed by the operator'));
    const history = await cli(['history', 'list', 'demo-a', file, '--json']);
    assert.ok(JSON.stringify(history.json()).length > 20, history.stdout);
  });

  it('backup, compare two backups, restore one file from a backup', async () => {
    const soul = join(started.nodes[1]!.stateDir, 'workspace-research', 'SOUL.md');
    const original = await readFile(soul, 'utf8');
    writeFileSync(soul, original + '\nChanged after the first backup.\n');
    const b = (await cli(['backup', 'demo-b', '--json'])).json();
    assert.equal(b.results[0].ok, true, JSON.stringify(b));
    const second = b.results[0].backup.id as string;
    const diff = await cli(['diff', `demo-b/${started.nodes[1]!.backupId}`, `demo-b/${second}`, '--file', soul]);
    assert.match(diff.stdout, /\+Changed after the first backup\./);
    const restored = await cli(['restore', `demo-b/${started.nodes[1]!.backupId}`, '--file', soul, '--yes', '--json']);
    assert.ok(restored.stdout.length > 0);
    assert.equal(await readFile(soul, 'utf8'), original);
  });

  it('restarts a demo gateway and it is ready again', async () => {
    const r = (await cli(['restart', 'demo-b', '--json', '--timeout', '300'])).json();
    const result = r.results?.[0] ?? r;
    assert.equal(result.ok, true, JSON.stringify(r));
  });

  it("migrates demo-a onto demo-b (replacing its state dir) and demo-b serves demo-a's agents and memory", async () => {
    const memory = await readFile(started.memoryFile!, 'utf8');
    const r = await runCli(['migrate', 'demo-a', 'demo-b', '--replace', '--yes', '--json', '--timeout', '300'], env);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(0, 3000));
    const out = r.json();
    assert.equal(out.ok, true);
    const bMemory = await readFile(join(started.nodes[1]!.stateDir, 'workspace', 'MEMORY.md'), 'utf8');
    assert.ok(bMemory.startsWith(memory.split('\n- ')[0]!), "demo-b now has demo-a's MEMORY.md");
    assert.match(bMemory, /typed by the operator/);
    const agents = (await cli(['agents', 'demo-b', '--json'])).json();
    assert.deepEqual(
      agents.agents.map((a: { id: string }) => a.id),
      ['main', 'research', 'support'],
    );
    for (const a of agents.agents) assert.ok(a.workspace.startsWith(started.nodes[1]!.stateDir), a.workspace);
  });

  it('a second start after a crash (nothing was stopped) first stops what the earlier run left, then starts afresh', async () => {
    const before = await readPidFile(layout.pidFile);
    assert.ok(before.length >= 3, JSON.stringify(before));
    const again = await startDemo({ layout, memoryAgent: { minSeconds: 2, maxSeconds: 4 } });
    assert.equal(again.built, false);
    assert.ok(again.cleaned >= 3, `cleaned ${again.cleaned}`);
    for (const p of before) assert.equal(processesUnder(root).includes(p.pid), false, `old pid ${p.pid} (${p.kind}) is gone`);
    assert.deepEqual(
      again.nodes.map((n) => [n.id, n.ready]),
      [
        ['demo-a', true],
        ['demo-b', true],
      ],
    );
    const after = await readPidFile(layout.pidFile);
    assert.equal(after.filter((p) => before.some((b) => b.pid === p.pid && b.startTime === p.startTime)).length, 0);
  });

  it('stopping the demo leaves none of its processes (also the gateway ocm started during the migration)', async () => {
    assert.ok(processesUnder(root).length > 0, 'demo processes run before the stop');
    const report = await stopDemo(layout);
    assert.ok(report.stopped.length + report.killed.length >= 3, JSON.stringify(report));
    await waitFor('every demo process to exit', 30_000, () => (processesUnder(root).length === 0 ? true : undefined));
    assert.deepEqual(await readPidFile(layout.pidFile), []);
  });
});
