// Types for scripts/bundles.mjs (so the TypeScript bench and tests can import it).
import type { BuildOptions } from 'esbuild';
export const VENDOR: string[];
export function commonOptions(production: boolean): BuildOptions;
export function extensionBuilds(options: { outdir: string; production: boolean }): BuildOptions[];
export function cliBuild(options: { outdir: string; production: boolean }): BuildOptions;
