// Screenshot scene of the dashboard (listed in test/extension/screenshots.mjs), on three nodes on
// this machine: "studio" runs a real OpenClaw 2026.9.6 gateway on loopback (ready), "lab" has a
// copy of its state on another port and no gateway running (gateway down), "edge" is a port nothing listens on
// (unreachable). The scene clicks "Back Up" on studio's card in the real webview page and waits
// until the card shows the new backup's age. `node scripts/vscode-tests.mjs --screenshot-only
// dashboard` takes it (and dashboard-ja, the same in VS Code's Japanese); copy
// test-output/screenshots/dashboard.png and dashboard-ja.png to docs/screenshots/.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayNode } from '../support/vscode/gateway-node.mjs';

let fleet;

/** A loopback port free a moment ago, found synchronously (scene registries are computed synchronously). */
function freePortSync() {
  const r = spawnSync(
    process.execPath,
    ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})"],
    { encoding: 'utf8' },
  );
  const port = Number(r.stdout);
  if (!port) throw new Error(`no free port: ${r.stderr}`);
  return port;
}

function dashboardFleet() {
  if (fleet) return fleet;
  const root = mkdtempSync(join(tmpdir(), 'ocm-dashboard-scene-'));
  const studio = gatewayNode(root, { id: 'studio', port: freePortSync(), labels: ['demo'] });
  // "lab": a copy of studio's state on another port, whose gateway is never started (one onboarding
  // only: the scene's time budget is 90 s on a loaded machine).
  const labState = join(root, 'lab', 'state');
  cpSync(studio.stateDir, labState, { recursive: true });
  const config = join(labState, 'openclaw.json');
  const parsed = JSON.parse(readFileSync(config, 'utf8'));
  parsed.gateway.port = freePortSync();
  writeFileSync(config, JSON.stringify(parsed, null, 2) + '\n');
  const lab = { entry: { ...studio.entry, id: 'lab', stateDir: labState } };
  process.once('exit', () => {
    studio.killNow();
    rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });
  fleet = {
    studio,
    lab,
    registry: { version: 1, nodes: [studio.entry, lab.entry, { id: 'edge', host: '127.0.0.1', port: 9, user: 'nobody', labels: ['offline'] }] },
  };
  return fleet;
}

/** The dashboard's page: a frame inside the webview's iframes. */
async function dashboardFrame(page, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (
        await frame
          .locator('#cards')
          .count()
          .catch(() => 0)
      )
        return frame;
    }
    await page.waitForTimeout(250);
  }
  throw new Error('the dashboard webview did not appear');
}

const nls = JSON.parse(readFileSync(new URL('../../package.nls.ja.json', import.meta.url), 'utf8'));
const bundle = JSON.parse(readFileSync(new URL('../../l10n/bundle.l10n.ja.json', import.meta.url), 'utf8'));
/** The words the scene looks for, in English or in the extension's Japanese. */
const words = (ja) => {
  const t = (en) => (ja ? bundle[en] : en);
  return {
    command: `OpenClaw: ${ja ? nls['command.openDashboard'] : 'Open Dashboard'}`,
    ready: t('Ready'),
    down: t('Gateway down'),
    unreachable: t('Unreachable'),
    backUp: t('Back Up'),
    lastBackup: t('Last backup {0} ago').split(' {0}')[0],
  };
};

/** The dashboard scene; `ja`: the same on the code-server whose display language is Japanese. */
function dashboardScene(name, ja) {
  const w = words(ja);
  return {
    name,
    ...(ja ? { locale: 'ja' } : {}),
    get registry() {
      return dashboardFleet().registry;
    },
    // The gateway is up before the window opens: started while the extension's tree runs
    // `openclaw` on the same state, its startup migration can find Doctor's maintenance lock taken
    // and exit 78 (seen once in CI). The dashboard test starts its gateway first the same way.
    async prepare() {
      await dashboardFleet().studio.start();
    },
    async show(page, ui) {
      await ui.runCommand(page, w.command);
      const frame = await dashboardFrame(page);
      const card = (id) => frame.locator(`.card[data-node="${id}"]`);
      // The health checks run while the dashboard (and the Nodes view) are visible.
      await card('studio').locator('.state', { hasText: w.ready }).waitFor({ timeout: 90_000 });
      await card('lab').locator('.state', { hasText: w.down }).waitFor({ timeout: 60_000 });
      await card('edge').locator('.state', { hasText: w.unreachable }).waitFor({ timeout: 60_000 });
      // A real click in the page: the message goes to the extension, which runs "Back Up".
      await card('studio')
        .getByRole('button', { name: new RegExp(`^${w.backUp}`) })
        .first()
        .click();
      await card('studio').locator('.backup', { hasText: w.lastBackup }).waitFor({ timeout: 90_000 });
      if (!ja) {
        // The keyboard reaches the card buttons (focus order: Refresh, then each card's buttons).
        await frame.locator('#refresh').focus();
        await page.keyboard.press('Tab');
        const focused = await frame.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? '');
        if (!/main|Back Up/.test(focused)) throw new Error(`Tab from Refresh focused "${focused}", not the first card's first control`);
        await page.keyboard.press('Shift+Tab');
      }
      // Let the notifications of the backup fade from the picture's centre.
      await page.waitForTimeout(500);
    },
  };
}

export const dashboardScenes = [dashboardScene('dashboard', false), dashboardScene('dashboard-ja', true)];
