// Builds the installable extension: `npm run package` → out/openclaw-manager-<version>.vsix.
//
// The production bundles (minified, no source maps) are built into a staging folder
// (out/package/) together with the manifest, translations, media, README and LICENSE, and
// @vscode/vsce packs that folder. Staging keeps the developer build in dist/ (with source maps,
// used by the tests and `npm start`) untouched. Everything that runs is bundled by esbuild, so the
// package carries no node_modules (vsce --no-dependencies); .vscodeignore says what goes in.
//
//   node scripts/package.mjs [--out FILE] [--quiet]
// Prints the contents and the sizes; the last line is "vsix: <path> <bytes> bytes".
import * as esbuild from 'esbuild';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { cliBuild, extensionBuilds, VENDOR } from './bundles.mjs';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const args = process.argv.slice(2);
const quiet = args.includes('--quiet');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outIndex = args.indexOf('--out');
const vsixPath = outIndex >= 0 ? args[outIndex + 1] : join(root, 'out', `${manifest.name}-${manifest.version}.vsix`);
const stage = join(root, 'out', 'package');
const say = (m) => quiet || console.log(`[package] ${m}`);

/** What the package holds besides the bundles; .vscodeignore filters again (belt and braces). */
const STAGED = ['package.json', 'package.nls.json', 'package.nls.ja.json', 'l10n', 'media', 'README.md', 'LICENSE', '.vscodeignore'];

function run(cmd, cmdArgs, cwd) {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn(cmd, cmdArgs, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${cmd} ${cmdArgs.join(' ')} failed (exit ${code}):\n${output}`))));
  });
}

const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;

async function main() {
  const started = Date.now();
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, 'dist'), { recursive: true });
  for (const entry of STAGED) {
    const from = join(root, entry);
    if (!existsSync(from)) throw new Error(`${entry} is missing from the checkout; the package needs it.`);
    if (statSync(from).isDirectory()) cpSync(from, join(stage, entry), { recursive: true });
    else copyFileSync(from, join(stage, entry));
  }
  // The same bundles as scripts/build.mjs (scripts/bundles.mjs), minified and without source maps.
  const dist = join(stage, 'dist');
  await Promise.all([...extensionBuilds({ outdir: dist, production: true }), cliBuild({ outdir: dist, production: true })].map((b) => esbuild.build(b)));
  chmodSync(join(dist, 'cli.js'), 0o755);
  say(
    `production bundles: dist/extension.js ${kb(statSync(join(dist, 'extension.js')).size)} (+ loaded on first use: ${VENDOR.map((n) => `vendor/${n}.js ${kb(statSync(join(dist, 'vendor', `${n}.js`)).size)}`).join(', ')}), dist/cli.js ${kb(statSync(join(dist, 'cli.js')).size)}`,
  );

  // vsce 3 runs on Node 20 (vsce 4 needs Node 22+). No repository URL in the manifest: README links
  // stay as written instead of being rewritten to a guessed host.
  const vsce = join(dirname(createRequire(import.meta.url).resolve('@vscode/vsce/package.json')), 'vsce');
  mkdirSync(dirname(vsixPath), { recursive: true });
  rmSync(vsixPath, { force: true });
  await run(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', vsixPath], stage);
  const listing = await run(process.execPath, [vsce, 'ls', '--no-dependencies'], stage);
  if (!quiet) {
    console.log('[package] contents:');
    for (const line of listing.split('\n').filter((l) => l.trim() && !/^(WARNING|INFO)/.test(l))) console.log(`  ${line}`);
  }
  const size = statSync(vsixPath).size;
  say(`${relative(root, vsixPath)}: ${kb(size)} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  console.log(`vsix: ${vsixPath} ${size} bytes`);
}

main().catch((e) => {
  console.error(`[package] ${e.message}`);
  process.exit(1);
});
