// Runs the extension tests (test/extension/**/*.test.ts, mocha TDD) inside a real VS Code:
// code-server from npm, driven by Debian's Chromium through playwright-core (desktop VS Code cannot
// be downloaded here). Then saves a screenshot of the workbench with the Nodes view open.
//
//   node scripts/vscode-tests.mjs                 tests + screenshot; last line "extension: N passed, N failed"
//   node scripts/vscode-tests.mjs --grep tree     only tests whose full title contains "tree" (also: a bare word)
//   node scripts/vscode-tests.mjs --screenshot-only [name]   only the screenshots (scenes: test/extension/screenshots.mjs)
//   node scripts/vscode-tests.mjs --compile-only  build + bundle the tests for `npx vscode-test` (.vscode-test.mjs)
//
// Environment: OCM_VSCODE_TEST_TIMEOUT_S (default 300) bounds the test run after the tools are ready
// (each screenshot scene adds 90 s);
// OCM_TOOLS_DIR moves the tools cache; OCM_VSCODE_TEST_VERBOSE=1 also prints code-server's own log.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ensureCodeServer, ensurePlaywrightCore, chromiumPath } from './tools.mjs';
import { ensureOpenclaw } from './openclaw-tools.mjs';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
// `npx vscode-test` (.vscode-test.mjs) reads the bundles from out/test/extension; our own runs use a
// folder per run (still inside the checkout, so `require('mocha')` resolves) and remove it after, so
// two runs in one checkout do not rebuild each other's files.
const testCliOut = join(root, 'out', 'test', 'extension');
const screenshotsDir = join(root, 'test-output', 'screenshots');
const workbenchLogFile = join(root, 'test-output', 'vscode-tests.log');
const serverLogFile = join(root, 'test-output', 'code-server.log');
const VIEW_CONTAINER_TITLE = 'OpenClaw';

// Workbench chatter that is expected offline; it still goes to test-output/vscode-tests.log.
const WORKBENCH_NOISE = [
  /ENOTFOUND (open-vsx\.org|marketplace\.visualstudio\.com|update\.code\.visualstudio\.com|default\.exp-tas\.com|api\.github\.com|github\.com)/,
  /^\[(lifecycle|AccountPolicyGate|Service Worker|AgentHost[^\]]*|reconnection-grace-time)\]/,
  /^(Resolving|Resolved) connection token/,
  /^Creating a socket/,
  /^Updating additional builtin extensions cache/,
  /^Timed out waiting for authentication provider 'github' to register/,
  // The workbench cancels its pending reads when the test run closes it.
  /^Unable to read file '[^']*' \(Canceled: Canceled\)/,
];
const isNoise = (line) => WORKBENCH_NOISE.some((re) => re.test(line));

