import { posix } from 'node:path';
import { literal, memberOf, parseJson5Spans, setJson5Value, type SpanNode } from './config-rewrite-json5';
import type { ConfigRewrite } from './types';

/**
 * Adapts a node's OpenClaw config to another node (migrate): every absolute path under the source's
 * state dir / home becomes the target's, `gateway.port` becomes the target's port, the gateway
 * token is kept or replaced, `gateway.remote` follows. Pure: text in, text out.
 *
 * Why a raw-text rewrite and not parse → modify → stringify: openclaw.json is the user's file, often
 * commented (JSON5). Only the string literals holding old paths and the few values we set are
 * touched; comments, key order and layout stay, so the preview diff shows exactly our changes.
 */

export interface PathMapping {
  from: string;
  to: string;
}

export interface SourceConfigFile {
  path: string;
  role: 'main' | 'include';
  text: string;
}

export interface ConfigRewriteInput {
  files: readonly SourceConfigFile[];
  /** Absolute prefixes to rewrite (state dir, home, ...); the longest match wins. */
  pathMap: readonly PathMapping[];
  /** `~/...` in the config means the home of whoever runs OpenClaw; when the state dir moves inside the home, those move too. */
  sourceHome: string;
  targetHome: string;
  /** The gateway port the target gets. */
  port: number;
  /** Keep the token, or set this new one. */
  newToken?: string;
  /** The source's effective values (resolved config), for the before side of the report. */
  sourcePort?: number;
  sourceToken?: string;
  /** `gateway.remote.url` pointing at the source host is pointed at the target host. */
  sourceHost?: string;
  targetHost?: string;
  /** `gateway.remote.url` as the source resolves it (after includes). */
  remoteUrl?: string;
  remoteToken?: string;
}

export interface RewrittenConfigFile {
  role: 'main' | 'include';
  sourcePath: string;
  targetPath: string;
  /** The source's text. */
  before: string;
  /** What the target gets. */
  after: string;
}

export interface ConfigRewriteResult {
  files: RewrittenConfigFile[];
  rewrites: ConfigRewrite[];
  warnings: string[];
}

const REDACTED = '<redacted>';

/** Maps one absolute path with the path map (longest prefix first); unchanged when nothing matches. */
export function mapPath(path: string, pathMap: readonly PathMapping[]): string {
  for (const m of sortedMap(pathMap)) {
    if (path === m.from) return m.to;
    if (path.startsWith(m.from.endsWith('/') ? m.from : `${m.from}/`)) return posix.join(m.to, path.slice(m.from.length));
  }
  return path;
}

function sortedMap(pathMap: readonly PathMapping[]): PathMapping[] {
  return [...pathMap].filter((m) => m.from !== m.to && m.from !== '' && m.from !== '/').sort((a, b) => b.from.length - a.from.length);
}

