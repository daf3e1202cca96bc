// The demo fleet (src/core/demo, `ocm demo start`) built once for the README screenshot scenes
// (test/extension/readme-screenshots.mjs, backups-screenshots.mjs): two real OpenClaw 2026.9.6
// nodes demo-a and demo-b on this machine (host "local"), onboarded from the template kept in the
// tools cache, gateways ready on loopback, one backup each in the demo's own ocm home. Built through
// the CLI bundle (dist/cli.js, which the runner has just built) synchronously, because scene
// registries are computed synchronously; about 20-40 s warm. Every scene shares the one build;
// it is stopped by pid (`ocm demo stop`) and removed when the runner exits.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = new URL('../../../dist/cli.js', import.meta.url).pathname;
let fleet;

function ocm(args, timeout = 600_000) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout });
  if (r.status !== 0) throw new Error(`ocm ${args.join(' ')} failed (exit ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * The fleet: `nodes` are the registry entries the builder wrote (absolute paths), `memory(node,
 * agent)` the path of an agent's MEMORY.md, `agentAppends(node, note)` one note as the demo's agent
 * writes it, `agentRewrites(node, from, to)` an edit in place.
 */
export function demoFleet() {
  if (fleet) return fleet;
  const root = mkdtempSync(join(tmpdir(), 'ocm-readme-demo-'));
  process.once('exit', () => {
    // The stop waits up to 20 s per gateway for a clean exit, then kills; a loaded machine needs the margin.
    const stop = spawnSync(process.execPath, [cli, 'demo', 'stop', '--dir', root], { encoding: 'utf8', timeout: 150_000 });
    if (stop.status !== 0) console.error(`[demo-fleet] ocm demo stop --dir ${root} failed (${stop.status ?? stop.signal}): ${stop.stderr}`);
    rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });
  // No memory agent: the conflict scene appends its note itself, at the moment the picture needs.
  const result = JSON.parse(ocm(['demo', 'start', '--dir', root, '--no-memory-agent', '--json']));
  const notReady = result.nodes.filter((n) => !n.ready);
  if (notReady.length) throw new Error(`demo nodes not ready: ${notReady.map((n) => `${n.id}: ${n.error}`).join('; ')}`);
  const { nodes } = JSON.parse(readFileSync(result.registryPath, 'utf8'));
  const stateDir = (id) => nodes.find((n) => n.id === id).stateDir;
  fleet = {
    root,
    nodes,
    registry: { version: 1, nodes },
    stateDir,
    workspace: (id, agent = 'main') => join(stateDir(id), agent === 'main' ? 'workspace' : `workspace-${agent}`),
    memory: (id, agent = 'main') => join(fleet.workspace(id, agent), 'MEMORY.md'),
    /** Replaces text in a node's main MEMORY.md, as the agent rewriting its memory. */
    agentRewrites(id, from, to) {
      const file = fleet.memory(id);
      const text = readFileSync(file, 'utf8');
      if (!text.includes(from)) throw new Error(`${file} has no "${from}"`);
      writeFileSync(file, text.replace(from, to));
    },
    /** Appends a dated note the way the demo's memory agent (src/core/demo/memory-agent.ts) does. */
    agentAppends(id, note) {
      const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
      appendFileSync(fleet.memory(id), `- ${stamp} — ${note}\n`);
    },
  };
  return fleet;
}

/**
 * Checks the nodes ("Check Nodes Now": the test workbench turns the automatic checks off) and waits
 * until the tree shows both demo nodes as ready.
 */
export async function bothReady(page, ui, { ids = ['demo-a', 'demo-b'], title = 'OpenClaw: Check Nodes Now' } = {}) {
  await ui.runCommand(page, title);
  for (const id of ids) await ui.treeRow(page, id).locator('.codicon-pass-filled').waitFor({ timeout: 90_000 });
}
