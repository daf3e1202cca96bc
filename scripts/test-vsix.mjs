// End-to-end check of the PACKAGED extension (not the dev folder): builds the .vsix with
// scripts/package.mjs, installs it into a fresh code-server extensions folder with
// `code-server --install-extension`, opens the real workbench (no extensionDevelopmentPath) and
// checks that the OpenClaw view shows the registry's node, that commands run ("Open nodes.json",
// "Show Logs" showing the activation line) and that the Get Started walkthrough is contributed.
//
//   node scripts/test-vsix.mjs        last line "vsix: N passed, N failed" (scripts/test.mjs counts it)
// Everything it starts (code-server's process group, Chromium) is stopped at the end.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { VENDOR } from './bundles.mjs';
import { ensureCodeServer, ensurePlaywrightCore } from './tools.mjs';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const extensionId = `${manifest.publisher}.${manifest.name}`;
const failedShot = join(root, 'test-output', 'screenshots', 'vsix.failed.png');
const BUDGET_S = Number(process.env.OCM_VSIX_TEST_TIMEOUT_S ?? 300);

let passed = 0;
let failed = 0;
async function check(name, fn) {
  const started = Date.now();
  try {
    await fn();
    passed += 1;
    console.log(`  ✔ ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed += 1;
    console.log(`  ✖ ${name}: ${e.message.split('\n').slice(0, 6).join('\n    ')}`);
  }
}

function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Names and contents of a zip's entries (stored or deflated), read from its central directory. */
function readZip(file) {
  const buf = readFileSync(file);
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let offset = buf.readUInt32LE(eocd + 16);
  const entries = new Map();
  for (let i = 0; i < count; i++) {
    const method = buf.readUInt16LE(offset + 10);
    const size = buf.readUInt32LE(offset + 20);
    const nameLength = buf.readUInt16LE(offset + 28);
    const extraLength = buf.readUInt16LE(offset + 30);
    const commentLength = buf.readUInt16LE(offset + 32);
    const local = buf.readUInt32LE(offset + 42);
    const name = buf.toString('utf8', offset + 46, offset + 46 + nameLength);
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(dataStart, dataStart + size);
    entries.set(name, () => (method === 8 ? inflateRawSync(raw) : raw));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

async function main() {
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'ocm-vsix-test-'));
  let server;
  let browser;
  const cleanup = async () => {
    await Promise.race([browser?.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  };
  const watchdog = setTimeout(() => {
    console.error(`[vsix] gave up after ${BUDGET_S}s (OCM_VSIX_TEST_TIMEOUT_S); stopping code-server`);
    void cleanup().finally(() => {
      console.log(`vsix: ${passed} passed, ${failed + 1} failed`);
      process.exit(1);
    });
  }, BUDGET_S * 1000);

  try {
    const tools = await ensureCodeServer();
    await ensurePlaywrightCore();
    const vsix = join(work, `${manifest.name}.vsix`);
    const extensionsDir = join(work, 'extensions');
    const ocmHome = join(work, 'ocm-home');
    const workspace = join(work, 'workspace');
    for (const dir of [extensionsDir, ocmHome, workspace]) mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(ocmHome, 'nodes.json'),
      JSON.stringify({ version: 1, nodes: [{ id: 'packaged-check', host: 'gateway.example.invalid', labels: ['vsix'] }] }, null, 2) + '\n',
    );

    await check('npm run package builds the .vsix', async () => {
      const { code, output } = await run(process.execPath, [join(root, 'scripts', 'package.mjs'), '--quiet', '--out', vsix], { cwd: root });
      if (code !== 0) throw new Error(output);
      console.log(`    ${output.trim().split('\n').pop()}`);
    });

    await check('the .vsix holds only what runs (bundles, manifest, translations, media, README, LICENSE)', async () => {
      const entries = readZip(vsix);
      const names = [...entries.keys()];
      const unexpected = names.filter(
        (n) =>
          !/^(extension\.vsixmanifest|\[Content_Types\]\.xml|extension\/(package\.json|package\.nls(\.ja)?\.json|readme\.md|LICENSE\.txt|dist\/(extension|cli|vendor\/[\w-]+)\.js|l10n\/bundle\.l10n\.ja\.json|media\/.+\.svg))$/.test(
            n,
          ),
      );
      if (unexpected.length) throw new Error(`unexpected files: ${unexpected.join(', ')}`);
      for (const needed of [
        'extension/dist/extension.js',
        ...VENDOR.map((n) => `extension/dist/vendor/${n}.js`),
        'extension/dist/cli.js',
        'extension/package.nls.ja.json',
        'extension/l10n/bundle.l10n.ja.json',
      ]) {
        if (!entries.has(needed)) throw new Error(`${needed} is missing`);
      }
      const bundle = entries.get('extension/dist/extension.js')().toString('utf8');
      if (bundle.includes('sourceMappingURL')) throw new Error('dist/extension.js is not the production build (it references a source map)');
      // Minified: long lines (the dev build averages ~35 characters a line).
      if (bundle.length / bundle.split('\n').length < 500) throw new Error('dist/extension.js is not minified');
    });

    await check('code-server --install-extension installs it', async () => {
      const env = { ...process.env, XDG_CONFIG_HOME: join(work, 'xdg-config'), XDG_DATA_HOME: join(work, 'xdg-data'), TMPDIR: work };
      const { code, output } = await run(
        tools.node,
        [tools.entry, '--install-extension', vsix, '--extensions-dir', extensionsDir, '--user-data-dir', join(work, 'install-user-data')],
        { env },
      );
      if (code !== 0 || !/successfully installed/i.test(output)) throw new Error(`exit ${code}: ${output}`);
      const folder = readdirSync(extensionsDir).find((n) => n.startsWith(`${extensionId}-`));
      if (!folder) throw new Error(`no ${extensionId}-* folder in ${readdirSync(extensionsDir).join(', ')}`);
      if (!existsSync(join(extensionsDir, folder, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing in the installed folder');
    });

    const { startCodeServer } = await import('../test/support/vscode/code-server.mjs');
    const ui = await import('../test/support/vscode/workbench.mjs');
    server = await startCodeServer({ workspace, stateDir: join(work, 'code-server'), extensionsDir, env: { OCM_HOME: ocmHome } });
    browser = await ui.launchChromium();
    const page = await ui.newWorkbenchPage(browser);
    try {
      // No extensionDevelopmentPath: the only OpenClaw Manager here is the installed package.
      await ui.openWorkbench(page, server.workbenchUrl({}));

      await check('the OpenClaw view opens and shows the node from nodes.json', async () => {
        await ui.openViewContainer(page, 'OpenClaw', { timeoutMs: 60_000 });
        await ui.treeRow(page, 'packaged-check').waitFor({ timeout: 30_000 });
      });

      await check('a command works: "OpenClaw: Open nodes.json" opens the registry', async () => {
        await ui.runCommand(page, 'OpenClaw: Open nodes.json');
        await page.locator('.editor-group-container .tab', { hasText: 'nodes.json' }).waitFor({ timeout: 15_000 });
        await page.locator('.editor-group-container .view-lines', { hasText: 'packaged-check' }).first().waitFor({ timeout: 15_000 });
      });

      await check('"OpenClaw: Show Logs" shows the log with the activation line', async () => {
        await ui.runCommand(page, 'OpenClaw: Show Logs');
        await page.locator('.panel .view-lines', { hasText: 'activated in' }).first().waitFor({ timeout: 15_000 });
      });

      await check('the Get Started walkthrough is contributed', async () => {
        await ui.runCommand(page, 'Welcome: Open Walkthrough...');
        await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Get Started with OpenClaw Manager' }).first().waitFor({ timeout: 15_000 });
        await page.keyboard.press('Escape');
      });
    } finally {
      if (failed > 0) {
        mkdirSync(join(root, 'test-output', 'screenshots'), { recursive: true });
        await page.screenshot({ path: failedShot }).catch(() => {});
        console.log(`  (what the page showed: ${failedShot.slice(root.length + 1)})`);
      }
      await page.context().close();
    }
  } catch (e) {
    failed += 1;
    console.error(`[vsix] ${e.stack ?? e.message}`);
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
  console.log(`[vsix] done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  console.log(`vsix: ${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
