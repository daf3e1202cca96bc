/**
 * Real OpenClaw nodes for tests and fixture generation: installs `openclaw@<version>` into the tools
 * cache (scripts/openclaw-tools.mjs), creates an isolated node in a given HOME with
 * `openclaw onboard --non-interactive` + `openclaw agents add`, runs any `openclaw` command for it
 * and starts/stops a loopback gateway.
 *
 * Ownership: the OpenClaw install lives under root's cache (/root is mode 700), so commands always
 * run as the current user with HOME pointed at the node's home; when `owner` is given (a Unix user
 * of an sshd harness node) the home is `chown -R`'d to that user after every command that writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { freePort } from './free-port';
import { join } from 'node:path';

export interface OpenclawInstall {
  version: string;
  dir: string;
  bin: string;
  nodeBin: string;
  env: Record<string, string>;
}

/** Installs (once, cached) and returns the given OpenClaw version. */
export async function ensureOpenclaw(version: string): Promise<OpenclawInstall> {
  const tools = (await import('../../scripts/openclaw-tools.mjs')) as { ensureOpenclaw(v: string): Promise<OpenclawInstall> };
  return tools.ensureOpenclaw(version);
}

export interface OpenclawNodeSpec {
  version: string;
  /** HOME of the node (must exist). */
  home: string;
  /** State dir; default `<home>/.openclaw` (then OPENCLAW_STATE_DIR is not set, like a plain install). */
  stateDir?: string;
  /** Unix user that should own `home` afterwards (sshd harness users). */
  owner?: string;
  /** Gateway port written into the config; default: a free loopback port. */
  port?: number;
  /** Gateway token; default a fixed fake test token. */
  token?: string;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export const TEST_GATEWAY_TOKEN = 'test-gateway-token-not-a-secret';

export class OpenclawTestNode {
  readonly home: string;
  readonly stateDir: string;
  readonly port: number;
  readonly token: string;
  readonly owner: string | undefined;
  private gateway: ChildProcess | undefined;

  constructor(
    readonly install: OpenclawInstall,
    spec: OpenclawNodeSpec & { port: number },
  ) {
    this.home = spec.home;
    this.stateDir = spec.stateDir ?? join(spec.home, '.openclaw');
    this.port = spec.port;
    this.token = spec.token ?? TEST_GATEWAY_TOKEN;
    this.owner = spec.owner;
  }

  get version(): string {
    return this.install.version;
  }

  get configPath(): string {
    return join(this.stateDir, 'openclaw.json');
  }

  /** True when the state dir is not `<home>/.openclaw` (OPENCLAW_STATE_DIR is then exported). */
  get customStateDir(): boolean {
    return this.stateDir !== join(this.home, '.openclaw');
  }

