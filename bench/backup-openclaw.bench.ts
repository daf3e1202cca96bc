/**
 * Backup benchmark on a REAL OpenClaw 2026.9.6 state (issue 13: "the same on a node with real
 * OpenClaw 2026.9.6 state, where today's native path is 16×"). Standalone:
 * `node --import tsx bench/backup-openclaw.bench.ts`
 *
 *   BENCH_MB=120   size of the workspace added to the state (1,000 daily notes in memory/*.md,
 *                  MEMORY.md, four large JSONL journals; generator in bench/backup-tree.ts)
 *   BENCH_RUNS=3   interleaved runs per timed method (median reported)
 *   BENCH_TRACE=1  print every exec on the node with its wall time (where a backup's time goes)
 *
 * The state: OpenClaw's own, made once and kept in the tools cache
 * (`<tools>/openclaw-2026.9.6-backup-bench-state`): the demo's onboarded template (three agents:
 * `openclaw onboard` + `openclaw agents add`, src/core/demo/template.ts) plus ONE real
 * `openclaw agent --local` turn against the stub model (test/integration/status/fake-model.ts), so
 * the agent's SQLite, the state database and OpenClaw's sidecar files are what a used node has.
 * Each run copies it to a temp HOME as `~/.openclaw` (instantiateTemplate: own paths, port, token).
 *
 * The node is this machine through LocalTransport with the node's HOME (as the status tests do):
 * the OpenClaw install lives in root's tools cache, which harness SSH users cannot run. Both engines
 * go through backupNode with what `ocm backup` would locate (locateOpenclaw, sources and openclaw
 * command from the location), the gateway taken as running (SQLite captured consistently).
 *
 * Baseline, measured interleaved in the same run: `tar --zstd -cf - <state dir> > file` (locally,
 * same tree). The "1 % change" writes rows into the agent's real SQLite with the sqlite3 CLI (an
 * `openclaw agent --local` turn takes 40–120 s on the loaded 2-core machine, too slow to repeat),
 * appends to 8 daily notes and grows one journal by ~100 KB; 30 such days (one snapshot each) give
 * the month's repository size against the first snapshot's, and the last one is exported to an
 * OpenClaw archive against `tar czf` of the same state dir.
 *
 * Seen here (fixed in a998f62): run as root, SQLite fchowns a database's -wal on every open, so the
 * WAL's ctime moved with each consistent copy and every repeat copied both WAL databases again;
 * the stamp now leaves the WAL's ctime out. The first-snapshot runs come first, so the repeats
 * below measure a settled node.
 */
import { promises as fs } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupNode, backupSourcesFromLocation, BackupStore, openclawCommandFromLocation, type BackupNodeResult, type BackupSources } from '../src/core/backup';
import { withToolsLock } from '../src/core/demo/install';
import { demoLayout } from '../src/core/demo/layout';
import { ensureTemplate, instantiateTemplate, type TemplateInfo } from '../src/core/demo/template';
import { deepMerge } from '../src/core/openclaw/config';
import { locateOpenclaw } from '../src/core/openclaw/locate';
import { nodeSchema } from '../src/core/registry';
import { LocalTransport } from '../src/core/transport/local-transport';
import { shellQuote } from '../src/core/transport/shell-quote';
import type { Transport } from '../src/core/transport/types';
import { fakeModelPatch, startFakeModel } from '../test/integration/status/fake-model';
import { freePort } from '../test/support/free-port';
import { ensureOpenclaw, OpenclawTestNode, type OpenclawInstall } from '../test/support/openclaw';
import { duBytes, jsonlLine, MB, mdName, median, sh, text, time, writeJsonl, writeNotes } from './backup-tree';

const VERSION = '2026.9.6';
const wsMb = Number(process.env.BENCH_MB ?? 120);
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const trace = process.env.BENCH_TRACE === '1';
const NODE = 'oc-bench';
const NOTES = 1000;
const JOURNALS = 4;
const DAYS = 30;

