import { promises as fs } from 'node:fs';
import { hostname as localHostName, userInfo } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import type { Directive, Line, Section } from 'ssh-config' with { 'resolution-mode': 'import' };
import { OcmError } from '../errors';
import { parseTarget } from '../registry/target';
import { sshConfig } from '../vendor';

// ssh-config is loaded on first use (../vendor).
type SSHConfig = InstanceType<ReturnType<typeof sshConfig>['default']>;
const SSHConfig = {
  parse: (text: string): SSHConfig => sshConfig().default.parse(text),
  get DIRECTIVE() {
    return sshConfig().default.DIRECTIVE;
  },
};
const sshGlob: ReturnType<typeof sshConfig>['glob'] = (patterns, host) => sshConfig().glob(patterns, host);

/**
 * ~/.ssh/config for the keywords this tool uses. Parsing and Host/Match evaluation are the
 * `ssh-config` package's (first value wins, like OpenSSH); this module adds what that package does
 * not do: `Include` (relative to ~/.ssh, globs, nested, also inside Host blocks), `~` and `%`
 * tokens, and ProxyJump hop parsing. `Match exec` is never run (treated as not matching): resolving
 * a target must not execute commands.
 */

export interface SshConfigSource {
  /** Home directory used for `~`, `%d` and the default config path. */
  home: string;
  /** User config; default `<home>/.ssh/config`. */
  configPath?: string;
  /** System config read after the user config; default `/etc/ssh/ssh_config`; `null` = none (tests). */
  systemConfigPath?: string | null;
}

interface LoadedFile {
  path: string;
  lines: Line[];
}

/** One Include directive's files, loaded, keyed by the directive object the parser produced. */
type IncludeMap = WeakMap<Directive, LoadedFile[]>;

const MAX_INCLUDE_DEPTH = 16;

/** A parsed ssh config (user + system, includes loaded) that can be queried per host. */
export class SshConfig {
  private constructor(
    private readonly files: LoadedFile[],
    private readonly includes: IncludeMap,
    readonly home: string,
  ) {}

  /** Loads the config files; missing files are an empty config. */
  static async load(source: SshConfigSource): Promise<SshConfig> {
    const includes: IncludeMap = new WeakMap();
    const files: LoadedFile[] = [];
    const userPath = source.configPath ?? join(source.home, '.ssh', 'config');
    const user = await loadFile(userPath, join(source.home, '.ssh'), source.home, includes, 0);
    if (user) files.push(user);
    const systemPath = source.systemConfigPath === undefined ? '/etc/ssh/ssh_config' : source.systemConfigPath;
    if (systemPath) {
      const system = await loadFile(systemPath, dirname(systemPath), source.home, includes, 0);
      if (system) files.push(system);
    }
    return new SshConfig(files, includes, source.home);
  }

  /** Parses config text directly (tests); Include paths resolve against `<home>/.ssh`. */
  static async fromText(text: string, home: string): Promise<SshConfig> {
    const includes: IncludeMap = new WeakMap();
    const file = await parseLoaded('<text>', text, join(home, '.ssh'), home, includes, 0);
    return new SshConfig([file], includes, home);
  }

  /**
   * Raw keyword values for `host` (lowercased keyword names; multi-value keywords such as
   * IdentityFile and UserKnownHostsFile as arrays). No tokens expanded.
   */
  compute(host: string): Record<string, string | string[]> {
    const flat: Line[] = [];
    for (const file of this.files) flattenInto(flat, file.lines, this.includes, host);
    const config = SSHConfig.parse('');
    config.push(...flat);
    return config.compute(host, { ignoreCase: true, matchExec: false });
  }

  /**
   * The concrete `Host` aliases of all files (includes followed), in file order, without
   * duplicates: patterns with `*`, `?` or `!` are left out since they name no single machine.
   */
  hostAliases(): string[] {
    const aliases = new Set<string>();
    const visit = (lines: readonly Line[]): void => {
      for (const line of lines) {
        if (line.type !== SSHConfig.DIRECTIVE) continue;
        if ('config' in line) {
          if (/^host$/i.test(line.param)) {
            for (const name of directiveValues(line)) if (!/[*?!]/.test(name)) aliases.add(name);
          }
          visit([...line.config]);
        } else if (/^include$/i.test(line.param)) {
          for (const file of this.includes.get(line) ?? []) visit(file.lines);
        }
      }
    };
    for (const file of this.files) visit(file.lines);
    return [...aliases];
  }
}

