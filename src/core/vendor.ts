// The heavy third-party libraries, loaded on first use instead of when the bundle loads (issue 8:
// activation ≤ 50 ms). ssh2 (crypto), tar, diff and zod are most of the bundle's bytes (json5 and
// ssh-config are smaller but equally unneeded before a node is contacted); importing them at the
// top of a module would make every `require` of the extension parse and run them.
//
// Only types are imported statically; the values come from `require()` here. Under tsx (tests) that
// is node_modules; the extension bundle maps each name to its own file, dist/vendor/<name>.js
// (scripts/bundles.mjs), read only when a feature first needs it. The CLI bundle inlines them.
import type * as Diff from 'diff';
import type * as Json5 from 'json5';
import type * as Ssh2 from 'ssh2';
import type * as Tar from 'tar';
import type * as Zod from 'zod';

// ssh-config ships CJS at `require` but declares types only for its ESM entry: borrow those.
type SshConfigLib = typeof import('ssh-config', { with: { 'resolution-mode': 'import' } });

/** `load()` once, on the first call. */
export function once<T>(load: () => T): () => T {
  let loaded: { value: T } | undefined;
  return () => (loaded ??= { value: load() }).value;
}

/* eslint-disable @typescript-eslint/no-require-imports -- the one lazy-load point: require() on first use keeps activation cheap */
export const ssh2 = once(() => require('ssh2') as typeof Ssh2);
export const tar = once(() => require('tar') as typeof Tar);
export const diff = once(() => require('diff') as typeof Diff);
export const zod = once(() => (require('zod') as typeof Zod).z);
export const json5 = once(() => require('json5') as typeof Json5);
export const sshConfig = once(() => require('ssh-config') as SshConfigLib);
/** zstd decoding where the runtime's zlib has none (Node 20): repository objects written by Node ≥ 22.15. */
export const fzstd = once(() => require('fzstd') as { decompress(data: Uint8Array): Uint8Array });
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * A value built on first use that looks like the value itself: every property read goes to the
 * built object (functions bound to it). For module-level zod schemas, so that defining them does
 * not load zod.
 */
export function lazyObject<T extends object>(build: () => T): T {
  const get = once(build);
  return new Proxy({} as T, {
    get(_target, prop) {
      const target = get();
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    has: (_target, prop) => Reflect.has(get(), prop),
  });
}
