// Screenshot scenes for the README (listed in test/extension/screenshots.mjs), on the live demo
// fleet: two real OpenClaw 2026.9.6 nodes demo-a and demo-b on this machine (host "local", gateways
// ready on loopback), built once by the demo builder for every scene (test/support/vscode/demo-fleet.mjs).
// `node scripts/vscode-tests.mjs --screenshot-only readme` takes them into test-output/screenshots/;
// copy them to docs/screenshots/ (the README's names in brackets) when the UI changes.
//
//   readme-nodes         [nodes-view.png] both nodes ready (health icons), expanded to their agents
//                        main, research and support; research's SOUL.md open
//   readme-tree-memory   [tree-memory.png] demo-a expanded to main, its MEMORY.md open in an editor
//   readme-conflict      [safe-save-conflict.png] the safe-save conflict dialog: the agent corrected
//                        a note in MEMORY.md on the node after it was opened and edited
//   readme-japanese      [japanese-ui.png] the same tree and file with VS Code's display language set
//                        to Japanese: the extension's view, commands and context menu in Japanese (a
//                        check that package.nls.ja.json and the l10n bundle load in a real workbench)
//   readme-walkthrough   [walkthrough.png] the Get Started walkthrough on its first step (empty registry)
//   readme-migrate       [migrate-preview.png] "Migrate to…" demo-a → demo-b from the context menu: the
//                        adapted openclaw.json as a diff against the source's, with the confirmation
//                        (into a new state dir beside demo-b's, port 18999; nothing is applied)
// "Comparing two backups" is backups-screenshots.mjs (backup-compare.png), on the same fleet.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bothReady, demoFleet } from '../support/vscode/demo-fleet.mjs';

const ja = JSON.parse(readFileSync(new URL('../../package.nls.ja.json', import.meta.url), 'utf8'));

/** Expands a node and one of its agents (clicks on the rows; the tree loads each level through the node). */
async function expandAgent(page, ui, nodeId, agent) {
  const node = ui.treeRow(page, nodeId);
  if ((await node.getAttribute('aria-expanded')) !== 'true') await node.click();
  const row = page.locator(`.sidebar .monaco-list-row[aria-level="2"][aria-label^="${agent}"]`).first();
  await row.waitFor({ timeout: 60_000 });
  await row.click();
}

/** Opens a file row (rows are labelled by their path: found by text) of the expanded agent and waits for `text` in the editor. */
async function openFile(page, name, text) {
  const file = page.locator('.sidebar .monaco-list-row[aria-level="3"]', { hasText: name }).first();
  await file.waitFor({ timeout: 30_000 });
  await file.click();
  await page.locator('.editor-group-container .tab', { hasText: name }).waitFor({ timeout: 30_000 });
  await page.locator('.editor-group-container .view-lines', { hasText: text }).first().waitFor({ timeout: 30_000 });
}

async function openMemory(page, ui, checkTitle) {
  await bothReady(page, ui, checkTitle ? { title: checkTitle } : {});
  await expandAgent(page, ui, 'demo-a', 'main');
  await openFile(page, 'MEMORY.md', 'Standing decisions');
}

/** Types into the open quick input (pick or input box) and accepts. */
async function answer(page, text, { row } = {}) {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 30_000 });
  await input.fill(text);
  if (row) await page.locator('.quick-input-widget .monaco-list-row', { hasText: row }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
  await page.waitForTimeout(300);
}