/** The path map plus its `~/` forms (a state dir inside the home is often written `~/.openclaw/...`). */
export function withTildeForms(pathMap: readonly PathMapping[], sourceHome: string, targetHome: string): PathMapping[] {
  const out = [...pathMap];
  const within = (p: string, home: string): string | undefined => (p.startsWith(`${home}/`) ? p.slice(home.length + 1) : undefined);
  for (const m of pathMap) {
    const a = within(m.from, sourceHome);
    const b = within(m.to, targetHome);
    if (a !== undefined && b !== undefined && a !== b) out.push({ from: `~/${a}`, to: `~/${b}` });
  }
  return out;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Rewrites every mapped path inside one string (also inside commands like "node /home/a/x.js"). */
export function rewritePathsInString(value: string, pathMap: readonly PathMapping[]): string {
  const map = sortedMap(pathMap);
  if (map.length === 0) return value;
  const re = new RegExp(`(^|[^A-Za-z0-9._~/-])(${map.map((m) => escapeRe(m.from.replace(/\/+$/, ''))).join('|')})(?=$|[^A-Za-z0-9._-])`, 'g');
  return value.replace(re, (_all, pre: string, from: string) => pre + map.find((m) => m.from.replace(/\/+$/, '') === from)!.to.replace(/\/+$/, ''));
}

interface StringHit {
  node: Extract<SpanNode, { kind: 'string' }>;
  key: string;
}

function stringValues(node: SpanNode, key: string, out: StringHit[]): void {
  if (node.kind === 'string') out.push({ node, key });
  else if (node.kind === 'object') for (const m of node.members) stringValues(m.value, key ? `${key}.${m.key}` : m.key, out);
  else if (node.kind === 'array') node.items.forEach((item, i) => stringValues(item, `${key}[${i}]`, out));
}

/** Rewrites the paths of one file's text; returns the new text and what changed. */
export function rewritePathsInText(text: string, pathMap: readonly PathMapping[], file: string, keyPrefix = ''): { text: string; rewrites: ConfigRewrite[] } {
  const root = parseJson5Spans(text, file);
  const hits: StringHit[] = [];
  stringValues(root, keyPrefix, hits);
  const rewrites: ConfigRewrite[] = [];
  let out = text;
  // From the end, so earlier spans keep their offsets.
  for (const hit of hits.sort((a, b) => b.node.start - a.node.start)) {
    const raw = text.slice(hit.node.start + 1, hit.node.end - 1);
    const next = rewritePathsInString(raw, pathMap);
    if (next === raw) continue;
    out = out.slice(0, hit.node.start + 1) + next + out.slice(hit.node.end - 1);
    rewrites.push({ path: file, key: hit.key, before: raw, after: next, description: `path rewritten for the target node` });
  }
  return { text: out, rewrites: rewrites.reverse() };
}

/** True when the key path is written in this file (not only reached through an include). */
function hasPath(text: string, path: readonly string[], file: string): boolean {
  let node: SpanNode | undefined = parseJson5Spans(text, file);
  for (const k of path) {
    node = memberOf(node, k)?.value;
    if (!node) return false;
  }
  return true;
}

/** Where a key is written: the main file, else the first include that writes it at its top, else the main file. */
function fileFor(texts: Map<string, string>, files: readonly SourceConfigFile[], path: readonly string[]): { file: string; path: readonly string[] } {
  const main = files.find((f) => f.role === 'main')!;
  if (hasPath(texts.get(main.path)!, path, main.path)) return { file: main.path, path };
  // `gateway: { $include: "./gateway.json5" }`: the include holds `{ port: ..., auth: ... }`.
  for (const f of files) {
    if (f.role !== 'include') continue;
    for (let cut = 1; cut < path.length; cut++) {
      if (hasPath(texts.get(f.path)!, path.slice(cut), f.path) && includedAt(texts.get(main.path)!, path.slice(0, cut), f.path, main.path))
        return { file: f.path, path: path.slice(cut) };
    }
  }
  return { file: main.path, path };
}

function includedAt(mainText: string, at: readonly string[], includePath: string, mainPath: string): boolean {
  let node: SpanNode | undefined = parseJson5Spans(mainText, mainPath);
  for (const k of at) node = memberOf(node, k)?.value;
  const inc = memberOf(node, '$include')?.value;
  const targets = inc?.kind === 'string' ? [inc.value] : inc?.kind === 'array' ? inc.items.flatMap((n) => (n.kind === 'string' ? [n.value] : [])) : [];
  return targets.some((t) => posix.resolve(posix.dirname(mainPath), t) === includePath);
}

/** The adapted config files for the target, and a list of every change for the preview. */
export function rewriteConfig(input: ConfigRewriteInput): ConfigRewriteResult {
  const pathMap = withTildeForms(input.pathMap, input.sourceHome, input.targetHome);
  const texts = new Map<string, string>();
  const rewrites: ConfigRewrite[] = [];
  const warnings: string[] = [];
  const targetPathOf = (p: string): string => mapPath(p, input.pathMap);
  for (const f of input.files) {
    const r = rewritePathsInText(f.text, pathMap, f.path);
    texts.set(f.path, r.text);
    rewrites.push(...r.rewrites.map((w) => ({ ...w, path: targetPathOf(f.path) })));
  }
  const set = (path: readonly string[], value: string | number, display: { before?: string; after: string; description: string }): void => {
    const where = fileFor(texts, input.files, path);
    texts.set(where.file, setJson5Value(texts.get(where.file)!, where.path, literal(value), where.file));
    rewrites.push({
      path: targetPathOf(where.file),
      key: path.join('.'),
      ...(display.before !== undefined ? { before: display.before } : {}),
      after: display.after,
      description: display.description,
    });
  };
  if (input.sourcePort !== input.port) {
    set(['gateway', 'port'], input.port, {
      ...(input.sourcePort !== undefined ? { before: String(input.sourcePort) } : {}),
      after: String(input.port),
      description: 'gateway port of the target node',
    });
  }
  if (input.newToken !== undefined) {
    if (input.sourceToken && /^\$\{[A-Z0-9_]+\}$/.test(input.sourceToken)) {
      warnings.push(
        `gateway.auth.token was read from the environment (${input.sourceToken}); the target gets the new token written into openclaw.json instead.`,
      );
    }
    set(['gateway', 'auth', 'token'], input.newToken, {
      ...(input.sourceToken !== undefined ? { before: REDACTED } : {}),
      after: REDACTED,
      description: 'new gateway token (clients of the old gateway need it)',
    });
  }
  if (input.remoteUrl) {
    const next = rewriteRemoteUrl(input.remoteUrl, input);
    if (next !== input.remoteUrl)
      set(['gateway', 'remote', 'url'], next, { before: input.remoteUrl, after: next, description: 'gateway.remote follows the gateway to the target' });
  }
  if (input.newToken !== undefined && input.remoteToken !== undefined && input.remoteToken === input.sourceToken) {
    set(['gateway', 'remote', 'token'], input.newToken, {
      before: REDACTED,
      after: REDACTED,
      description: 'gateway.remote.token follows the new gateway token',
    });
  }
  const files = input.files.map((f) => ({ role: f.role, sourcePath: f.path, targetPath: targetPathOf(f.path), before: f.text, after: texts.get(f.path)! }));
  return { files, rewrites, warnings };
}

/** `ws://<source host>:<source port>` → the target's host and port; other URLs unchanged. */
export function rewriteRemoteUrl(url: string, input: Pick<ConfigRewriteInput, 'sourcePort' | 'port' | 'sourceHost' | 'targetHost'>): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  const defaultPort = u.protocol === 'wss:' || u.protocol === 'https:' ? '443' : '80';
  const port = u.port || defaultPort;
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  const sameHost = loopback || (input.sourceHost !== undefined && u.hostname === input.sourceHost);
  if (!sameHost || (input.sourcePort !== undefined && port !== String(input.sourcePort))) return url;
  if (!loopback && input.targetHost) u.hostname = input.targetHost;
  u.port = String(input.port);
  const out = u.toString();
  // URL adds a "/" to a bare origin; keep the user's form.
  return !url.endsWith('/') && out.endsWith('/') && u.pathname === '/' ? out.slice(0, -1) : out;
}

