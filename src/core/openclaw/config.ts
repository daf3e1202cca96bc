import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { OcmError, isOcmError } from '../errors';
import { formatLimit, isTooLarge, readFileBounded } from '../transport/read-bounded';
import type { OpOptions, Transport } from '../transport/types';
import { json5 } from '../vendor';
import { MAX_INCLUDE_FILE_BYTES, readIncludeOnNode } from './include-reader';
import { isRecord } from './version';

/**
 * Reads `openclaw.json` the way OpenClaw does: JSON5, `$include` resolved with OpenClaw's rules
 * (read from its docs and its `includes` module, 2026.9.6):
 *  - `{ $include: "./a.json5" }` is replaced by that file's content; an array of files is
 *    deep-merged in order (objects merge recursively, arrays concatenate, later scalars win);
 *  - sibling keys next to `$include` are merged over the included content;
 *  - relative paths resolve against the including file; nesting is limited to 10 levels;
 *    a file including itself (directly or not) is an error; includes must stay inside the
 *    config's folder, also once symlinks are followed (checked on the node: include-reader.ts),
 *    and be regular files of at most 2 MiB.
 * `${VAR}` references are left as written (they are shown, not resolved).
 *
 * Reading is bounded, because every status refresh does it: besides OpenClaw's own limits, the
 * includes may add up to MAX_INCLUDE_TOTAL_BYTES (a file counted each time it is included) in at
 * most MAX_INCLUDES `$include` references, so a small file included over and over in nested
 * arrays cannot blow up either.
 */

export const INCLUDE_KEY = '$include';
const MAX_INCLUDE_DEPTH = 10;
/** openclaw.json itself (as locate reads it). */
export const MAX_CONFIG_BYTES = 2 * 1024 * 1024;
export { MAX_INCLUDE_FILE_BYTES };
/** All include files together, each counted every time it is included. */
export const MAX_INCLUDE_TOTAL_BYTES = 4 * 1024 * 1024;
/** `$include` references resolved in one config (repeats counted). */
export const MAX_INCLUDES = 100;
/** OpenClaw's limit on an include path's length. */
const MAX_INCLUDE_PATH_LENGTH = 4096;

export interface ConfigFile {
  /** Absolute path on the node. */
  path: string;
  /** `main` for openclaw.json itself, `include` for files pulled in with `$include`. */
  role: 'main' | 'include';
  text: string;
}

export interface OpenclawConfig {
  path: string;
  /** openclaw.json as written (includes not resolved). */
  raw: Record<string, unknown>;
  /** With every `$include` resolved: what OpenClaw works with. */
  resolved: Record<string, unknown>;
  /** openclaw.json first, then includes in the order they were first met. */
  files: ConfigFile[];
  /** sha256 over every file's path and content: changes when any of them changes. */
  fingerprint: string;
}

/** Parses JSON5 text; a syntax error becomes OcmError('invalidConfig') naming file, line and column. */
export function parseJson5(text: string, path: string): unknown {
  try {
    return json5().parse(text);
  } catch (e) {
    const err = e as { lineNumber?: number; columnNumber?: number; message?: string };
    const line = err.lineNumber;
    const column = err.columnNumber;
    const where = line !== undefined ? `${path}:${line}:${column ?? 1}` : path;
    const what = (err.message ?? String(e)).replace(/^JSON5: /, '').replace(/ at \d+:\d+$/, '');
    throw new OcmError('invalidConfig', `${where}: ${what}. Fix the file (OpenClaw refuses to start with it), then refresh.`, { path, line, column });
  }
}

/**
 * Reads and resolves a config through a transport: openclaw.json with a bounded read (unless its
 * text is given), each include with one exec that checks its real path on the node and reads at
 * most MAX_INCLUDE_FILE_BYTES (+1, to tell "too large"); sibling includes in parallel.
 */
