// Screenshots of the real workbench, taken by scripts/vscode-tests.mjs after the extension tests
// (or alone: `node scripts/vscode-tests.mjs --screenshot-only [name filter]`). Files go to
// test-output/screenshots/<name>.png.
//
// To add one, append a scene. Each scene gets a fresh workbench window on a fresh extension host:
//   registry  nodes.json content to start from (the extension reads it through OCM_HOME)
//   show      async (page, ui) => { ... } brings the UI into the state to capture; the view
//             container "OpenClaw" is already open. `ui` has helpers from test/support/vscode/workbench.mjs:
//             openViewContainer(page, title), clickViewAction(page, label), runCommand(page, title),
//             treeRow(page, label) (a playwright Locator).
//   prepare   optional async () => { ... } run before the window opens (a gateway the scene needs up
//             before the extension's tree starts running commands on its node)
//   locale    optional display language (e.g. "ja"): the scene runs on a second code-server started
//             in that language (test/support/vscode/code-server.mjs installDisplayLanguage).
import { readFileSync } from 'node:fs';
import { backupScenes } from './backups-screenshots.mjs';
import { dashboardScenes } from './dashboard-screenshots.mjs';
import { readmeScenes } from './readme-screenshots.mjs';

const demo = JSON.parse(readFileSync(new URL('../../scripts/demo/nodes.json', import.meta.url), 'utf8'));

export const scenes = [
  {
    name: 'nodes-view',
    registry: demo,
    async show() {},
  },
  {
    name: 'nodes-view-retired',
    registry: demo,
    async show(page, ui) {
      await ui.clickViewAction(page, 'Show Retired Nodes');
      await ui.treeRow(page, 'old-mini').waitFor();
    },
  },
  {
    name: 'nodes-view-empty',
    registry: { version: 1, nodes: [] },
    async show(page) {
      await page.locator('.sidebar .welcome-view-content', { hasText: 'Add node' }).waitFor();
    },
  },
  {
    name: 'registry-open',
    registry: demo,
    async show(page, ui) {
      await ui.runCommand(page, 'OpenClaw: Open nodes.json');
      await page.locator('.editor-group-container .tab', { hasText: 'nodes.json' }).waitFor();
    },
  },
  ...backupScenes,
  ...dashboardScenes,
  ...readmeScenes,
];