export interface SymlinkFlag {
  /** The link (source path). */
  entryPath: string;
  /** Where it points (as stored). */
  linkpath: string;
  /** Where the link lands on the target. */
  targetEntryPath: string;
  /** `source-tree`: points into what is migrated, but stays pointing at the SOURCE path; `outside`: points at something not migrated. */
  points: 'source-tree' | 'outside';
  message: string;
}

/**
 * Absolute symlinks are copied as they are (OpenClaw's backup lists them as
 * externalSymbolicLinks); on the target they still point at source paths, or at files that are
 * not there. Each is flagged so the user can fix it.
 */
export function flagExternalSymlinks(links: ReadonlyArray<{ entryPath: string; linkpath: string }>, pathMap: readonly PathMapping[]): SymlinkFlag[] {
  return links
    .filter((l) => posix.isAbsolute(l.linkpath))
    .map((l) => {
      const mapped = mapPath(l.linkpath, pathMap);
      const points = mapped !== l.linkpath ? 'source-tree' : 'outside';
      const targetEntryPath = mapPath(l.entryPath, pathMap);
      return {
        entryPath: l.entryPath,
        linkpath: l.linkpath,
        targetEntryPath,
        points,
        message:
          points === 'source-tree'
            ? `${targetEntryPath} is an absolute symlink to ${l.linkpath} (a source path); on the target it should point to ${mapped}. Fix it with "ln -sfn ${mapped} ${targetEntryPath}".`
            : `${targetEntryPath} is an absolute symlink to ${l.linkpath}, outside what is migrated; make sure that exists on the target.`,
      } satisfies SymlinkFlag;
    });
}
