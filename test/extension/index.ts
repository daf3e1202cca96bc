// Entry point VS Code calls with --extensionTestsPath (code-server here, desktop VS Code elsewhere):
// runs every bundled *.test.js next to this file with mocha (TDD: suite/test).
// OCM_TEST_GREP (set by scripts/vscode-tests.mjs --grep) narrows the run to matching titles.
//
// Adding a test: create test/extension/<area>.test.ts with suite()/test(); get the extension's API
// with activateExtension() and set up nodes.json with writeRegistry() from
// test/support/vscode/extension-host.ts (OCM_HOME is a throw-away folder per run). Run only it with
// `node scripts/vscode-tests.mjs --grep "<part of its title>" --no-screenshot`.
import Mocha from 'mocha';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTestFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTestFiles(path));
    else if (name.endsWith('.test.js')) found.push(path);
  }
  return found.sort();
}

export function run(): Promise<void> {
  const grep = process.env.OCM_TEST_GREP;
  const mocha = new Mocha({ ui: 'tdd', color: false, reporter: 'spec', timeout: 20_000, ...(grep ? { grep } : {}) });
  for (const file of findTestFiles(__dirname)) mocha.addFile(file);
  return new Promise((resolve, reject) => {
    let passed = 0;
    let failed = 0;
    const runner = mocha.run((failures) => {
      // Machine-readable result for scripts/vscode-tests.mjs (the exit code alone has no counts).
      console.log(`OCM_MOCHA_RESULT ${JSON.stringify({ passed, failed })}`);
      if (failures > 0) reject(new Error(`${failures} extension test(s) failed.`));
      else resolve();
    });
    runner.on('pass', () => (passed += 1));
    runner.on('fail', () => (failed += 1));
  });
}