async function loadFile(path: string, includeBase: string, home: string, includes: IncludeMap, depth: number): Promise<LoadedFile | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw new OcmError('invalidConfig', `Cannot read the SSH config ${path}: ${(e as Error).message}. Check its permissions.`, { path });
  }
  return parseLoaded(path, text, includeBase, home, includes, depth);
}

async function parseLoaded(path: string, text: string, includeBase: string, home: string, includes: IncludeMap, depth: number): Promise<LoadedFile> {
  let parsed: SSHConfig;
  try {
    parsed = SSHConfig.parse(text);
  } catch (e) {
    throw new OcmError('invalidConfig', `The SSH config ${path} cannot be parsed (${(e as Error).message}). Fix it (check with "ssh -G <host>").`, { path });
  }
  const lines = [...parsed];
  await loadIncludes(lines, path, includeBase, home, includes, depth);
  return { path, lines };
}

async function loadIncludes(lines: readonly Line[], path: string, includeBase: string, home: string, includes: IncludeMap, depth: number): Promise<void> {
  for (const line of lines) {
    if (line.type !== SSHConfig.DIRECTIVE) continue;
    if ('config' in line) {
      await loadIncludes([...line.config], path, includeBase, home, includes, depth);
      continue;
    }
    if (!/^include$/i.test(line.param)) continue;
    if (depth >= MAX_INCLUDE_DEPTH) {
      throw new OcmError(
        'invalidConfig',
        `SSH config Include nesting is deeper than ${MAX_INCLUDE_DEPTH} in ${path} (an Include loop?). Fix the Include lines.`,
        { path },
      );
    }
    const loaded: LoadedFile[] = [];
    for (const pattern of directiveValues(line)) {
      const expanded = expandTilde(pattern, home);
      const absolute = isAbsolute(expanded) ? expanded : join(includeBase, expanded);
      for (const match of await expandPathGlob(absolute)) {
        const file = await loadFile(match, includeBase, home, includes, depth + 1);
        if (file) loaded.push(file);
      }
    }
    includes.set(line, loaded);
  }
}

/**
 * Copies `lines` into `out` with Include directives replaced by the included lines. Inside a
 * Host block an included file's own Host/Match sections apply only when the enclosing block
 * matches `host` (OpenSSH semantics), so they are emitted only then, between the two halves of
 * the enclosing block to keep first-value-wins order.
 */
function flattenInto(out: Line[], lines: readonly Line[], includes: IncludeMap, host: string): void {
  for (const line of lines) {
    if (line.type !== SSHConfig.DIRECTIVE) continue;
    if ('config' in line) {
      flattenSection(out, line, includes, host);
    } else if (/^include$/i.test(line.param)) {
      for (const file of includes.get(line) ?? []) flattenInto(out, file.lines, includes, host);
    } else {
      out.push(line);
    }
  }
}

function flattenSection(out: Line[], section: Section, includes: IncludeMap, host: string): void {
  const enclosingMatches = sectionMatches(section, host);
  let chunk: Line[] = [];
  const emitChunk = (): void => {
    const config = SSHConfig.parse('');
    config.push(...chunk);
    out.push({ ...section, config });
    chunk = [];
  };
  for (const line of section.config) {
    if (line.type !== SSHConfig.DIRECTIVE) continue;
    if (!('config' in line) && /^include$/i.test(line.param)) {
      const included: Line[] = [];
      for (const file of includes.get(line) ?? []) flattenInto(included, file.lines, includes, host);
      const firstSection = included.findIndex((l) => 'config' in l);
      const leading = firstSection === -1 ? included : included.slice(0, firstSection);
      chunk.push(...leading);
      if (firstSection !== -1 && enclosingMatches) {
        emitChunk();
        out.push(...included.slice(firstSection));
      }
    } else {
      chunk.push(line);
    }
  }
  emitChunk();
}

