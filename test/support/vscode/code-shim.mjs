#!/usr/bin/env node
// A stand-in for the desktop `code` executable that @vscode/test-electron launches, backed by
// code-server + Chromium. It lets the standard `npx vscode-test` (.vscode-test.mjs) run offline:
//
//   OCM_VSCODE_TEST_CODE_SERVER=1 npx vscode-test
//
// It understands what test-electron passes: --extensionDevelopmentPath=DIR (repeatable),
// --extensionTestsPath=PATH and a folder to open; other desktop flags are ignored. The test output
// of the extension host is printed, and the exit code is the tests' exit code.
import { format } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCodeServer } from './code-server.mjs';
import { launchChromium, newWorkbenchPage, runTestPayload } from './workbench.mjs';

const developmentPaths = [];
let testsPath;
let folder;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  if (arg.startsWith('--extensionDevelopmentPath=')) developmentPaths.push(arg.slice(arg.indexOf('=') + 1));
  else if (arg.startsWith('--extensionTestsPath=')) testsPath = arg.slice(arg.indexOf('=') + 1);
  else if (arg === '--user-data-dir' || arg === '--extensions-dir')
    i++; // desktop profile: code-server gets its own
  else if (!arg.startsWith('-') && folder === undefined) folder = arg;
}
if (!testsPath || developmentPaths.length !== 1) {
  console.error(`code-shim: expected one --extensionDevelopmentPath= and an --extensionTestsPath= (got: ${argv.join(' ')})`);
  process.exit(2);
}

const scratch = mkdtempSync(join(tmpdir(), 'ocm-code-shim-'));
let server;
let browser;
let exitCode = 1;
try {
  server = await startCodeServer({ workspace: folder ?? scratch, stateDir: join(scratch, 'code-server') });
  browser = await launchChromium();
  const page = await newWorkbenchPage(browser);
  const budget = Number(process.env.OCM_VSCODE_TEST_TIMEOUT_S ?? 300) * 1000;
  exitCode = await runTestPayload(
    page,
    server.workbenchUrl({ folder: folder ?? scratch, extensionDevelopmentPath: developmentPaths[0], extensionTestsPath: testsPath }),
    {
      onLog: (line) => process.stdout.write(format('%s\n', line)),
      timeoutMs: budget,
    },
  );
} catch (e) {
  console.error(`code-shim: ${e.message}`);
} finally {
  await browser?.close().catch(() => {});
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(exitCode);
