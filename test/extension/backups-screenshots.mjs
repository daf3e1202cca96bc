// Screenshot scene for backups (listed in test/extension/screenshots.mjs), on the live demo fleet
// (test/support/vscode/demo-fleet.mjs: real OpenClaw 2026.9.6 nodes demo-a and demo-b, host
// "local", shared with the README scenes): two backups are made through the UI ("Back Up All
// Nodes" twice, with the agents' edits in between), then demo-a's Backups group's "Compare
// Backups…" action is driven through its quick picks with the keyboard → multi-file diff editor.
// (The demo's own first backups live in the demo's ocm home, not in the workbench's store.)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bothReady, demoFleet } from '../support/vscode/demo-fleet.mjs';

/** Runs "Back Up All Nodes" and waits until the expanded Backups group shows `expected` backups. */
const backupRows = (page) => page.locator('.sidebar .monaco-list-row[aria-level="3"][aria-label^="20"]');

async function backUpAll(page, ui, expected) {
  await ui.runCommand(page, 'OpenClaw: Back Up All Nodes');
  const rows = backupRows(page);
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
      return demoFleet().registry;
    },
    async show(page, ui) {
      const fleet = demoFleet();
      await bothReady(page, ui, { ids: ['demo-a'] });
      await ui.treeRow(page, 'demo-a').click();
      await ui.treeRow(page, 'Backups').click();
      // The shared demo fleet may already hold backups (its own first one, other scenes'): count them.
      await ui.treeRow(page, 'No backups yet').or(backupRows(page).first()).waitFor({ timeout: 30_000 });
      const before = await backupRows(page).count();
      await backUpAll(page, ui, before + 1);
      // The agents work between the two backups: a memory note, a new daily note, a support macro.
      fleet.agentAppends('demo-a', 'Customer "Northwind" moved to the EU region; update the routing note when confirmed.');
      writeFileSync(
        join(fleet.workspace('demo-a'), 'memory', '2026-12-03.md'),
        '# 2026-12-03\n\n- 08:30 UTC summary sent to Dana: 212 orders overnight, 0 failed exports.\n- Stock sync lagged 40 min at 06:00; back in step by 06:45.\n',
      );
      writeFileSync(
        join(fleet.workspace('demo-a', 'support'), 'HEARTBEAT.md'),
        '# Heartbeat\n\nCheck the support inbox every 30 minutes; escalate refunds over 50 EUR to Sam.\n',
      );
      await backUpAll(page, ui, before + 2);
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
