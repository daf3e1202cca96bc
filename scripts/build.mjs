// Bundles the extension and the CLI with esbuild. `vscode` is provided by the host; ssh2's optional
// native addons (cpu-features, sshcrypto .node files) are left out: ssh2 falls back to pure JS.
import * as esbuild from 'esbuild';
import { mkdirSync, chmodSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  external: ['vscode', 'cpu-features', '*.node'],
  loader: { '.node': 'empty' },
};

const builds = [
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
];

mkdirSync('dist', { recursive: true });
if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  chmodSync('dist/cli.js', 0o755);
}
