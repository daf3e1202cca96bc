import { readFileSync } from 'node:fs';

/**
 * The discovery script's text (locate.sh, a real shell file so shellcheck lints it). The bundles
 * inline it (esbuild's `text` loader for `.sh`, scripts/bundles.mjs); run from sources (tsx, the
 * tests) Node has no loader for `.sh`, so one that reads the file as text is registered first.
 */
const extensions = require.extensions as Record<string, ((module: { exports: unknown }, filename: string) => void) | undefined> | undefined;
// Only from sources (this file is still .ts): a bundle (the extension host, the CLI) changes no global.
if (__filename.endsWith('.ts') && extensions && !extensions['.sh']) {
  extensions['.sh'] = (module, filename) => {
    module.exports = readFileSync(filename, 'utf8');
  };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const LOCATE_SH: string = require('./locate.sh') as string;
