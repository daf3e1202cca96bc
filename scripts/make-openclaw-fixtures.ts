// Generates the OpenClaw state-tree fixtures in test/fixtures/openclaw/ from REAL OpenClaw:
//
//   node --import tsx scripts/make-openclaw-fixtures.ts [v2026.9.6|v2026.7.1|legacy-list]
//
// Measured on the 2-core build machine: all trees ~100 s + legacy-list ~31 s (each node: onboard
// ~5 s + two `agents add` ~13 s each; each `agents list --json` 3-5 s); installs OpenClaw if needed.
//
// Each tree `<name>/` holds:
//   home/              the node's HOME (state dir `home/.openclaw` unless manifest.stateDir says otherwise),
//                      absolute paths replaced by the placeholder ${HOME}; no .git folders, no large
//                      SQLite files (listed in manifest.omitted), empty folders listed in manifest.emptyDirs
//   agents-list.json   what `openclaw agents list --json` answered (paths as ${HOME}/...)
//   version.txt        `openclaw --version`
//   manifest.json      how the tree was made
//   variants/<v>/      config-only variations of the tree: `files/` (paths relative to home, replacing
//                      the tree's) + `agents-list.json` (the real CLI's answer for that variation) +
//                      `variant.json` ({description, stateDir?: relative to home})
//
// Secrets: the gateway token is a fixed fake (test/support/openclaw.ts TEST_GATEWAY_TOKEN), key files
// are replaced by fake bytes, `.env` holds a fake key (it exists to test "flagged as secret").
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import JSON5 from 'json5';
import { createOpenclawNode, OpenclawTestNode } from '../test/support/openclaw';

const fixturesRoot = join(__dirname, '..', 'test', 'fixtures', 'openclaw');
const HOME_PLACEHOLDER = '${HOME}';
const MAX_BINARY_BYTES = 64 * 1024;

type Json = any;

interface Variant {
  name: string;
  description: string;
  /** State dir relative to home, when not `.openclaw` (the tree is moved there, OPENCLAW_STATE_DIR set). */
  stateDir?: string;
  /** Files to write (relative to home) given the base config. */
  files(config: Json, home: string): Record<string, string>;
}

async function main(): Promise<void> {
  const only = process.argv[2];
  const started = Date.now();
  await mkdir(fixturesRoot, { recursive: true });
  const scratch = await mkdtemp(join(tmpdir(), 'ocm-fixtures-'));
  try {
    if (!only || only === 'v2026.9.6') await makeModern(scratch);
    if (!only || only === 'v2026.7.1' || only === 'legacy-list') await makeListEra(scratch, only);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  console.log(`[fixtures] done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

async function makeModern(scratch: string): Promise<void> {
  const home = join(scratch, 'modern', 'home');
  await mkdir(home, { recursive: true });
  const node = await timed('2026.9.6 onboard + agents add work, research', () =>
    createOpenclawNode({
      version: '2026.9.6',
      home,
      port: 18789,
      agents: [{ id: 'work' }, { id: 'research', workspace: join(home, 'projects', 'research') }],
    }),
  );
  await addAgentWrittenFiles(node, join(node.stateDir, 'workspace'));
  const modernVariants: Variant[] = [
    {
      name: 'implicit-workspaces',
      description: 'entries without workspace/agentDir and no agents.defaults.workspace (every agent resolves by rule)',
      files: (config) => ({ '.openclaw/openclaw.json': JSON.stringify(stripAgentPaths(config, { dropDefaultsWorkspace: true }), null, 2) }),
    },
    {
      name: 'defaults-workspace',
      description: 'agents.defaults.workspace = ~/agents-root, no per-agent workspace except research (explicit, with ~)',
      files: (config) => {
        const c = stripAgentPaths(config, { dropDefaultsWorkspace: true });
        c.agents.defaults.workspace = '~/agents-root';
        c.agents.entries.research.workspace = '~/projects/research';
        return { '.openclaw/openclaw.json': JSON.stringify(c, null, 2) };
      },
    },
    {
      name: 'include',
      description: 'JSON5 config with comments; agents pulled in with $include (nested, relative), sibling override',
      files: (config, h) => {
        const c = structuredClone(config);
        const agents = c.agents;
        delete c.agents;
        const entries = agents.entries;
        delete agents.entries;
        const main = JSON5.stringify(c, null, 2).replace(
          /^\{/,
          `{\n  // agents live in their own file\n  agents: { $include: './config/agents.json5', defaults: ${JSON5.stringify(agents.defaults)} },`,
        );
        return {
          '.openclaw/openclaw.json': main,
          '.openclaw/config/agents.json5': `// included from openclaw.json\n{\n  entries: { $include: ['./entries-a.json5', './entries-b.json5'] },\n  ownership: ${JSON5.stringify(agents.ownership)},\n}\n`,
          '.openclaw/config/entries-a.json5': JSON5.stringify({ main: entries.main, work: entries.work }, null, 2) + '\n',
          '.openclaw/config/entries-b.json5': `{ research: ${JSON5.stringify({ ...entries.research, workspace: entries.research.workspace.replace(h, '~') })}, }\n`,
        };
      },
    },
    {
      name: 'custom-state-dir',
      description: 'the same node under OPENCLAW_STATE_DIR=${HOME}/oc-state, agents without explicit workspaces',
      stateDir: 'oc-state',
      files: (config) => ({ 'oc-state/openclaw.json': JSON.stringify(stripAgentPaths(config, { dropDefaultsWorkspace: true }), null, 2) }),
    },
  ];
  await writeTree(
    'v2026.9.6',
    node,
    modernVariants,
    'onboard + agents add work (<state>/workspace-work) + agents add research (~/projects/research) with openclaw 2026.9.6; MEMORY.md, memory/*.md and .env added by the script',
  );
}

