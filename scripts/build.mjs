// Bundles the extension and the CLI with esbuild into dist/: extension.js (+ vendor/*.js, the
// libraries it loads on first use) and cli.js. The options live in scripts/bundles.mjs.
import * as esbuild from 'esbuild';
import { mkdirSync, chmodSync } from 'node:fs';
import { cliBuild, extensionBuilds } from './bundles.mjs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const builds = [...extensionBuilds({ outdir: 'dist', production }), cliBuild({ outdir: 'dist', production })];

mkdirSync('dist', { recursive: true });
if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  chmodSync('dist/cli.js', 0o755);
}
