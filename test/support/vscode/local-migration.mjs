// Two nodes on this machine (host "local") for the migrate preview, shared by the extension test
// (test/extension/migrate-preview.test.ts) and the README scene (test/extension/readme-screenshots.mjs):
// the source "workstation" holds the state tree real OpenClaw 2026.9.6 generated (test/fixtures), its
// ${HOME} paths made absolute; the target "mini" has no state yet. Both run the cached real OpenClaw
// (scripts/openclaw-tools.mjs, handed over by the runner in OCM_TEST_OPENCLAW) through a wrapper
// script, as a user's own install would be on PATH.
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** Writes `<root>/bin/openclaw` running the install described by OCM_TEST_OPENCLAW. */
export function openclawWrapper(root, installJson = process.env.OCM_TEST_OPENCLAW) {
  if (!installJson) {
    throw new Error(
      'OCM_TEST_OPENCLAW is not set: run the extension tests through scripts/vscode-tests.mjs or .vscode-test.mjs, which install OpenClaw 2026.9.6 into the tools cache and pass it on.',
    );
  }
  const install = JSON.parse(installJson);
  const dir = join(root, 'bin');
  mkdirSync(dir, { recursive: true });
  const wrapper = join(dir, 'openclaw');
  const exports = Object.entries(install.env)
    .map(([k, v]) => `export ${k}=${quote(v)}`)
    .join('\n');
  writeFileSync(wrapper, `#!/bin/sh\n${exports}\nexec ${quote(install.nodeBin)} ${quote(install.bin)} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

/**
 * Creates the two nodes under `root` and returns their registry entries and state dirs.
 * @param {string} root an empty temp folder
 * @param {string} fixturesDir test/fixtures/openclaw
 */
export function localMigrationNodes(root, fixturesDir, installJson) {
  const wrapper = openclawWrapper(root, installJson);
  const sourceStateDir = join(root, 'workstation', '.openclaw');
  const targetStateDir = join(root, 'mini', '.openclaw');
  cpSync(join(fixturesDir, 'v2026.9.6', 'home', '.openclaw'), sourceStateDir, { recursive: true });
  // The fixture's "research" agent works in ~/projects/research: keep it inside the copied tree.
  cpSync(join(sourceStateDir, 'workspace'), join(sourceStateDir, 'workspace-research'), { recursive: true });
  const config = join(sourceStateDir, 'openclaw.json');
  writeFileSync(
    config,
    readFileSync(config, 'utf8')
      .replaceAll('${HOME}/projects/research', join(sourceStateDir, 'workspace-research'))
      .replaceAll('${HOME}/.openclaw', sourceStateDir),
  );
  return {
    wrapper,
    sourceStateDir,
    targetStateDir,
    nodes: [
      { id: 'workstation', host: 'local', stateDir: sourceStateDir, openclawPath: wrapper, labels: ['demo'] },
      { id: 'mini', host: 'local', stateDir: targetStateDir, openclawPath: wrapper, labels: ['new'] },
    ],
  };
}
