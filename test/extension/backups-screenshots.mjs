// Screenshot scene for backups (listed in test/extension/screenshots.mjs): a node with host "local"
// whose OpenClaw-like state dir (workspace files of the 2026.9.6 fixture) lives in a temp folder;
// two backups are made through the UI ("Back Up All Nodes" twice, with edits in between), then the
// Backups group's "Compare Backups…" action is driven through its quick picks with the keyboard →
// multi-file diff editor.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const fixtureWorkspace = new URL('../fixtures/openclaw/v2026.9.6/home/.openclaw/workspace', import.meta.url).pathname;
let state;

/** Created on first use (when the runner writes the scene's registry) and removed when it exits. */
function stateDirs() {
  if (state) return state;
  const root = mkdtempSync(join(tmpdir(), 'ocm-backup-scene-'));
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  const stateDir = join(root, '.openclaw');
  const workspace = join(stateDir, 'workspace');
  mkdirSync(stateDir, { recursive: true });
  cpSync(fixtureWorkspace, workspace, { recursive: true });
  writeFileSync(join(stateDir, 'openclaw.json'), JSON.stringify({ agents: { list: [{ id: 'main', default: true, workspace }] } }, null, 2) + '\n');
  writeFileSync(join(workspace, 'MEMORY.md'), '# Memory\n\n- The operator prefers short answers.\n- Staging gateway runs on port 18789.\n');
  state = { root, stateDir, workspace };
  return state;
}

/** Runs "Back Up All Nodes" and waits until the expanded Backups group shows `expected` backups. */
async function backUpAll(page, ui, expected) {
  await ui.runCommand(page, 'OpenClaw: Back Up All Nodes');
  const rows = page.locator('.sidebar .monaco-list-row[aria-level="3"][aria-label^="20"]');
  for (let waited = 0; (await rows.count()) < expected; waited += 250) {
    if (waited > 60_000) throw new Error(`the Backups group did not show ${expected} backup(s) within 60 s`);
    await page.waitForTimeout(250);
  }
}

async function pickFirst(page, titleText) {
  await page.locator('.quick-input-widget', { hasText: titleText }).waitFor({ timeout: 15_000 });
  await page.locator('.quick-input-widget .monaco-list-row').first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
}

export const backupScenes = [
  {
    name: 'backup-compare',
    get registry() {
      return { version: 1, nodes: [{ id: 'lab-local', host: 'local', stateDir: stateDirs().stateDir, labels: ['demo'] }] };
    },
    async show(page, ui) {
      const { workspace } = stateDirs();
      await ui.treeRow(page, 'lab-local').click();
      await ui.treeRow(page, 'Backups').click();
      await ui.treeRow(page, 'No backups yet').waitFor({ timeout: 30_000 });
      await backUpAll(page, ui, 1);
      writeFileSync(join(workspace, 'MEMORY.md'), '# Memory\n\n- The operator prefers short answers.\n- Staging gateway moved to port 18790.\n- Nightly backups run at 02:00.\n');
      writeFileSync(join(workspace, 'HEARTBEAT.md'), '# Heartbeat\n\nCheck the inbox every 30 minutes.\n');
      rmSync(join(workspace, 'BOOTSTRAP.md'), { force: true });
      await backUpAll(page, ui, 2);
      // The Backups group's inline "Compare Backups…" action: both picks come from this node.
      // An inline-action click that lands while the tree re-renders after the backup is lost (seen
      // on a loaded 2-core machine): click again until the first pick is there.
      for (let attempt = 1; ; attempt++) {
        const group = ui.treeRow(page, 'Backups');
        await group.hover();
        await group.locator('.action-label[aria-label^="Compare Backups"]').click();
        try {
          await page.locator('.quick-input-widget', { hasText: 'Compare backups (1/2)' }).waitFor({ timeout: 20_000 });
          break;
        } catch (e) {
          if (attempt >= 3) throw e;
          await page.keyboard.press('Escape');
        }
      }
      await pickFirst(page, 'Compare backups (1/2)');
      await pickFirst(page, 'Compare backups (2/2)');
      await page.locator('.editor-group-container .tab', { hasText: '↔' }).waitFor({ timeout: 30_000 });
      await page.locator('.multiDiffEditor, .monaco-diff-editor').first().waitFor({ timeout: 30_000 });
    },
  },
];