export async function readOpenclawConfig(transport: Transport, configPath: string, options: OpOptions & { mainText?: string } = {}): Promise<OpenclawConfig> {
  const { mainText, ...op } = options;
  const root = posix.dirname(configPath);
  const readText = async (path: string): Promise<string> => {
    if (path === configPath) {
      if (mainText !== undefined) return mainText;
      try {
        return (await readFileBounded(transport, path, MAX_CONFIG_BYTES, op)).toString('utf8');
      } catch (e) {
        if (isTooLarge(e))
          throw new OcmError(
            'invalidConfig',
            `${path} is larger than ${formatLimit(MAX_CONFIG_BYTES)}; OpenClaw refuses configs that large. Move parts of it into $include files.`,
            { path, maxBytes: MAX_CONFIG_BYTES },
          );
        throw e;
      }
    }
    return (await readIncludeOnNode(transport, path, root, MAX_INCLUDE_FILE_BYTES, op)).text;
  };
  return resolveOpenclawConfig(configPath, readText);
}

/** Same as readOpenclawConfig over any reader (tests, archives). */
export async function resolveOpenclawConfig(configPath: string, readText: (path: string) => Promise<string>): Promise<OpenclawConfig> {
  const files = new Map<string, ConfigFile>();
  const texts = new Map<string, Promise<string>>();
  const load = (path: string): Promise<string> => {
    let p = texts.get(path);
    if (!p) {
      p = readText(path);
      texts.set(path, p);
    }
    return p;
  };
  const mainText = await load(configPath);
  files.set(configPath, { path: configPath, role: 'main', text: mainText });
  const raw = parseJson5(mainText, configPath);
  if (!isRecord(raw))
    throw new OcmError('invalidConfig', `${configPath}: the top level must be an object ({ ... }). Fix the file, then refresh.`, { path: configPath });
  const root = posix.dirname(configPath);

  const parsed = new Map<string, unknown>([[configPath, raw]]);
  // Counted as includes are met (synchronously, before any read), so parallel branches share them.
  let includes = 0;
  let includedBytes = 0;
  const processValue = async (value: unknown, from: string, chain: string[]): Promise<unknown> => {
    if (Array.isArray(value)) return Promise.all(value.map((v) => processValue(v, from, chain)));
    if (!isRecord(value)) return value;
    if (!(INCLUDE_KEY in value)) {
      const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await processValue(v, from, chain)] as const));
      return Object.fromEntries(entries);
    }
    const spec = value[INCLUDE_KEY];
    const targets = typeof spec === 'string' ? [spec] : Array.isArray(spec) && spec.every((s) => typeof s === 'string') ? (spec as string[]) : undefined;
    if (!targets) throw new OcmError('invalidConfig', `${from}: "$include" must be a path or an array of paths. Fix the file, then refresh.`, { path: from });
    const included = await Promise.all(targets.map((t) => loadInclude(t, from, chain)));
    const merged = typeof spec === 'string' ? included[0] : included.reduce((acc, v) => deepMerge(acc, v), {} as unknown);
    const siblings = Object.entries(value).filter(([k]) => k !== INCLUDE_KEY);
    if (siblings.length === 0) return merged;
    if (!isRecord(merged))
      throw new OcmError('invalidConfig', `${from}: keys next to "$include" need the included file to hold an object. Fix the file, then refresh.`, {
        path: from,
      });
    const rest = Object.fromEntries(await Promise.all(siblings.map(async ([k, v]) => [k, await processValue(v, from, chain)] as const)));
    return deepMerge(merged, rest);
  };
  const loadInclude = async (target: string, from: string, chain: string[]): Promise<unknown> => {
    if (target.includes('\0') || target.length >= MAX_INCLUDE_PATH_LENGTH) {
      throw new OcmError(
        'invalidConfig',
        `${from}: $include "${target.slice(0, 80)}${target.length > 80 ? '…' : ''}" is not a usable path (a NUL byte, or ${MAX_INCLUDE_PATH_LENGTH} characters or more); OpenClaw refuses it. Fix the include.`,
        { path: from },
      );
    }
    if (++includes > MAX_INCLUDES) {
      throw new OcmError(
        'invalidConfig',
        `${configPath}: more than ${MAX_INCLUDES} $include references (repeats counted; at "${target}" in ${from}). A file included many times in nested arrays multiplies; include fewer files.`,
        { path: from, include: target, maxIncludes: MAX_INCLUDES },
      );
    }
    const path = posix.normalize(posix.isAbsolute(target) ? target : posix.resolve(posix.dirname(from), target));
    if (path !== root && !path.startsWith(root.endsWith('/') ? root : root + '/')) {
      throw new OcmError(
        'invalidConfig',
        `${from}: $include "${target}" points outside the config folder ${root}; OpenClaw refuses that. Move the file into ${root}.`,
        { path: from, include: target },
      );
    }
    if (chain.includes(path)) {
      throw new OcmError('invalidConfig', `Circular $include: ${[...chain, path].join(' -> ')}. Remove one of these includes.`, {
        path: from,
        chain: [...chain, path],
      });
    }
    if (chain.length > MAX_INCLUDE_DEPTH) {
      throw new OcmError('invalidConfig', `${from}: $include nested deeper than ${MAX_INCLUDE_DEPTH} levels at "${target}". Flatten the includes.`, {
        path: from,
      });
    }
    let text: string;
    try {
      text = await load(path);
    } catch (e) {
      if (isOcmError(e, 'notFound'))
        throw new OcmError('invalidConfig', `${from}: $include "${target}" not found (${path}). Create it or remove the include.`, {
          path: from,
          include: path,
        });
      if (isOcmError(e, 'invalidConfig') && !String(e.message).startsWith(from))
        throw new OcmError('invalidConfig', `${from}: ${e.message}`, { ...e.details, path: from, include: path }, { cause: e });
      throw e;
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_INCLUDE_FILE_BYTES) {
      throw new OcmError(
        'invalidConfig',
        `${from}: $include "${target}" (${path}) is larger than ${formatLimit(MAX_INCLUDE_FILE_BYTES)}, the most OpenClaw reads for one include. Split it into smaller files.`,
        { path: from, include: path, maxBytes: MAX_INCLUDE_FILE_BYTES },
      );
    }
    includedBytes += bytes;
    if (includedBytes > MAX_INCLUDE_TOTAL_BYTES) {
      throw new OcmError(
        'invalidConfig',
        `${configPath}: the $include files add up to more than ${formatLimit(MAX_INCLUDE_TOTAL_BYTES)} (each counted every time it is included; at "${target}" in ${from}). Include fewer or smaller files.`,
        { path: from, include: path, maxBytes: MAX_INCLUDE_TOTAL_BYTES },
      );
    }
    if (!files.has(path)) files.set(path, { path, role: 'include', text });
    if (!parsed.has(path)) parsed.set(path, parseJson5(text, path));
    return processValue(parsed.get(path), path, [...chain, path]);
  };

  const resolved = (await processValue(raw, configPath, [configPath])) as Record<string, unknown>;
  // Reads ran in parallel; list the files in document order (depth first) so output is stable.
  const order: string[] = [];
  const visit = (value: unknown, from: string): void => {
    if (Array.isArray(value)) return value.forEach((v) => visit(v, from));
    if (!isRecord(value)) return;
    for (const [k, v] of Object.entries(value)) {
      if (k !== INCLUDE_KEY) {
        visit(v, from);
        continue;
      }
      for (const target of typeof v === 'string' ? [v] : (v as string[])) {
        const path = posix.normalize(posix.isAbsolute(target) ? target : posix.resolve(posix.dirname(from), target));
        if (order.includes(path)) continue;
        order.push(path);
        visit(parsed.get(path), path);
      }
    }
  };
  order.push(configPath);
  visit(raw, configPath);
  const ordered = order.filter((p) => files.has(p)).map((p) => files.get(p)!);
  const hash = createHash('sha256');
  for (const f of ordered) hash.update(f.path).update('\0').update(f.text).update('\0');
  return { path: configPath, raw, resolved, files: ordered, fingerprint: hash.digest('hex') };
}

/** OpenClaw's include merge: objects recursively, arrays concatenated, otherwise the later value. */
export function deepMerge(target: unknown, source: unknown): unknown {
  if (Array.isArray(target) && Array.isArray(source)) return [...target, ...source];
  if (isRecord(target) && isRecord(source)) {
    const out: Record<string, unknown> = { ...target };
    for (const [k, v] of Object.entries(source)) out[k] = k in out ? deepMerge(out[k], v) : v;
    return out;
  }
  return source;
}
