/**
 * The generated OpenClaw state trees in test/fixtures/openclaw (scripts/make-openclaw-fixtures.ts),
 * copied into a temp HOME with the `${HOME}` placeholder replaced by that real path.
 */
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** OCM_FIXTURES_DIR lets bundled tests (extension host, where __dirname is out/) find the trees. */
export const FIXTURES_DIR = process.env.OCM_FIXTURES_DIR ?? join(__dirname, '..', 'fixtures', 'openclaw');
export const FIXTURE_TREES = ['v2026.9.6', 'v2026.7.1', 'legacy-list'] as const;
export type FixtureTree = (typeof FIXTURE_TREES)[number];

export interface FixtureManifest {
  name: string;
  openclawVersion: string;
  stateDir: string;
  omitted: string[];
  emptyDirs: string[];
  variants: string[];
}

export interface MaterialisedFixture {
  /** Temp folder holding `home/`; remove with cleanup(). */
  root: string;
  home: string;
  stateDir: string;
  /** `2026.9.6` */
  version: string;
  /** `openclaw agents list --json` as the real CLI answered, paths made absolute for this home. */
  expectedAgents: Array<Record<string, unknown>>;
  /** True when the variant moved the state dir (OPENCLAW_STATE_DIR was set for the CLI). */
  stateDirFromEnv: boolean;
  cleanup(): Promise<void>;
}

export function fixtureManifest(tree: FixtureTree): FixtureManifest {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, tree, 'manifest.json'), 'utf8'));
}

/** Copies a tree (optionally with a variant applied) into a fresh temp HOME. */
export async function materialiseFixture(tree: FixtureTree, variant?: string): Promise<MaterialisedFixture> {
  const src = join(FIXTURES_DIR, tree);
  const manifest = fixtureManifest(tree);
  const root = await mkdtemp(join(tmpdir(), `ocm-fixture-${tree}-`));
  const home = join(root, 'home');
  await cp(join(src, 'home'), home, { recursive: true });
  for (const d of manifest.emptyDirs) await mkdir(join(home, d), { recursive: true });
  let stateRel = manifest.stateDir;
  let agentsFile = join(src, 'agents-list.json');
  if (variant) {
    const vdir = join(src, 'variants', variant);
    const meta = JSON.parse(await readFile(join(vdir, 'variant.json'), 'utf8')) as { stateDir?: string };
    if (meta.stateDir) {
      await cp(join(home, stateRel), join(home, meta.stateDir), { recursive: true });
      await rm(join(home, stateRel), { recursive: true, force: true });
      stateRel = meta.stateDir;
    }
    await cp(join(vdir, 'files'), home, { recursive: true });
    agentsFile = join(vdir, 'agents-list.json');
  }
  await substituteHome(home, home);
  const expectedAgents = JSON.parse((await readFile(agentsFile, 'utf8')).split('${HOME}').join(home));
  const version = /(\d{4}\.\d+\.\d+)/.exec(manifest.openclawVersion)![1]!;
  return {
    root,
    home,
    stateDir: join(home, stateRel),
    version,
    expectedAgents,
    stateDirFromEnv: stateRel !== '.openclaw',
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

async function substituteHome(dir: string, home: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await substituteHome(p, home);
    else if (e.isFile()) {
      const bytes = await readFile(p);
      if (bytes.includes(0) || !bytes.includes('${HOME}')) continue;
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, bytes.toString('utf8').split('${HOME}').join(home));
    }
  }
}
