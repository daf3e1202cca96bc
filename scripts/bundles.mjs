// The esbuild options of the extension and CLI bundles, shared by scripts/build.mjs (developer
// build), scripts/package.mjs (production, the .vsix), bench/activation.bench.ts and the activation
// test, so they all measure and ship the same thing.
//
// `vscode` is provided by the host; ssh2's optional native addons (cpu-features, sshcrypto .node
// files) are left out: ssh2 falls back to pure JS.
//
// The extension is split so that activation parses only what it runs (issue 8, ≤ 50 ms): the heavy
// libraries (VENDOR) are required on first use through src/core/vendor.ts, and in the extension
// bundle that `require('ssh2')` becomes `require('./vendor/ssh2.js')`, a bundle of its own next to
// extension.js. The CLI bundle keeps everything in one file (it is started for one command).
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

/**
 * Libraries loaded lazily by the extension, each its own bundle dist/vendor/<name>.js, with how
 * src/core/vendor.ts consumes them: `module` = the package's ES module build (its named exports),
 * `require` = what `require()` of the package returns (its CommonJS build).
 */
const VENDOR_KIND = { ssh2: 'require', tar: 'module', diff: 'module', zod: 'module', json5: 'require', 'ssh-config': 'require', fzstd: 'require' };
export const VENDOR = Object.keys(VENDOR_KIND);

/** Options shared by every bundle; `production`: minified, no source maps. */
export function commonOptions(production) {
  return {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: !production,
    minify: production,
    ...(production ? { legalComments: 'none', define: { 'process.env.NODE_ENV': '"production"' } } : {}),
    logLevel: 'warning',
    external: ['vscode', 'cpu-features', '*.node'],
    // Shell scripts run on nodes (src/core/openclaw/locate.sh) are real .sh files, inlined as text.
    loader: { '.node': 'empty', '.sh': 'text' },
  };
}

const vendorFilter = new RegExp(`^(${VENDOR.join('|')})$`);
const moduleFilter = new RegExp(`^(${VENDOR.filter((n) => VENDOR_KIND[n] === 'module').join('|')})$`);

/**
 * In the extension bundle, `require('<vendor>')` (from src/core/vendor.ts) loads ./vendor/<name>.js
 * at run time. A static `import` of a vendor library from our sources is an error: it would bundle
 * a second copy and load it at activation.
 */
const lazyVendor = {
  name: 'lazy-vendor',
  setup(build) {
    build.onResolve({ filter: vendorFilter }, (args) => {
      if (args.kind === 'require-call') return { path: `./vendor/${args.path}.js`, external: true };
      if (!args.importer.includes('/node_modules/')) {
        return { errors: [{ text: `"${args.path}" is loaded on first use: import its types with \`import type\` and its values through src/core/vendor.ts` }] };
      }
      return undefined;
    });
  },
};

/**
 * One copy of the `vscode` API for the whole extension bundle. Bundling ES modules to CommonJS,
 * esbuild wraps an external's `require()` in __toESM in every module that imports it, copying all
 * of the API's properties once per `import * as vscode` (~40 modules: a measurable part of
 * activation). Routed through one ES module that re-exports `vscode`, the copy is made once.
 */
const vscodeOnce = {
  name: 'vscode-once',
  setup(build) {
    build.onResolve({ filter: /^vscode$/ }, (args) =>
      args.namespace === 'vscode-once' ? { path: 'vscode', external: true } : { path: 'vscode', namespace: 'vscode-once' },
    );
    build.onLoad({ filter: /.*/, namespace: 'vscode-once' }, () => ({ contents: "export * from 'vscode';", loader: 'js', resolveDir: root }));
  },
};

/**
 * In the CLI bundle, `require('<vendor>')` bundles the library's ES module build (what a static
 * import would pick: smaller, as before the libraries were loaded lazily), not its CommonJS one.
 */
const vendorAsModule = {
  name: 'vendor-as-module',
  setup(build) {
    build.onResolve({ filter: moduleFilter }, async (args) => {
      if (args.kind !== 'require-call') return undefined;
      const resolved = await build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir });
      return resolved.errors.length ? { errors: resolved.errors } : { path: resolved.path };
    });
  },
};

/**
 * The extension: `outdir`/extension.js plus `outdir`/vendor/<name>.js for each VENDOR library.
 * @param {{ outdir: string, production: boolean }} options
 */
export function extensionBuilds({ outdir, production }) {
  const common = commonOptions(production);
  return [
    { ...common, entryPoints: [join(root, 'src/extension/extension.ts')], outfile: join(outdir, 'extension.js'), plugins: [lazyVendor, vscodeOnce] },
    ...VENDOR.map((name) => ({
      ...common,
      stdin: {
        contents: VENDOR_KIND[name] === 'module' ? `export * from ${JSON.stringify(name)};` : `module.exports = require(${JSON.stringify(name)});`,
        resolveDir: root,
        sourcefile: `vendor-${name}.js`,
        loader: 'js',
      },
      outfile: join(outdir, 'vendor', `${name}.js`),
    })),
  ];
}

/** The `ocm` CLI: `outdir`/cli.js (make it executable after building). */
export function cliBuild({ outdir, production }) {
  return {
    ...commonOptions(production),
    entryPoints: [join(root, 'src/cli/main.ts')],
    outfile: join(outdir, 'cli.js'),
    banner: { js: '#!/usr/bin/env node' },
    plugins: [vendorAsModule],
  };
}