/** Host blocks are matched like the library does; an included Match block only when it is `Match all`. */
function sectionMatches(section: Section, host: string): boolean {
  if (/^host$/i.test(section.param)) {
    const patterns = Array.isArray(section.value) ? section.value.map((v) => v.val) : section.value.split(/\s+/);
    return sshGlob(patterns, host);
  }
  return 'criteria' in section && Object.keys((section as { criteria: Record<string, unknown> }).criteria).every((k) => /^all$/i.test(k));
}

function directiveValues(line: Directive): string[] {
  return Array.isArray(line.value) ? line.value.map((v) => v.val) : line.value.split(/\s+/).filter((v) => v !== '');
}

export function expandTilde(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}

/** Expands `*`, `?` in any path segment (no leading-dot matches, sorted like glob(3)). */
export async function expandPathGlob(path: string): Promise<string[]> {
  if (!/[*?]/.test(path)) return [path];
  const segments = path.split('/');
  let bases = [segments[0] === '' ? '/' : segments[0]!];
  for (const segment of segments.slice(1)) {
    if (segment === '') continue;
    const next: string[] = [];
    for (const base of bases) {
      if (!/[*?]/.test(segment)) {
        next.push(join(base, segment));
        continue;
      }
      let names: string[];
      try {
        names = await fs.readdir(base);
      } catch {
        continue;
      }
      const regex = globSegmentRegex(segment);
      for (const name of names.sort()) {
        if (name.startsWith('.') && !segment.startsWith('.')) continue;
        if (regex.test(name)) next.push(join(base, name));
      }
    }
    bases = next;
  }
  return bases;
}

