// Runs every test layer and prints one closing line "tests: N passed, N failed".
//   node scripts/test.mjs            all layers: typecheck, lint, build, unit, integration, extension
//   node scripts/test.mjs unit|integration|extension [file filter]
// Unit and integration tests use node's test runner (TypeScript through tsx); extension tests run
// inside a real VS Code (code-server here) through scripts/vscode-tests.mjs.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const only = args[0] && ['unit', 'integration', 'extension', 'e2e'].includes(args[0]) ? args[0] : undefined;
const filter = only ? args[1] : args[0];

function findTests(dir, predicate) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.test.ts') && predicate(p) && (!filter || p.includes(filter))) out.push(p);
    }
  };
  walk(join(root, dir));
  return out.sort();
}

function run(cmd, cmdArgs, options = {}) {
  return new Promise((resolve) => {
    let captured = '';
    // Tests match English CLI output; a developer's Japanese locale must not change it (the
    // Japanese output has tests of its own that set the locale explicitly).
    const child = spawn(cmd, cmdArgs, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OCM_LANG: 'en', ...options.env } });
    const forward = (stream, target) =>
      stream.on('data', (chunk) => {
        captured += chunk.toString();
        target.write(chunk);
      });
    forward(child.stdout, process.stdout);
    forward(child.stderr, process.stderr);
    child.on('close', (code) => resolve({ code: code ?? 1, output: captured }));
  });
}

/** Reads node:test's summary ("ℹ pass N" / "# pass N") or our own "N passed, N failed" line. */
function counts(output) {
  const pass = output.match(/^(?:ℹ|#) pass (\d+)/m);
  const fail = output.match(/^(?:ℹ|#) fail (\d+)/m);
  if (pass || fail) return { passed: Number(pass?.[1] ?? 0), failed: Number(fail?.[1] ?? 0) };
  const plain = [...output.matchAll(/(\d+) passed, (\d+) failed/g)].pop();
  if (plain) return { passed: Number(plain[1]), failed: Number(plain[2]) };
  return { passed: 0, failed: 0 };
}

const isIntegration = (p) => p.includes('/test/integration/') || p.includes('/test/e2e/');
const isExtension = (p) => p.includes('/test/extension/');
const layers = [];
if (!only) {
  layers.push({ name: 'typecheck', cmd: 'npx', args: ['tsc', '--noEmit', '-p', 'tsconfig.json'], step: true });
  // ESLint (typescript-eslint) and Prettier's check; `npm run format` fixes the formatting.
  layers.push({ name: 'lint', cmd: 'npm', args: ['run', '--silent', 'lint'], step: true });
  layers.push({ name: 'build', cmd: 'node', args: ['scripts/build.mjs'], step: true });
}
const nodeTest = (files, concurrency) => ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...files];
if (!only || only === 'unit') {
  const files = findTests('test', (p) => !isIntegration(p) && !isExtension(p));
  if (files.length) layers.push({ name: 'unit', cmd: process.execPath, args: nodeTest(files, 2) });
}
if (!only || only === 'integration' || only === 'e2e') {
  const files = findTests('test', (p) => isIntegration(p) && (only !== 'e2e' || p.includes('/test/e2e/')));
  if (files.length) layers.push({ name: 'integration', cmd: process.execPath, args: nodeTest(files, 1) });
}
if (!only || only === 'extension') {
  layers.push({ name: 'extension', cmd: process.execPath, args: ['scripts/vscode-tests.mjs', ...(filter ? ['--grep', filter] : [])] });
  // The packaged .vsix installed into code-server (not the dev folder).
  if (!filter) layers.push({ name: 'vsix', cmd: process.execPath, args: ['scripts/test-vsix.mjs'] });
}

let passed = 0;
let failed = 0;
const summary = [];
for (const layer of layers) {
  console.log(`\n=== ${layer.name} ===`);
  const started = Date.now();
  const { code, output } = await run(layer.cmd, layer.args);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (layer.step) {
    if (code !== 0) {
      failed += 1;
      summary.push(`${layer.name}: FAILED (exit ${code}) in ${seconds}s`);
    } else summary.push(`${layer.name}: ok in ${seconds}s`);
    continue;
  }
  const c = counts(output);
  // A runner that exits non-zero without reporting a failed test still counts as a failure.
  if (code !== 0 && c.failed === 0) c.failed = 1;
  passed += c.passed;
  failed += c.failed;
  summary.push(`${layer.name}: ${c.passed} passed, ${c.failed} failed in ${seconds}s`);
}
console.log('\n=== summary ===');
for (const line of summary) console.log(`  ${line}`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