export const readmeScenes = [
  {
    name: 'readme-nodes',
    get registry() {
      return demoFleet().registry;
    },
    async show(page, ui) {
      await bothReady(page, ui);
      await expandAgent(page, ui, 'demo-a', 'research');
      await openFile(page, 'SOUL.md', 'SOUL');
      // demo-b's agents below demo-a's (then the focus goes back to the editor: no selected row).
      await ui.treeRow(page, 'demo-b').click();
      await page.locator('.sidebar .monaco-list-row[aria-level="2"][aria-label^="support"]').nth(1).waitFor({ timeout: 60_000 });
      for (const agent of ['main', 'research', 'support']) {
        if ((await page.locator(`.sidebar .monaco-list-row[aria-level="2"][aria-label^="${agent}"]`).count()) < 2)
          throw new Error(`the tree does not show ${agent} on both nodes`);
      }
      await page.locator('.editor-group-container .view-lines').first().click();
    },
  },
  {
    name: 'readme-tree-memory',
    get registry() {
      return demoFleet().registry;
    },
    async show(page, ui) {
      await openMemory(page, ui);
    },
  },
  {
    name: 'readme-conflict',
    get registry() {
      return demoFleet().registry;
    },
    async show(page, ui) {
      await openMemory(page, ui);
      await page.locator('.editor-group-container .view-lines').first().click();
      await page.keyboard.press('Control+End');
      await page.keyboard.type('- 2026-12-02 — Dana: the winter sale ends Sunday 23:59 CET.\n');
      // Meanwhile the agent corrects a note in its memory on the node. Same size on purpose: a write
      // that changes the size (the demo agent's append) is caught first by VS Code's own mtime/size
      // check ("the content of the file is newer"), before the extension's safe save sees it.
      demoFleet().agentRewrites('demo-a', 'orders up 40 %', 'orders up 42 %');
      await page.keyboard.press('Control+S');
      await page.locator('.monaco-dialog-box', { hasText: 'changed on node' }).waitFor({ timeout: 30_000 });
    },
  },
  {
    name: 'readme-japanese',
    locale: 'ja',
    get registry() {
      return demoFleet().registry;
    },
    async show(page, ui) {
      await page.locator('.sidebar .pane-header, .sidebar .composite.title', { hasText: ja['view.nodes.name'] }).first().waitFor({ timeout: 30_000 });
      await openMemory(page, ui, `OpenClaw: ${ja['command.checkStatus']}`);
      await ui.treeRow(page, 'demo-a').click({ button: 'right' });
      await page.locator('.context-view .action-label', { hasText: ja['command.backupNode'] }).first().waitFor({ timeout: 15_000 });
      await page.locator('.context-view .action-label', { hasText: ja['command.restartGateway'] }).first().waitFor({ timeout: 15_000 });
    },
  },
  {
    name: 'readme-walkthrough',
    registry: { version: 1, nodes: [] },
    async show(page) {
      // The empty Nodes view links to the walkthrough.
      const link = page.locator('.sidebar .welcome-view-content a', { hasText: 'Get Started walkthrough' }).first();
      await link.waitFor({ timeout: 15_000 });
      await link.click();
      await page.locator('.gettingStartedContainer', { hasText: 'Add a node' }).waitFor({ timeout: 30_000 });
      await page.locator('.gettingStartedContainer', { hasText: 'paired device' }).waitFor({ timeout: 15_000 });
    },
  },
  {
    name: 'readme-migrate',
    get registry() {
      return demoFleet().registry;
    },
    async show(page, ui) {
      await bothReady(page, ui);
      // A context-menu click that lands while the tree re-renders is lost (seen on a loaded 2-core
      // machine): open the menu again until the first question is there.
      for (let attempt = 1; ; attempt++) {
        await ui.treeRow(page, 'demo-a').click({ button: 'right' });
        const item = page.locator('.context-view .action-label', { hasText: 'Migrate to' }).first();
        await item.click();
        // The menu sometimes takes the click as focus only: Enter then runs the focused item.
        if (await item.isVisible().catch(() => false)) await page.keyboard.press('Enter');
        try {
          await page.locator('.quick-input-widget input').waitFor({ timeout: 20_000 });
          break;
        } catch (e) {
          if (attempt >= 3) throw e;
          await page.keyboard.press('Escape');
        }
      }
      await answer(page, 'demo-b', { row: 'demo-b' });
      // demo-b's own state dir holds its running node (the UI does not replace one): a new folder
      // beside it, on a port of its own.
      await answer(page, join(dirname(demoFleet().stateDir('demo-b')), 'state-from-demo-a'));
      await answer(page, '18999');
      await answer(page, 'Keep', { row: 'Keep the gateway token' });
      await page.locator('.monaco-dialog-box', { hasText: 'Apply this plan' }).waitFor({ timeout: 60_000 });
      await page.locator('.editor-group-container .tab', { hasText: 'Migration preview' }).first().waitFor({ timeout: 15_000 });
    },
  },
];