async function makeListEra(scratch: string, only: string | undefined): Promise<void> {
  const home = join(scratch, 'list', 'home');
  await mkdir(home, { recursive: true });
  const node = await timed('2026.7.1 onboard + agents add work, research', () =>
    createOpenclawNode({
      version: '2026.7.1',
      home,
      port: 18789,
      agents: [{ id: 'work' }, { id: 'research', workspace: join(home, 'projects', 'research') }],
    }),
  );
  await addAgentWrittenFiles(node, join(node.stateDir, 'workspace'));
  const listVariants: Variant[] = [
    {
      name: 'implicit-workspaces',
      description: 'agents.list without workspace/agentDir (first entry is the default agent)',
      files: (config) => ({ '.openclaw/openclaw.json': JSON.stringify(stripAgentPaths(config, { dropDefaultsWorkspace: true }), null, 2) }),
    },
    {
      name: 'default-marker',
      description: 'work marked default:true, agents.defaults.workspace = ~/agents-root',
      files: (config) => {
        const c = stripAgentPaths(config, { dropDefaultsWorkspace: true });
        c.agents.defaults = { ...(c.agents.defaults ?? {}), workspace: '~/agents-root' };
        for (const a of c.agents.list) if (a.id === 'work') a.default = true;
        return { '.openclaw/openclaw.json': JSON.stringify(c, null, 2) };
      },
    },
    {
      name: 'custom-state-dir',
      description: 'OPENCLAW_STATE_DIR=${HOME}/oc-state, no explicit workspaces: 2026.7.1 still puts the default agent in $HOME/.openclaw/workspace',
      stateDir: 'oc-state',
      files: (config) => ({ 'oc-state/openclaw.json': JSON.stringify(stripAgentPaths(config, { dropDefaultsWorkspace: true }), null, 2) }),
    },
  ];
  if (!only || only === 'v2026.7.1') {
    await writeTree(
      'v2026.7.1',
      node,
      listVariants,
      'onboard + agents add work + agents add research (~/projects/research) with openclaw 2026.7.1; MEMORY.md, memory/*.md and .env added by the script',
    );
  }
  if (!only || only === 'legacy-list') {
    await makeLegacyShape(node);
    await writeTree(
      'legacy-list',
      node,
      [],
      'the 2026.7.1 tree turned into the pre-2026.5 shape: no SQLite, TOOLS.md + HEARTBEAT.md in each workspace, sessions.json + <sessionId>.jsonl per agent (agents-list.json answered by openclaw 2026.7.1 on this tree)',
    );
  }
}

