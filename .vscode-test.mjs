// Extension tests through the standard @vscode/test-cli, for machines that can download desktop
// VS Code (it needs internet: update.code.visualstudio.com):
//
//   node scripts/vscode-tests.mjs --compile-only   # builds dist/ and bundles test/extension/**/*.test.ts
//                                                  # into out/test/extension/*.test.js
//   npx vscode-test                                # desktop; on headless Linux: xvfb-run -a npx vscode-test
//   OCM_VSCODE_TEST_CODE_SERVER=1 npx vscode-test   # offline: "VS Code" is code-server + Chromium
//                                                  # (test/support/vscode/code-shim.mjs; tools: scripts/tools.mjs)
//
// These are the same test files `npm test` runs offline inside code-server (scripts/vscode-tests.mjs);
// there the bundled out/test/extension/index.js run() loads them, here test-cli's own mocha runner does.
import { defineConfig } from '@vscode/test-cli';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureOpenclaw } from './scripts/openclaw-tools.mjs';

// The tests rewrite nodes.json: give them a throw-away ocm home, never the user's real one.
const scratch = mkdtempSync(join(tmpdir(), 'ocm-vscode-test-'));
const ocmHome = join(scratch, 'ocm-home');
const workspace = join(scratch, 'workspace');
mkdirSync(ocmHome, { recursive: true });
mkdirSync(workspace, { recursive: true });
// The migrate preview test runs a real OpenClaw (installed once into the tools cache from the npm registry).
const openclaw = await ensureOpenclaw('2026.9.6');

export default defineConfig({
  label: 'extension',
  files: 'out/test/extension/**/*.test.js',
  extensionDevelopmentPath: import.meta.dirname,
  workspaceFolder: workspace,
  // The lowest VS Code the manifest accepts (engines.vscode), so API use newer than that fails here.
  version: '1.99.0',
  // Same environment scripts/vscode-tests.mjs gives the extension host.
  env: {
    OCM_HOME: ocmHome,
    OCM_FIXTURES_DIR: join(import.meta.dirname, 'test', 'fixtures', 'openclaw'),
    OCM_TEST_OPENCLAW: JSON.stringify({ bin: openclaw.bin, nodeBin: openclaw.nodeBin, env: openclaw.env }),
  },
  launchArgs: ['--disable-extensions'],
  mocha: { ui: 'tdd', timeout: 20_000 },
  ...(process.env.OCM_VSCODE_TEST_CODE_SERVER
    ? { useInstallation: { fromPath: join(import.meta.dirname, 'test', 'support', 'vscode', 'code-shim.mjs') } }
    : {}),
});