/** The used 2026.9.6 state in the tools cache (template + one real agent turn), made when missing (~1–3 min). */
async function ensureBenchState(install: OpenclawInstall): Promise<TemplateInfo> {
  const layout = demoLayout();
  const dir = join(layout.toolsDir, `openclaw-${VERSION}-backup-bench-state`);
  const marker = join(dir, 'state.json');
  const stateDir = join(dir, 'home', '.openclaw');
  const read = async (): Promise<TemplateInfo | undefined> => {
    const m = await fs.readFile(marker, 'utf8').then(
      (t) => JSON.parse(t) as { version: string; stateDir: string },
      () => undefined,
    );
    return m?.version === VERSION ? { stateDir, writtenAs: m.stateDir, version: VERSION } : undefined;
  };
  const ready = await read();
  if (ready) return ready;
  await withToolsLock({ toolsDir: layout.toolsDir }, `backup-bench-state-${VERSION}`, async () => {
    if (await read()) return;
    const started = Date.now();
    await fs.rm(dir, { recursive: true, force: true });
    const template = await ensureTemplate(install, layout.templateDir, { toolsDir: layout.toolsDir, onProgress: (m) => console.log(m) });
    const home = join(dir, 'home');
    await fs.mkdir(home, { recursive: true, mode: 0o700 });
    const port = 18801;
    await instantiateTemplate(template, stateDir, { port });
    const model = await startFakeModel(1000);
    try {
      const configPath = join(stateDir, 'openclaw.json');
      const config = JSON.parse(await fs.readFile(configPath, 'utf8')) as Record<string, unknown>;
      await fs.writeFile(configPath, JSON.stringify(deepMerge(config, fakeModelPatch(model.port, 64_000)), null, 2), { mode: 0o600 });
      console.log('one real agent turn (openclaw agent --local, stub model; 1–3 min on a loaded machine) ...');
      const node = new OpenclawTestNode(install, { version: VERSION, home, port });
      const turn = await node.run(['agent', '--local', '--agent', 'main', '--message', 'hello', '--json'], { timeoutMs: 600_000 });
      if (turn.code !== 0) throw new Error(`openclaw agent --local failed (exit ${turn.code}): ${turn.stderr.slice(-1500)}`);
    } finally {
      await model.close();
    }
    await fs.writeFile(
      marker,
      JSON.stringify({ version: VERSION, stateDir, createdAt: new Date().toISOString(), seconds: (Date.now() - started) / 1000 }, null, 2) + '\n',
    );
    console.log(`bench state ready in ${((Date.now() - started) / 1000).toFixed(0)} s (kept in ${dir})`);
  });
  return (await read())!;
}