/** Files that agents themselves write while running (memory) and a fake .env. */
async function addAgentWrittenFiles(node: OpenclawTestNode, mainWorkspace: string): Promise<void> {
  await mkdir(join(mainWorkspace, 'memory'), { recursive: true });
  await writeFile(join(mainWorkspace, 'MEMORY.md'), '# Memory\n\n- The user prefers short answers.\n');
  await writeFile(join(mainWorkspace, 'memory', '2026-11-20.md'), '# 2026-11-20\n\nSet up the node.\n');
  await writeFile(join(mainWorkspace, 'memory', '2026-11-21-standup.md'), '# Standup\n\nNothing blocked.\n');
  await writeFile(join(mainWorkspace, 'memory', '2026-11-21.md'), '# 2026-11-21\n\nQuiet day.\n');
  await writeFile(join(mainWorkspace, 'memory', 'notes.txt'), 'not a daily note\n');
  await writeFile(join(node.stateDir, '.env'), 'OPENAI_API_KEY=sk-fake-fixture-key-000\n', { mode: 0o600 });
}

/** Older layout: TOOLS.md/HEARTBEAT.md, JSONL sessions, no SQLite. */
async function makeLegacyShape(node: OpenclawTestNode): Promise<void> {
  for (const f of await walk(node.home)) if (/\.sqlite(-wal|-shm)?$/.test(f)) await rm(f, { force: true });
  await rm(join(node.stateDir, 'state'), { recursive: true, force: true });
  const config = JSON5.parse(await readFile(node.configPath, 'utf8'));
  for (const agent of config.agents.list as Array<{ id: string; workspace?: string }>) {
    // onboard leaves the default agent without a workspace of its own: it uses agents.defaults.workspace.
    const ws = agent.workspace ?? config.agents.defaults.workspace;
    if (!(await exists(join(ws, 'TOOLS.md')))) await writeFile(join(ws, 'TOOLS.md'), '# TOOLS.md - Local notes\n\nCamera names, SSH hosts, voices.\n');
    if (!(await exists(join(ws, 'HEARTBEAT.md'))))
      await writeFile(join(ws, 'HEARTBEAT.md'), '# HEARTBEAT.md\n\n# Keep this file empty to skip heartbeat API calls.\n');
    const sessions = join(node.stateDir, 'agents', agent.id, 'sessions');
    await mkdir(sessions, { recursive: true });
    const sessionId = `0a1b2c3d-0000-4000-8000-${agent.id
      .padEnd(12, '0')
      .slice(0, 12)
      .replace(/[^0-9a-f]/g, '0')}`;
    const now = Date.parse('2026-11-21T10:00:00Z');
    await writeFile(
      join(sessions, 'sessions.json'),
      JSON.stringify(
        { [`agent:${agent.id}:main`]: { sessionId, updatedAt: now, totalTokens: 51234, totalTokensFresh: true, contextTokens: 200000, model: 'gpt-test' } },
        null,
        2,
      ) + '\n',
    );
    await writeFile(
      join(sessions, `${sessionId}.jsonl`),
      [
        { type: 'session', version: 3, id: sessionId, timestamp: '2026-11-21T09:59:00.000Z', cwd: ws },
        { type: 'message', timestamp: '2026-11-21T09:59:10.000Z', message: { role: 'user', content: [{ type: 'text', text: 'hello' }] } },
        { type: 'message', timestamp: '2026-11-21T09:59:12.000Z', message: { role: 'assistant', content: [{ type: 'text', text: 'Hi.' }] } },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n') + '\n',
    );
  }
}

async function writeTree(name: string, node: OpenclawTestNode, variants: Variant[], how: string): Promise<void> {
  const out = join(fixturesRoot, name);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  // The CLI's answer comes from a copy, so whatever it writes (SQLite, logs) does not leak into the tree.
  const version = (await node.run(['--version'])).stdout.trim();
  const agentsList = await timed(`${name}: openclaw agents list --json`, () => agentsListOnCopy(node, undefined, undefined));
  await writeFile(join(out, 'agents-list.json'), JSON.stringify(agentsList, null, 2) + '\n');
  await writeFile(join(out, 'version.txt'), version + '\n');
  const { omitted, emptyDirs } = await copySanitised(node.home, join(out, 'home'), node.home);
  for (const variant of variants) {
    const config = JSON5.parse(await readFile(node.configPath, 'utf8'));
    const files = variant.files(config, node.home);
    const answer = await timed(`${name}/${variant.name}: openclaw agents list --json`, () => agentsListOnCopy(node, variant, files));
    const vdir = join(out, 'variants', variant.name);
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(dirname(join(vdir, 'files', rel)), { recursive: true });
      await writeFile(join(vdir, 'files', rel), normalise(text, node.home));
    }
    await writeFile(join(vdir, 'agents-list.json'), JSON.stringify(answer, null, 2) + '\n');
    await writeFile(
      join(vdir, 'variant.json'),
      JSON.stringify({ description: variant.description, ...(variant.stateDir ? { stateDir: variant.stateDir } : {}) }, null, 2) + '\n',
    );
  }
  const manifest = {
    name,
    openclawVersion: version,
    how,
    generatedBy: 'scripts/make-openclaw-fixtures.ts',
    homePlaceholder: HOME_PLACEHOLDER,
    stateDir: '.openclaw',
    omitted,
    emptyDirs,
    variants: variants.map((v) => v.name),
  };
  await writeFile(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  console.log(`[fixtures] wrote ${relative(process.cwd(), out)} (${omitted.length} omitted, ${variants.length} variants)`);
}

/** Copies the node's home, applies a variant, runs `agents list --json` there and normalises paths. */
async function agentsListOnCopy(node: OpenclawTestNode, variant: Variant | undefined, files: Record<string, string> | undefined): Promise<unknown> {
  const copyRoot = await mkdtemp(join(tmpdir(), 'ocm-fixture-copy-'));
  try {
    const home = join(copyRoot, 'home');
    await cp(node.home, home, { recursive: true });
    for (const f of await walk(home)) {
      const bytes = await readFile(f);
      if (!bytes.includes(0) && bytes.includes(node.home)) await writeFile(f, bytes.toString('utf8').split(node.home).join(home));
    }
    if (variant?.stateDir) {
      await cp(join(home, '.openclaw'), join(home, variant.stateDir), { recursive: true });
      await rm(join(home, '.openclaw'), { recursive: true, force: true });
    }
    for (const [rel, text] of Object.entries(files ?? {})) {
      await mkdir(dirname(join(home, rel)), { recursive: true });
      await writeFile(join(home, rel), text.split(node.home).join(home));
    }
    const copy = new OpenclawTestNode(node.install, {
      version: node.version,
      home,
      port: node.port,
      ...(variant?.stateDir ? { stateDir: join(home, variant.stateDir) } : {}),
    });
    const answer = await copy.agentsList();
    return JSON.parse(normalise(JSON.stringify(answer), home));
  } finally {
    await rm(copyRoot, { recursive: true, force: true });
  }
}

async function copySanitised(from: string, to: string, home: string): Promise<{ omitted: string[]; emptyDirs: string[] }> {
  const omitted: string[] = [];
  const emptyDirs: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    const rel = relative(from, dir);
    if (entries.length === 0) emptyDirs.push(rel);
    await mkdir(join(to, rel), { recursive: true });
    for (const e of entries) {
      const src = join(dir, e.name);
      const relPath = relative(from, src);
      if (e.isDirectory()) {
        if (e.name === '.git' || e.name === 'node_modules' || e.name === 'logs') {
          omitted.push(relPath + '/');
          continue;
        }
        await visit(src);
        continue;
      }
      if (!e.isFile()) {
        omitted.push(relPath);
        continue;
      }
      const bytes = await readFile(src);
      const { size } = await stat(src);
      if (/\.key$/.test(e.name)) {
        await writeFile(join(to, relPath), 'fake-fixture-key-material-0000000'.slice(0, size));
      } else if (bytes.includes(0)) {
        if (size > MAX_BINARY_BYTES) omitted.push(relPath);
        else await writeFile(join(to, relPath), bytes);
      } else {
        await writeFile(join(to, relPath), normalise(bytes.toString('utf8'), home));
      }
    }
  };
  await visit(from);
  return { omitted: omitted.sort(), emptyDirs: emptyDirs.sort() };
}

function normalise(text: string, home: string): string {
  return text.split(home).join(HOME_PLACEHOLDER);
}

function stripAgentPaths(config: Json, opts: { dropDefaultsWorkspace: boolean }): Json {
  const c = structuredClone(config);
  const agents = c.agents ?? {};
  const all: Json[] = agents.entries ? Object.values(agents.entries) : (agents.list ?? []);
  for (const a of all) {
    delete a.workspace;
    delete a.agentDir;
  }
  if (opts.dropDefaultsWorkspace && agents.defaults) delete agents.defaults.workspace;
  return c;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

async function timed<T>(what: string, body: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const value = await body();
  console.log(`[fixtures] ${what}: ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return value;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
