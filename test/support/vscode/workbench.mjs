// Drives the code-server workbench in Debian's Chromium through playwright-core: runs the extension
// test payload and takes screenshots of the real UI. Reuse these for new screenshots:
//
//   const browser = await launchChromium();
//   const page = await newWorkbenchPage(browser);
//   await openWorkbench(page, server.workbenchUrl({ extensionDevelopmentPath: repoRoot }));
//   await screenshotViewContainer(page, { title: 'OpenClaw', file: 'test-output/screenshots/x.png' });
// The screenshots `npm test` takes are listed as scenes in test/extension/screenshots.mjs.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { format } from 'node:util';
import { chromiumPath, ensurePlaywrightCore } from '../../../scripts/tools.mjs';

// Without the background-networking flags Chromium keeps dialing out on a closed network.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launchChromium() {
  const { chromium } = await ensurePlaywrightCore();
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
}

export async function newWorkbenchPage(browser, { width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  return context.newPage();
}

/** Loads a workbench URL and waits until the activity bar is drawn. */
export async function openWorkbench(page, url, { timeoutMs = 60_000 } = {}) {
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  await page.waitForSelector('.monaco-workbench .activitybar', { timeout: timeoutMs });
}

/**
 * Opens a URL whose payload has extensionTestsPath and resolves with the exit code VS Code reports
 * when the tests' run() settles. Console lines of the extension host go to onLog as text.
 * The page functions must exist before navigation: the workbench looks them up while starting.
 */
export async function runTestPayload(page, url, { onLog = (line) => console.log(line), timeoutMs = 240_000 } = {}) {
  let reportExit;
  const exited = new Promise((resolve) => (reportExit = resolve));
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const parts = Array.isArray(args) ? args : [args];
    onLog(format(...parts), type);
  });
  await page.exposeFunction('codeAutomationExit', (code) => reportExit(Number(code)));
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  let timer;
  const timedOut = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`The extension tests did not report an exit code within ${timeoutMs / 1000}s.`)), timeoutMs);
  });
  try {
    return await Promise.race([exited, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Clicks a view container in the activity bar (by its title) and waits until its first tree row
 * (or, for an empty tree, its welcome content) is drawn.
 */
export async function openViewContainer(page, title, { rowSelector = '.monaco-list-row, .sidebar .welcome-view-content', timeoutMs = 30_000 } = {}) {
  const entry = page.locator(`.activitybar [aria-label^="${title}"]`).first();
  await entry.waitFor({ timeout: timeoutMs });
  const selected = await entry.evaluate((el) => el.closest('.action-item')?.classList.contains('checked') ?? false);
  if (!selected) await entry.click();
  await page.locator(`.sidebar ${rowSelector}`).first().waitFor({ timeout: timeoutMs });
}

/** A row of the side bar's tree whose label starts with `label`. */
export function treeRow(page, label) {
  return page.locator(`.sidebar .monaco-list-row[aria-label^="${label}"]`).first();
}

/** Clicks an action in the side bar's view title (by its tooltip/aria label, e.g. "Refresh"). */
export async function clickViewAction(page, label, { timeoutMs = 10_000 } = {}) {
  const action = page
    .locator(`.sidebar .title-actions .action-label[aria-label^="${label}"], .sidebar .pane-header .action-label[aria-label^="${label}"]`)
    .first();
  await action.waitFor({ timeout: timeoutMs });
  await action.click();
}

/** Runs a command through the command palette by its title (e.g. "OpenClaw: Refresh"). */
export async function runCommand(page, title, { timeoutMs = 10_000 } = {}) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: timeoutMs });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor({ timeout: timeoutMs });
  await page.keyboard.press('Enter');
}

/** Moves the mouse off everything (no hover tooltips) and saves a PNG of the whole workbench. */
export async function screenshotWorkbench(page, file, { settleMs = 1000 } = {}) {
  const { width, height } = page.viewportSize();
  await page.mouse.move(width / 2, height - 60);
  // Icons and codicons arrive a moment after the rows.
  await page.waitForTimeout(settleMs);
  mkdirSync(dirname(file), { recursive: true });
  await page.screenshot({ path: file });
  return file;
}

/** Opens the view container and saves a PNG of the whole workbench. Returns the file. */
export async function screenshotViewContainer(page, { title, file, settleMs = 1000 }) {
  await openViewContainer(page, title);
  return screenshotWorkbench(page, file, { settleMs });
}