function parseArgs(argv) {
  const options = { grep: undefined, screenshotOnly: false, compileOnly: false, screenshot: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--grep') options.grep = argv[++i];
    else if (arg.startsWith('--grep=')) options.grep = arg.slice('--grep='.length);
    else if (arg === '--screenshot-only') options.screenshotOnly = true;
    else if (arg === '--compile-only') options.compileOnly = true;
    else if (arg === '--no-screenshot') options.screenshot = false;
    else if (!arg.startsWith('-')) options.grep = arg;
    else {
      console.error(`Unknown option ${arg}. Usage: node scripts/vscode-tests.mjs [--grep TEXT] [--screenshot-only] [--no-screenshot] [--compile-only]`);
      process.exit(2);
    }
  }
  return options;
}

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)}s`;
const say = (message) => console.log(`[vscode-tests] ${message}`);

function runNode(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`node ${args.join(' ')} failed with exit ${code}`))));
  });
}

function findTestSources(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTestSources(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found.sort();
}

/** Bundles every test file (and the run() entry) on its own; `vscode` and mocha come from outside. */
async function compileTests(testsOut) {
  const esbuild = await import('esbuild');
  rmSync(testsOut, { recursive: true, force: true });
  const sources = findTestSources(join(root, 'test', 'extension'));
  await esbuild.build({
    entryPoints: [join(root, 'test', 'extension', 'index.ts'), ...sources],
    outdir: testsOut,
    outbase: join(root, 'test', 'extension'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    logLevel: 'warning',
    external: ['vscode', 'mocha', 'cpu-features', '*.node'],
    loader: { '.node': 'empty', '.sh': 'text' },
  });
  return sources.length;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();

  let step = Date.now();
  if (!options.compileOnly) {
    await ensureCodeServer();
    await ensurePlaywrightCore();
    chromiumPath();
    // The migrate preview runs a real OpenClaw on "local" nodes (cached install, shared with the integration tests).
    const openclaw = await ensureOpenclaw('2026.9.6');
    process.env.OCM_TEST_OPENCLAW = JSON.stringify({ bin: openclaw.bin, nodeBin: openclaw.nodeBin, env: openclaw.env });
    say(`tools ready in ${seconds(step)}`);
  }

  step = Date.now();
  await runNode(['scripts/build.mjs']);
  const testsOut = options.compileOnly ? testCliOut : join(root, 'out', 'vscode-tests', `run-${process.pid}`);
  const testFiles = await compileTests(testsOut);
  say(`built the extension and bundled ${testFiles} test file(s) into ${relative(root, testsOut)} in ${seconds(step)}`);
  if (options.compileOnly) return 0;

  const { scenes } = await import('../test/extension/screenshots.mjs');
  const chosen = !options.screenshot ? [] : options.screenshotOnly && options.grep ? scenes.filter((scene) => scene.name.includes(options.grep)) : scenes;
  // The watchdog: the test run (default 300 s) plus 90 s per screenshot scene (each loads a fresh window).
  const testSeconds = options.screenshotOnly ? 0 : Number(process.env.OCM_VSCODE_TEST_TIMEOUT_S ?? 300);
  const budgetSeconds = testSeconds + 90 * chosen.length + 30;
  const work = mkdtempSync(join(tmpdir(), 'ocm-vscode-tests-'));
  const workspace = join(work, 'workspace');
  const ocmHome = join(work, 'ocm-home');
  mkdirSync(workspace, { recursive: true });
  mkdirSync(ocmHome, { recursive: true });
  writeFileSync(join(workspace, 'README.md'), '# Scratch workspace for the OpenClaw Manager extension tests\n');

  let server;
  let localeServer;
  let browser;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await Promise.race([browser?.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
    if (server) {
      mkdirSync(dirname(serverLogFile), { recursive: true });
      writeFileSync(serverLogFile, server.output());
    }
    await server?.stop();
    await localeServer?.stop();
    // An OpenClaw the extension started may still be writing its compile cache into code-server's
    // TMPDIR for a moment: retry, and never let a leftover folder turn a passing run into a failure.
    try {
      rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 });
    } catch (e) {
      say(`could not remove ${work}: ${e.message}`);
    }
    rmSync(testsOut, { recursive: true, force: true });
  };
  // On timeout the browser and server are torn down; the main flow then fails with this message.
  let timedOut;
  const giveUp = setTimeout(() => {
    timedOut = `gave up after ${budgetSeconds}s (OCM_VSCODE_TEST_TIMEOUT_S=${testSeconds} for the tests + 90 s per screenshot): the workbench, a test or a scene hung; code-server was stopped`;
    setTimeout(() => {
      console.error(`[vscode-tests] FAILED: ${timedOut}, and the cleanup itself hung.`);
      console.log('extension: 0 passed, 1 failed');
      process.exit(1);
    }, 20_000).unref();
    void cleanup();
  }, budgetSeconds * 1000);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, async () => {
      await cleanup();
      process.exit(130);
    });
  }

  let passed = 0;
  let failed = 0;
  const problems = [];
  try {
    const { startCodeServer } = await import('../test/support/vscode/code-server.mjs');
    const { launchChromium, newWorkbenchPage, openWorkbench, runTestPayload } = await import('../test/support/vscode/workbench.mjs');
    step = Date.now();
    const verbose = process.env.OCM_VSCODE_TEST_VERBOSE === '1';
    const serverEnv = {
      OCM_HOME: ocmHome,
      OCM_FIXTURES_DIR: join(root, 'test', 'fixtures', 'openclaw'),
      OCM_TEST_OPENCLAW: process.env.OCM_TEST_OPENCLAW,
      ...(options.grep ? { OCM_TEST_GREP: options.grep } : {}),
    };
    server = await startCodeServer({
      workspace,
      stateDir: join(work, 'code-server'),
      env: serverEnv,
      onOutput: verbose ? (line) => console.log(`[code-server] ${line}`) : undefined,
    });
    browser = await launchChromium();
    say(`code-server on ${server.base} and Chromium up in ${seconds(step)}`);

    if (!options.screenshotOnly) {
      step = Date.now();
      mkdirSync(dirname(workbenchLogFile), { recursive: true });
      writeFileSync(workbenchLogFile, '');
      const page = await newWorkbenchPage(browser);
      let result;
      const exitCode = await runTestPayload(page, server.workbenchUrl({ extensionDevelopmentPath: root, extensionTestsPath: testsOut }), {
        onLog: (line, level) => {
          appendFileSync(workbenchLogFile, `[${level}] ${line}\n`);
          const marker = line.match(/^OCM_MOCHA_RESULT (\{.*\})$/);
          if (marker) result = JSON.parse(marker[1]);
          // After mocha's summary only the workbench's shutdown chatter follows.
          else if (verbose || (!result && !isNoise(line))) console.log(line);
        },
        timeoutMs: testSeconds * 1000,
      });
      await page.context().close();
      if (result) {
        passed += result.passed;
        failed += result.failed;
      }
      if (!result) problems.push(`the test run reported exit ${exitCode} without a mocha result (run() did not load or threw before running)`);
      else if (exitCode !== 0 && result.failed === 0) problems.push(`VS Code reported exit ${exitCode} although no test failed`);
      else if (result.passed + result.failed === 0) problems.push(options.grep ? `no test title matches "${options.grep}"` : 'no extension tests were found');
      say(`tests finished with exit ${exitCode} in ${seconds(step)} (full workbench log: ${relative(root, workbenchLogFile)})`);
    }

    if (options.screenshot) {
      const ui = await import('../test/support/vscode/workbench.mjs');
      if (chosen.length === 0) problems.push(`no screenshot scene matches "${options.grep}"`);
      else console.log('\n  screenshots');
      for (const scene of chosen) {
        // Scenes in another display language run on a second code-server started in it.
        if (scene.locale && !localeServer) {
          localeServer = await startCodeServer({ workspace, stateDir: join(work, `code-server-${scene.locale}`), env: serverEnv, locale: scene.locale });
        }
        const sceneServer = scene.locale ? localeServer : server;
        step = Date.now();
        const file = join(screenshotsDir, `${scene.name}.png`);
        // A scene's own setup that must finish before an extension host can touch its nodes.
        if (scene.prepare) {
          try {
            await scene.prepare();
          } catch (e) {
            failed += 1;
            console.log(`  ✖ screenshot ${scene.name} failed in its setup: ${e.message}`);
            continue;
          }
        }
        // A fresh window and extension host per scene, on the scene's registry.
        writeFileSync(join(ocmHome, 'nodes.json'), JSON.stringify(scene.registry, null, 2) + '\n');
        const page = await newWorkbenchPage(browser);
        try {
          // A folder of its own per scene: a window on a folder restores that folder's editors, and a
          // scene must not start with the previous scene's (possibly dirty) ones.
          const folder = join(work, 'scenes', scene.name, 'workspace');
          mkdirSync(folder, { recursive: true });
          await openWorkbench(page, sceneServer.workbenchUrl({ folder, extensionDevelopmentPath: root }));
          await ui.openViewContainer(page, VIEW_CONTAINER_TITLE);
          await scene.show(page, ui);
          await ui.screenshotWorkbench(page, file);
          // A screenshot is a check too: the scene's UI state was reached.
          passed += 1;
          console.log(`  ✔ screenshot ${scene.name}: ${relative(root, file)} (${seconds(step)})`);
        } catch (e) {
          const failedShot = file.replace(/\.png$/, '.failed.png');
          await page.screenshot({ path: failedShot }).catch(() => {});
          failed += 1;
          const [first, ...rest] = e.message.split('\n');
          console.log(`  ✖ screenshot ${scene.name} failed: ${first} (what the page showed: ${relative(root, failedShot)})`);
          // The rest of the message (a gateway's last output, say) is what CI's log can show of the cause.
          for (const line of rest.filter((l) => l.trim()).slice(-30)) console.log(`      ${line}`);
        } finally {
          await page.context().close();
        }
      }
    }
  } catch (e) {
    problems.push(e.message);
  } finally {
    clearTimeout(giveUp);
    await cleanup();
  }

  if (timedOut) problems.splice(0, problems.length, timedOut);
  for (const problem of problems) console.error(`[vscode-tests] FAILED: ${problem}`);
  if (failed > 0 || problems.length > 0)
    say(`logs: ${relative(root, workbenchLogFile)} (workbench, extension host), ${relative(root, serverLogFile)} (code-server's last output)`);
  if (problems.length > 0 && failed === 0) failed = problems.length;
  say(`done in ${seconds(started)}`);
  console.log(`extension: ${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

if (!existsSync(join(root, 'node_modules'))) {
  console.error('[vscode-tests] node_modules is missing: run "npm ci" (or "npm install") in the checkout first.');
  process.exit(1);
}
const exitCode = await main().catch((e) => {
  console.error(`[vscode-tests] ${e.stack ?? e.message}`);
  console.log('extension: 0 passed, 1 failed');
  return 1;
});
// Exit explicitly (once stdout is flushed): a scene's child with open pipes (the dashboard scene's
// gateway) would keep this process alive, and the scenes' 'exit' hooks that stop their gateways
// and the demo fleet (test/support/vscode/demo-fleet.mjs) would never run.
process.stdout.write('', () => process.exit(exitCode));