/** HOME-redirecting LocalTransport: the node is this machine, seen with the node's HOME (as test/integration/status/sessions.test.ts; here exec and execStream). */
function transportFor(home: string): Transport {
  const env = {
    HOME: home,
    PATH: '/usr/bin:/bin',
    SHELL: '/bin/sh',
    ENV: '',
    OPENCLAW_OFFLINE: '1',
    OPENCLAW_NO_AUTO_UPDATE: '1',
    OPENCLAW_DISABLE_BONJOUR: '1',
  };
  const local = new LocalTransport({ nodeId: NODE });
  return new Proxy(local, {
    get(target, prop, receiver) {
      if (prop === 'exec') {
        return async (cmd: string, opts: Record<string, unknown> = {}) => {
          const t0 = Date.now();
          const r = await target.exec(cmd, { ...opts, env: { ...env, ...((opts.env as Record<string, string>) ?? {}) } });
          if (trace) console.log(`  [exec ${Date.now() - t0} ms] ${cmd.replace(/\s+/g, ' ').slice(0, 110)}`);
          return r;
        };
      }
      if (prop === 'execStream') {
        return async (cmd: string, opts: Record<string, unknown> = {}) => {
          const t0 = Date.now();
          const stream = await target.execStream(cmd, { ...opts, env: { ...env, ...((opts.env as Record<string, string>) ?? {}) } });
          if (trace)
            void stream.done.then(
              () => console.log(`  [stream ${Date.now() - t0} ms] ${cmd.replace(/\s+/g, ' ').slice(0, 110)}`),
              () => undefined,
            );
          return stream;
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as Transport;
}

/** The workspace an operator's main agent has after a few years: daily notes, MEMORY.md, large journals (~`mb` MB in all). */
async function addWorkspace(workspace: string, mb: number): Promise<{ bytes: number; files: number }> {
  let bytes = await writeNotes(join(workspace, 'memory'), NOTES);
  const memory = `# MEMORY\n\n${text(8 * 1024)}\n`;
  await fs.writeFile(join(workspace, 'MEMORY.md'), memory);
  bytes += memory.length;
  await fs.mkdir(join(workspace, 'journal'), { recursive: true });
  // Lines drawn from a pool of 32,768 texts (10 MB, each line with its own time and id): far more
  // than zstd's window, so it compresses like fresh text, and ~5× faster to make than fresh text.
  const pool = Array.from({ length: 32_768 }, () => text(300));
  const each = Math.max(64 * 1024, Math.round((mb * MB - bytes) / JOURNALS));
  for (let i = 0; i < JOURNALS; i++)
    bytes += await writeJsonl(join(workspace, 'journal', `transcript-${i}.jsonl`), each, (l) => (l % 2 ? 'user' : 'assistant'), pool);
  return { bytes, files: NOTES + 1 + JOURNALS };
}

/** The "1 % change": 8 daily notes get a line, one journal grows ~100 KB, 20 rows land in the agent's SQLite (sqlite3 CLI). */
async function changeOnePercent(stateDir: string, round: number): Promise<void> {
  const ws = join(stateDir, 'workspace');
  for (let k = 0; k < 8; k++) await fs.appendFile(join(ws, 'memory', mdName((round * 97 + k * 101) % NOTES)), `\n- ${round}.${k}: ${text(200)}\n`);
  await fs.appendFile(join(ws, 'journal', `transcript-${round % JOURNALS}.jsonl`), Array.from({ length: 300 }, () => jsonlLine('user')).join(''));
  const db = join(stateDir, 'agents', 'main', 'agent', 'openclaw-agent.sqlite');
  const sql = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20) INSERT OR REPLACE INTO cache_entries (scope, key, value_json, updated_at) SELECT 'ocm-bench', 'r${round}-' || x, json_object('note', hex(randomblob(500))), unixepoch() * 1000 FROM c;`;
  await sh(`sqlite3 ${shellQuote(db)} ${shellQuote(sql)}`);
}

interface Row {
  name: string;
  ours: string;
  baseline: string;
  ratio: string;
  target: string;
  met: boolean;
}

async function main(): Promise<void> {
  const install = await ensureOpenclaw(VERSION);
  const benchState = await ensureBenchState(install);
  const root = await fs.mkdtemp(join(tmpdir(), 'ocm-bench-backup-openclaw-'));
  const rows: Row[] = [];
  const json: Record<string, unknown> = { bench: 'backup-openclaw', openclaw: VERSION, runs };
  const fmtS = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const addRatio = (name: string, ours: number[], base: number[], max: number | undefined, key: string): void => {
    const ratio = median(ours) / median(base);
    rows.push({
      name,
      ours: fmtS(median(ours)),
      baseline: `${fmtS(median(base))} tar --zstd`,
      ratio: `${ratio.toFixed(3)}×`,
      target: max === undefined ? '(reference)' : `≤ ${max}×`,
      met: max === undefined || ratio <= max,
    });
    Object.assign(json, { [`${key}S`]: +(median(ours) / 1000).toFixed(3), [`${key}VsZstd`]: +ratio.toFixed(3) });
  };
  try {
    const started = Date.now();
    const home = join(root, 'home');
    await fs.mkdir(home, { recursive: true, mode: 0o700 });
    const stateDir = join(home, '.openclaw');
    await instantiateTemplate(benchState, stateDir, { port: await freePort() });
    const ws = await addWorkspace(join(stateDir, 'workspace'), wsMb);
    const wrapper = join(root, 'bin', 'openclaw');
    await fs.mkdir(join(root, 'bin'));
    await fs.writeFile(wrapper, `#!/bin/sh\nexec ${shellQuote(install.nodeBin)} ${shellQuote(install.bin)} "$@"\n`, { mode: 0o755 });
    const transport = transportFor(home);
    const located = await time(() => locateOpenclaw(transport, nodeSchema.parse({ id: NODE, host: 'local', openclawPath: wrapper }), { loginShell: false }));
    const location = located.value;
    const openclaw = openclawCommandFromLocation(location);
    const sources: BackupSources = backupSourcesFromLocation(location);
    if (openclaw?.version !== VERSION || sources.stateDir !== stateDir)
      throw new Error(`located ${openclaw?.version ?? 'no OpenClaw'} with state ${sources.stateDir}; expected ${VERSION} at ${stateDir}`);
    const stateBytes = await duBytes(stateDir);
    const fileCount = Number((await sh(`find ${shellQuote(stateDir)} -type f | wc -l`)).trim());
    console.log(
      `state: ${(stateBytes / MB).toFixed(1)} MB in ${fileCount} files (workspace added: ${(ws.bytes / MB).toFixed(1)} MB in ${ws.files} files; ${sources.workspaceDirs.length} workspaces, ${sources.agentDirs.length} agents), made in ${((Date.now() - started) / 1000).toFixed(1)} s; located in ${located.ms.toFixed(0)} ms`,
    );
    Object.assign(json, { stateMB: +(stateBytes / MB).toFixed(1), files: fileCount, locateMs: Math.round(located.ms) });

    const baselineOut = join(root, 'baseline.tar.zst');
    const rel = stateDir.replace(/^\//, '');
    const zstd = async (): Promise<number> => (await time(() => sh(`tar --zstd -cf - -C / ${shellQuote(rel)} > ${shellQuote(baselineOut)}`))).ms;
    const snap = (store: BackupStore, engine: 'ocm' | 'openclaw'): Promise<BackupNodeResult> =>
      backupNode({ store, nodeId: NODE, transport, engine, openclaw, sources, gatewayRunning: true });
    await zstd(); // warm-up: page cache

    // 1. ocm first snapshot (fresh repository each run).
    const first: number[] = [];
    const firstBase: number[] = [];
    let store!: BackupStore;
    let firstResult!: BackupNodeResult;
    for (let r = 0; r < runs; r++) {
      if (store) await fs.rm(store.root, { recursive: true, force: true });
      store = new BackupStore(join(root, `store-ocm-${r}`));
      const t = await time(() => snap(store, 'ocm'));
      first.push(t.ms);
      firstResult = t.value;
      firstBase.push(await zstd());
    }
    const zstdSize = (await fs.stat(baselineOut)).size;
    const firstRepo = await duBytes(store.repositoryRoot);
    addRatio('ocm first snapshot', first, firstBase, 1.3, 'ocmFirst');
    const f = firstResult.stats!;
    console.log(
      `ocm first: ${f.listedFiles} files listed, ${f.changedFiles} read, ${(f.transferredBytes / MB).toFixed(1)} MB on the wire (tar --zstd: ${(zstdSize / MB).toFixed(1)} MB), repository ${(firstRepo / MB).toFixed(1)} MB`,
    );

    // 2. ocm repeat, nothing changed.
    const same: number[] = [];
    const sameBase: number[] = [];
    let sameResult!: BackupNodeResult;
    for (let r = 0; r < runs; r++) {
      const t = await time(() => snap(store, 'ocm'));
      same.push(t.ms);
      sameResult = t.value;
      sameBase.push(await zstd());
    }
    addRatio('ocm repeat, nothing changed', same, sameBase, 0.1, 'ocmUnchanged');
    console.log(
      `ocm unchanged repeat: ${sameResult.stats!.changedFiles} files read, ${sameResult.stats!.transferredBytes} bytes on the wire, ${sameResult.stats!.objectsWritten} objects written`,
    );

    // 3. ocm repeat after a 1 % change.
    const changed: number[] = [];
    const changedBase: number[] = [];
    let changedResult!: BackupNodeResult;
    const repoBefore = await duBytes(store.repositoryRoot);
    for (let r = 0; r < runs; r++) {
      await changeOnePercent(stateDir, r + 1);
      const t = await time(() => snap(store, 'ocm'));
      changed.push(t.ms);
      changedResult = t.value;
      changedBase.push(await zstd());
    }
    const repoGrowth = ((await duBytes(store.repositoryRoot)) - repoBefore) / runs;
    addRatio('ocm repeat after a 1 % change (8 notes, 1 journal, SQLite rows)', changed, changedBase, 0.2, 'ocmChanged');
    const c = changedResult.stats!;
    console.log(
      `ocm 1 % repeat: ${c.changedFiles} files read, ${(c.transferredBytes / 1024).toFixed(0)} KB on the wire, ${c.objectsWritten} objects written; repository grows ${(repoGrowth / MB).toFixed(2)} MB per snapshot`,
    );

    // 3b. The rest of a month of such days (one snapshot a day), then the repository against the first snapshot's.
    let lastSnap = changedResult;
    for (let day = runs + 1; day <= DAYS; day++) {
      await changeOnePercent(stateDir, day);
      lastSnap = await snap(store, 'ocm');
    }
    const monthRepo = await duBytes(store.repositoryRoot);
    rows.push({
      name: `ocm repository after ${DAYS} such days vs after the first`,
      ours: `${(monthRepo / MB).toFixed(1)} MB`,
      baseline: `${(firstRepo / MB).toFixed(1)} MB first`,
      ratio: `${(monthRepo / firstRepo).toFixed(3)}×`,
      target: '≤ 1.5×',
      met: monthRepo / firstRepo <= 1.5,
    });
    json.ocmMonthGrowth = +(monthRepo / firstRepo).toFixed(3);

    // 3c. Export of the last snapshot to an OpenClaw archive vs tar czf of the same state dir.
    const exp: number[] = [];
    const expBase: number[] = [];
    const czfOut = join(root, 'baseline.tar.gz');
    for (let r = 0; r < runs; r++) {
      const t = await time(() => store.materialize(lastSnap.snapshot));
      await t.value.release();
      exp.push(t.ms);
      expBase.push((await time(() => sh(`tar czf ${shellQuote(czfOut)} -C / ${shellQuote(stateDir.replace(/^\//, ''))}`))).ms);
    }
    rows.push({
      name: 'ocm export of a snapshot → OpenClaw .tar.gz vs tar czf',
      ours: fmtS(median(exp)),
      baseline: `${fmtS(median(expBase))} tar czf`,
      ratio: `${(median(exp) / median(expBase)).toFixed(3)}×`,
      target: '≤ 1×',
      met: median(exp) <= median(expBase),
    });
    json.ocmExportVsCzf = +(median(exp) / median(expBase)).toFixed(3);
    await fs.rm(store.root, { recursive: true, force: true });

    // 4. Today's native path: `openclaw backup create --verify` imported (engine 'openclaw'), first and repeat.
    const nat: number[] = [];
    const natBase: number[] = [];
    const natRepeat: number[] = [];
    const natRepeatBase: number[] = [];
    let natFirstRepo = 0;
    let natRepeatAdds = 0;
    for (let r = 0; r < runs; r++) {
      const natStore = new BackupStore(join(root, `store-native-${r}`));
      nat.push((await time(() => snap(natStore, 'openclaw'))).ms);
      natBase.push(await zstd());
      natFirstRepo = await duBytes(natStore.repositoryRoot);
      natRepeat.push((await time(() => snap(natStore, 'openclaw'))).ms);
      natRepeatBase.push(await zstd());
      natRepeatAdds = (await duBytes(natStore.repositoryRoot)) - natFirstRepo;
      await fs.rm(natStore.root, { recursive: true, force: true });
    }
    addRatio("native first (engine 'openclaw': openclaw backup create)", nat, natBase, undefined, 'nativeFirst');
    addRatio('native repeat, nothing changed', natRepeat, natRepeatBase, undefined, 'nativeRepeat');
    console.log(`native: repository ${(natFirstRepo / MB).toFixed(1)} MB after the first, the repeat adds ${(natRepeatAdds / MB).toFixed(2)} MB`);
    Object.assign(json, {
      tarZstdS: +(median(firstBase) / 1000).toFixed(3),
      ocmFirstRepoMB: +(firstRepo / MB).toFixed(1),
      ocmChangedRepoGrowthMB: +(repoGrowth / MB).toFixed(2),
      nativeRepoMB: +(natFirstRepo / MB).toFixed(1),
      nativeRepeatAddsMB: +(natRepeatAdds / MB).toFixed(2),
    });
    rows.push({
      name: '  ocm first vs native first',
      ours: fmtS(median(first)),
      baseline: `${fmtS(median(nat))} native`,
      ratio: `${(median(first) / median(nat)).toFixed(3)}×`,
      target: '',
      met: true,
    });
    rows.push({
      name: '  ocm 1 % repeat vs native repeat',
      ours: fmtS(median(changed)),
      baseline: `${fmtS(median(natRepeat))} native`,
      ratio: `${(median(changed) / median(natRepeat)).toFixed(3)}×`,
      target: '',
      met: true,
    });

    const load = loadavg();
    console.log(
      `\nreal OpenClaw ${VERSION} state, ${(stateBytes / MB).toFixed(0)} MB in ${fileCount} files, LocalTransport with the node's HOME; median of ${runs} interleaved runs; load ${load.map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores:`,
    );
    console.log(`  ${'measure'.padEnd(64)} ${'ours'.padStart(9)}  ${'baseline'.padEnd(22)} ${'ratio'.padStart(8)}  target`);
    for (const r of rows)
      console.log(
        `  ${r.name.padEnd(64)} ${r.ours.padStart(9)}  ${r.baseline.padEnd(22)} ${r.ratio.padStart(8)}  ${r.target}${r.target && !r.target.startsWith('(') ? (r.met ? ' met' : ' MISSED') : ''}`,
      );
    Object.assign(json, { met: rows.every((r) => r.met), loadAvg1: +load[0]!.toFixed(1) });
    console.log(JSON.stringify(json));
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
