// Screenshot scenes for the README (listed in test/extension/screenshots.mjs): a node with host
// "local" whose state dir holds the workspace files of the OpenClaw 2026.9.6 fixture, in a temp
// folder. `node scripts/vscode-tests.mjs --screenshot-only readme` takes them; copy the results
// from test-output/screenshots/ to docs/screenshots/ when the UI changes.
//
//   readme-tree-memory   the Nodes tree expanded to an agent, its MEMORY.md open in an editor
//   readme-conflict      the safe-save conflict dialog: the agent rewrote MEMORY.md after it was opened
//   readme-walkthrough   the Get Started walkthrough on its first step (what a node is, Add Node)
//   readme-japanese      the same tree and file with VS Code's display language set to Japanese: the
//                        extension's view, commands and context menu in Japanese (a check that
//                        package.nls.ja.json and the l10n bundle load in a real workbench)
//   readme-migrate       "Migrate to…" from the context menu: the adapted openclaw.json as a diff
//                        against the source's, with the confirmation (real OpenClaw 2026.9.6, two
//                        nodes on this machine; nothing is applied)
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localMigrationNodes } from '../support/vscode/local-migration.mjs';

const fixtureWorkspace = new URL('../fixtures/openclaw/v2026.9.6/home/.openclaw/workspace', import.meta.url).pathname;
const MEMORY = [
  '# Memory',
  '',
  '- The operator prefers short answers in English or Japanese.',
  '- Staging gateway runs on port 18789; production on gateway-1.',
  '- Nightly backups at 02:00 (ocm backup --all from cron).',
  '- Ask before restarting the production gateway.',
  '',
].join('\n');

/** A fresh state dir per scene (scenes may edit it); all removed when the runner exits. */
function stateDir(name) {
  const root = mkdtempSync(join(tmpdir(), `ocm-readme-${name}-`));
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, '.openclaw');
  const workspace = join(dir, 'workspace');
  const research = join(dir, 'workspace-research');
  mkdirSync(dir, { recursive: true });
  cpSync(fixtureWorkspace, workspace, { recursive: true });
  cpSync(fixtureWorkspace, research, { recursive: true });
  writeFileSync(join(workspace, 'MEMORY.md'), MEMORY);
  writeFileSync(
    join(dir, 'openclaw.json'),
    JSON.stringify({ agents: { list: [{ id: 'main', default: true, workspace }, { id: 'research', workspace: research }] } }, null, 2) + '\n',
  );
  return { dir, workspace };
}

function localRegistry(state) {
  return {
    version: 1,
    nodes: [
      { id: 'studio', host: 'local', stateDir: state.dir, labels: ['demo'] },
      { id: 'gateway-1', host: 'gateway-1.example.net', user: 'claw', labels: ['prod'] },
    ],
  };
}

/** Expands the local node and its default agent, then opens MEMORY.md from the tree. */
async function openMemory(page, ui) {
  await ui.treeRow(page, 'studio').click();
  await ui.treeRow(page, 'main').waitFor({ timeout: 30_000 });
  await ui.treeRow(page, 'main').click();
  // File rows are labelled by their path: find the row by its text.
  const memory = page.locator('.sidebar .monaco-list-row', { hasText: 'MEMORY.md' }).first();
  await memory.waitFor({ timeout: 30_000 });
  await memory.click();
  await page.locator('.editor-group-container .tab', { hasText: 'MEMORY.md' }).waitFor({ timeout: 30_000 });
  await page.locator('.editor-group-container .view-lines', { hasText: 'Staging gateway' }).first().waitFor({ timeout: 30_000 });
}

const ja = JSON.parse(readFileSync(new URL('../../package.nls.ja.json', import.meta.url), 'utf8'));

const scenes = {};
const stateFor = (name) => (scenes[name] ??= stateDir(name));

let migration;
function migrationNodes() {
  if (!migration) {
    const root = mkdtempSync(join(tmpdir(), 'ocm-readme-migrate-'));
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
    migration = localMigrationNodes(root, new URL('../fixtures/openclaw', import.meta.url).pathname);
  }
  return migration;
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
    name: 'readme-tree-memory',
    get registry() {
      return localRegistry(stateFor('tree'));
    },
    async show(page, ui) {
      await openMemory(page, ui);
    },
  },
  {
    name: 'readme-conflict',
    get registry() {
      return localRegistry(stateFor('conflict'));
    },
    async show(page, ui) {
      const { workspace } = stateFor('conflict');
      await openMemory(page, ui);
      await page.locator('.editor-group-container .view-lines').first().click();
      await page.keyboard.press('Control+End');
      await page.keyboard.type('- Remember: the operator is on call this week.\n');
      // Meanwhile the agent rewrites its memory file on the node (same size: only the hash tells).
      const file = join(workspace, 'MEMORY.md');
      writeFileSync(file, readFileSync(file, 'utf8').replace('short answers', 'brief answers'));
      await page.keyboard.press('Control+S');
      await page.locator('.monaco-dialog-box', { hasText: 'changed on node' }).waitFor({ timeout: 30_000 });
    },
  },
  {
    name: 'readme-japanese',
    locale: 'ja',
    get registry() {
      return localRegistry(stateFor('ja'));
    },
    async show(page, ui) {
      await page.locator('.sidebar .pane-header, .sidebar .composite.title', { hasText: ja['view.nodes.name'] }).first().waitFor({ timeout: 30_000 });
      await openMemory(page, ui);
      await ui.treeRow(page, 'studio').click({ button: 'right' });
      await page.locator('.context-view .action-label', { hasText: ja['command.backupNode'] }).first().waitFor({ timeout: 15_000 });
      await page.locator('.context-view .action-label', { hasText: ja['command.restartGateway'] }).first().waitFor({ timeout: 15_000 });
    },
  },
  {
    name: 'readme-walkthrough',
    registry: { version: 1, nodes: [] },
    async show(page, ui) {
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
      return { version: 1, nodes: migrationNodes().nodes };
    },
    // Last: windows restore the previous scenes' editors, and those are of other nodes.
    async show(page, ui) {
      // A context-menu click that lands while the tree re-renders is lost (seen on a loaded 2-core
      // machine): open the menu again until the first question is there.
      for (let attempt = 1; ; attempt++) {
        await ui.treeRow(page, 'workstation').click({ button: 'right' });
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
      await answer(page, 'mini', { row: 'mini' });
      await answer(page, ''); // state dir: the target's configured one
      await answer(page, '18999');
      await answer(page, 'Generate', { row: 'Generate a new gateway token' });
      await page.locator('.monaco-dialog-box', { hasText: 'Apply this plan' }).waitFor({ timeout: 60_000 });
      await page.locator('.editor-group-container .tab', { hasText: 'Migration preview' }).first().waitFor({ timeout: 15_000 });
    },
  },
];