function globSegmentRegex(segment: string): RegExp {
  const body = segment
    .split('')
    .map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

// ---------------------------------------------------------------------------------------------
// Resolution of one host: precedence, defaults, tokens.

/** A ProxyJump hop as written: `[ssh://][user@]host[:port]`. */
export interface JumpSpec {
  host: string;
  user?: string;
  port?: number;
}

export interface ResolvedSshHost {
  /** The name that was looked up (registry host or Host alias). */
  alias: string;
  /** Address to connect to (HostName, tokens expanded), or `alias` when there is none. */
  hostName: string;
  port: number;
  user: string;
  /** IdentityFile values, `~` and tokens expanded, in config order (registry identityFile first). */
  identityFiles: string[];
  identitiesOnly: boolean;
  /** Agent socket path; `null` when IdentityAgent is `none`; undefined = use $SSH_AUTH_SOCK. */
  identityAgent: string | null | undefined;
  /** ProxyJump hops outermost first ([] when none). */
  proxyJump: JumpSpec[];
  hostKeyAlias?: string;
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  /** StrictHostKeyChecking as written (lowercased), if set. */
  strictHostKeyChecking?: string;
  /** False when the config says `PasswordAuthentication no`. */
  passwordAuthentication: boolean;
  kbdInteractiveAuthentication: boolean;
}

export interface ResolveHostOptions {
  /** Registry entry overrides: they beat the ssh config. */
  port?: number;
  user?: string;
  identityFile?: string;
  /** Local user name (default: the OS user). */
  localUser?: string;
  env?: NodeJS.ProcessEnv;
}

/** Resolves `alias` through the config: registry overrides > ssh config > OpenSSH defaults. */
export function resolveSshHost(config: SshConfig, alias: string, options: ResolveHostOptions = {}): ResolvedSshHost {
  // OpenSSH lowercases the destination before matching Host patterns.
  const raw = config.compute(alias.toLowerCase());
  const home = config.home;
  const env = options.env ?? process.env;
  const localUser = options.localUser ?? safeLocalUser(env);
  const single = (key: string): string | undefined => {
    const v = raw[key];
    const first = Array.isArray(v) ? v[0] : v;
    return first === undefined || first === '' ? undefined : first;
  };
  const list = (key: string): string[] => {
    const v = raw[key];
    if (v === undefined) return [];
    return (Array.isArray(v) ? v : v.split(/\s+/)).filter((x) => x !== '');
  };

  const hostNameRaw = single('hostname');
  const hostName = hostNameRaw ? expandTokens(hostNameRaw, { '%': '%', h: alias }).toLowerCase() : alias;
  const configPort = single('port');
  const port = options.port ?? (configPort !== undefined ? parsePort(configPort, alias) : 22);
  const user = options.user ?? single('user') ?? localUser;
  const hostKeyAlias = single('hostkeyalias');

  const tokens: Record<string, string> = {
    '%': '%',
    d: home,
    h: hostName,
    n: alias,
    p: String(port),
    r: user,
    u: localUser,
    l: localHostName().split('.')[0] ?? '',
    L: localHostName(),
    i: String(typeof process.getuid === 'function' ? process.getuid() : 0),
    k: hostKeyAlias ?? alias,
  };
  const pathValue = (value: string): string => expandTilde(expandEnv(expandTokens(value, tokens), env), home);

  const identityFiles = [
    ...(options.identityFile ? [expandTilde(options.identityFile, home)] : []),
    ...list('identityfile')
      .filter((f) => f.toLowerCase() !== 'none')
      .map(pathValue),
  ];

  const agentRaw = single('identityagent');
  let identityAgent: string | null | undefined;
  if (agentRaw === undefined) identityAgent = undefined;
  else if (agentRaw.toLowerCase() === 'none') identityAgent = null;
  else if (agentRaw === 'SSH_AUTH_SOCK') identityAgent = undefined;
  else identityAgent = pathValue(agentRaw);

  const jumpRaw = single('proxyjump');
  const proxyJump = jumpRaw && jumpRaw.toLowerCase() !== 'none' ? parseProxyJump(jumpRaw) : [];

  const userKnown = list('userknownhostsfile');
  const globalKnown = list('globalknownhostsfile');
  const strict = single('stricthostkeychecking');

  return {
    alias,
    hostName,
    port,
    user,
    identityFiles,
    identitiesOnly: yes(single('identitiesonly')),
    identityAgent,
    proxyJump,
    ...(hostKeyAlias ? { hostKeyAlias } : {}),
    userKnownHostsFiles: (userKnown.length > 0 ? userKnown : ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'])
      .filter((f) => f.toLowerCase() !== 'none')
      .map(pathValue),
    globalKnownHostsFiles: (globalKnown.length > 0 ? globalKnown : ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'])
      .filter((f) => f.toLowerCase() !== 'none')
      .map(pathValue),
    ...(strict ? { strictHostKeyChecking: strict.toLowerCase() } : {}),
    passwordAuthentication: single('passwordauthentication')?.toLowerCase() !== 'no',
    kbdInteractiveAuthentication: (single('kbdinteractiveauthentication') ?? single('challengeresponseauthentication'))?.toLowerCase() !== 'no',
  };
}

/** Parses a ProxyJump value: comma-separated `[ssh://][user@]host[:port]` hops. */
export function parseProxyJump(value: string): JumpSpec[] {
  return value
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '')
    .map((hop) => {
      const withoutScheme = hop.replace(/^ssh:\/\//i, '').replace(/\/$/, '');
      try {
        return parseTarget(withoutScheme);
      } catch {
        throw new OcmError('invalidConfig', `ProxyJump hop "${hop}" in the SSH config is not of the form [user@]host[:port]. Fix the ProxyJump line.`, { hop });
      }
    });
}

/** Replaces `%x` tokens that appear in `tokens`; unknown tokens are left as written. */
export function expandTokens(value: string, tokens: Record<string, string>): string {
  return value.replace(/%(.)/g, (match, key: string) => tokens[key] ?? match);
}

/** `${VAR}` environment references (IdentityAgent, IdentityFile, UserKnownHostsFile). */
function expandEnv(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => env[name] ?? '');
}

function parsePort(value: string, alias: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new OcmError('invalidConfig', `The SSH config sets Port "${value}" for ${alias}, which is not a port number (1-65535). Fix the Port line.`, {
      alias,
    });
  }
  return port;
}

function yes(value: string | undefined): boolean {
  return value !== undefined && /^(yes|true)$/i.test(value);
}

export function safeLocalUser(env: NodeJS.ProcessEnv = process.env): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.LOGNAME ?? env.USERNAME ?? 'root';
  }
}