  /** Environment for an `openclaw` process serving this node. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.install.env, HOME: this.home, ...extra };
    delete env.OPENCLAW_STATE_DIR;
    delete env.OPENCLAW_CONFIG_PATH;
    delete env.OPENCLAW_HOME;
    delete env.OPENCLAW_GATEWAY_PORT;
    if (this.customStateDir) env.OPENCLAW_STATE_DIR = this.stateDir;
    return env;
  }

  /** Runs `openclaw <args>` for this node (cwd = home). Never throws on a non-zero exit. */
  async run(args: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
    const started = Date.now();
    const result = await new Promise<RunResult>((resolve, reject) => {
      const child = spawn(this.install.nodeBin, [this.install.bin, ...args], { cwd: this.home, env: this.env(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      });
    });
    await this.fixOwnership();
    return result;
  }

  /** Runs a command that must succeed and print JSON; throws with its output otherwise. */
  async runJson<T = unknown>(args: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<T> {
    const r = await this.run(args, options);
    if (r.code !== 0) throw new Error(`openclaw ${args.join(' ')} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    try {
      return JSON.parse(r.stdout) as T;
    } catch {
      throw new Error(`openclaw ${args.join(' ')} printed no JSON:\n${r.stdout}\n${r.stderr}`);
    }
  }

  /** `openclaw onboard --non-interactive ...` without any API key (~5–9 s). */
  async onboard(): Promise<unknown> {
    return this.runJson([
      'onboard',
      '--non-interactive',
      '--accept-risk',
      '--mode',
      'local',
      '--auth-choice',
      'skip',
      '--gateway-auth',
      'token',
      '--gateway-token',
      this.token,
      '--gateway-bind',
      'loopback',
      '--gateway-port',
      String(this.port),
      '--skip-channels',
      '--skip-daemon',
      '--skip-health',
      '--skip-skills',
      '--skip-search',
      '--skip-ui',
      '--skip-hooks',
      '--json',
    ]);
  }

  /** `openclaw agents add <id> --non-interactive --workspace <ws>` (~12–17 s). Default workspace `<state>/workspace-<id>`. */
  async addAgent(id: string, workspace = join(this.stateDir, `workspace-${id}`)): Promise<unknown> {
    return this.runJson(['agents', 'add', id, '--non-interactive', '--workspace', workspace, '--json']);
  }

  /** The authoritative agent list (`openclaw agents list --json`). */
  async agentsList(): Promise<Array<Record<string, unknown>>> {
    return this.runJson(['agents', 'list', '--json']);
  }

  /** `openclaw gateway run --port P --bind loopback` in the background; resolves when /readyz says ready. */
  async startGateway(timeoutMs = 90_000): Promise<number> {
    if (this.gateway) throw new Error('gateway already started by this test node');
    const child = spawn(this.install.nodeBin, [this.install.bin, 'gateway', 'run', '--port', String(this.port), '--bind', 'loopback'], {
      cwd: this.home,
      env: this.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout!.on('data', (c) => (output = (output + c).slice(-8000)));
    child.stderr!.on('data', (c) => (output = (output + c).slice(-8000)));
    this.gateway = child;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        this.gateway = undefined;
        throw new Error(`gateway exited early (${child.exitCode ?? child.signalCode}):\n${output}`);
      }
      const ready = await httpGet(this.port, '/readyz').catch(() => undefined);
      if (ready?.status === 200) return child.pid!;
      await delay(500);
    }
    await this.stopGateway();
    throw new Error(`gateway not ready on port ${this.port} within ${timeoutMs} ms:\n${output}`);
  }

  /** SIGTERM to the gateway's process group, SIGKILL after 15 s; then fixes ownership. */
  async stopGateway(): Promise<void> {
    const child = this.gateway;
    if (!child) return;
    this.gateway = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    signalGroup(child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    await this.fixOwnership();
  }

  /**
   * `chown -R owner: home` when an owner was given (commands ran as root). OpenClaw 2026.9 keeps a
   * per-uid temp dir `~/.cache/openclaw-<uid>` and refuses one owned by someone else ("Unsafe
   * fallback OpenClaw temp dir"), so the one of the uid running the commands is given back.
   */
  async fixOwnership(): Promise<void> {
    if (!this.owner) return;
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const ownTemp = join(this.home, '.cache', `openclaw-${uid}`);
    const script = 'chown -R "$1:" "$2" && if [ -d "$3" ]; then chown -R "$4:$5" "$3"; fi';
    await new Promise<void>((resolve, reject) => {
      const child = spawn('sh', ['-c', script, 'sh', this.owner!, this.home, ownTemp, String(uid), String(gid)], { stdio: 'ignore' });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`chown -R ${this.owner}: ${this.home} failed (exit ${code})`))));
    });
  }
}

/**
 * Creates a node: onboard (main agent) and then each of `agents` (`{id, workspace?}`).
 * Measured here: onboard ~5 s (2026.9.6), agents add ~12–14 s each.
 */
export async function createOpenclawNode(spec: OpenclawNodeSpec & { agents?: Array<{ id: string; workspace?: string }> }): Promise<OpenclawTestNode> {
  const install = await ensureOpenclaw(spec.version);
  const node = new OpenclawTestNode(install, { ...spec, port: spec.port ?? (await freePort()) });
  await node.onboard();
  for (const agent of spec.agents ?? []) await node.addAgent(agent.id, agent.workspace);
  return node;
}

export function httpGet(port: number, path: string, timeoutMs = 3000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
