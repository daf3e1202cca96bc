import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { OcmError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import type { OpenclawInstall } from './install';
import { withToolsLock } from './install';
import { DEMO_AGENT_IDS } from './layout';

/**
 * The onboarded OpenClaw state every demo node starts from: made once per OpenClaw version by the
 * real CLI (`openclaw onboard --non-interactive` without any API key, then `openclaw agents add`
 * for each extra agent: about a minute on a 2-core machine) and kept in the tools cache. A node
 * gets a copy with the template's absolute paths replaced by its own and its own port and token
 * (what a migration does to a config); copying takes well under a second.
 */

/** Keeps a test or demo OpenClaw from talking to the world or updating itself. */
export const OPENCLAW_OFFLINE_ENV = { OPENCLAW_OFFLINE: '1', OPENCLAW_DISABLE_BONJOUR: '1', OPENCLAW_NO_AUTO_UPDATE: '1' } as const;

const TEMPLATE_PORT = 18800;
const TEMPLATE_TOKEN = 'demo-template-token';

export interface TemplateInfo {
  /** The template's state dir (where to copy from). */
  stateDir: string;
  /** The path its files name (as it was made: the same, unless the cache was moved or is reached through a link). */
  writtenAs: string;
  version: string;
}

/** Runs the install's `openclaw` for one state dir; rejects with its output on a non-zero exit. */
export function runOpenclawFor(
  install: OpenclawInstall,
  state: { home: string; stateDir: string },
  args: string[],
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...OPENCLAW_OFFLINE_ENV, HOME: state.home, OPENCLAW_STATE_DIR: state.stateDir };
    delete env.OPENCLAW_CONFIG_PATH;
    delete env.OPENCLAW_HOME;
    delete env.OPENCLAW_PROFILE;
    delete env.OPENCLAW_GATEWAY_PORT;
    const child = spawn(install.nodeBin, [install.bin, ...args], { cwd: state.home, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-16_000)));
    child.stderr.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-16_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    const onAbort = (): void => void child.kill('SIGTERM');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e) => reject(new OcmError('failed', `Cannot run ${install.bin}: ${e.message}.`)));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) reject(new OcmError('cancelled', `openclaw ${args[0]} was cancelled.`));
      else if (code === 0) resolve(out);
      else reject(new OcmError('failed', `openclaw ${args.slice(0, 2).join(' ')} failed (${signal ?? `exit ${code}`}): ${out.trim().slice(-1200)}`));
    });
  });
}

/** The cached template for the install's version, made now when missing. */
export async function ensureTemplate(
  install: OpenclawInstall,
  templateDir: string,
  options: { toolsDir: string; onProgress?: (m: string) => void; signal?: AbortSignal },
): Promise<TemplateInfo> {
  const marker = join(templateDir, 'template.json');
  const info: TemplateInfo = { stateDir: join(templateDir, 'state'), writtenAs: join(templateDir, 'state'), version: install.version };
  const done = async (): Promise<boolean> => {
    const text = await fs.readFile(marker, 'utf8').catch(() => undefined);
    if (text === undefined) return false;
    const m = JSON.parse(text) as { version?: string; stateDir?: string };
    if (m.stateDir) info.writtenAs = m.stateDir;
    return m.version === install.version;
  };
  if (await done()) return info;
  await withToolsLock(options, `demo-template-${install.version}`, async () => {
    if (await done()) return;
    const started = Date.now();
    await fs.rm(templateDir, { recursive: true, force: true });
    const home = join(templateDir, 'home');
    await fs.mkdir(home, { recursive: true, mode: 0o700 });
    const state = { home, stateDir: info.stateDir };
    options.onProgress?.(`Onboarding a demo OpenClaw node (openclaw onboard, no API key needed; about 10 s) ...`);
    await runOpenclawFor(
      install,
      state,
      [
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
        TEMPLATE_TOKEN,
        '--gateway-bind',
        'loopback',
        '--gateway-port',
        String(TEMPLATE_PORT),
        '--skip-channels',
        '--skip-daemon',
        '--skip-health',
        '--skip-skills',
        '--skip-search',
        '--skip-ui',
        '--skip-hooks',
        '--json',
      ],
      options.signal ? { signal: options.signal } : {},
    );
    for (const agent of DEMO_AGENT_IDS.filter((a) => a !== 'main')) {
      options.onProgress?.(`Adding agent "${agent}" (openclaw agents add; about 20 s) ...`);
      await runOpenclawFor(
        install,
        state,
        ['agents', 'add', agent, '--non-interactive', '--workspace', join(info.stateDir, `workspace-${agent}`), '--json'],
        options.signal ? { signal: options.signal } : {},
      );
    }
    await fs.writeFile(
      marker,
      JSON.stringify(
        { version: install.version, stateDir: info.stateDir, createdAt: new Date().toISOString(), seconds: (Date.now() - started) / 1000 },
        null,
        2,
      ) + '\n',
    );
    options.onProgress?.(`Demo node template ready in ${((Date.now() - started) / 1000).toFixed(0)} s (kept in ${templateDir} for the next build).`);
  });
  return info;
}

/**
 * Copies the template into `stateDir` and makes it that node's: the template's paths replaced in
 * every text file (openclaw.json and OpenClaw's .bak ring), the gateway port and a fresh random
 * token set. SQLite files are copied as they are (the template's gateway never ran).
 */
export async function instantiateTemplate(template: TemplateInfo, stateDir: string, gateway: { port: number; logFile?: string }): Promise<void> {
  await fs.cp(template.stateDir, stateDir, { recursive: true, errorOnExist: true, force: false });
  await rewritePaths(stateDir, template.writtenAs, stateDir);
  const configPath = join(stateDir, 'openclaw.json');
  const config = JSON.parse(await fs.readFile(configPath, 'utf8')) as {
    gateway?: { port?: number; auth?: { token?: string } };
    logging?: Record<string, unknown>;
  };
  config.gateway = { ...config.gateway, port: gateway.port, auth: { ...config.gateway?.auth, token: randomBytes(24).toString('hex') } };
  // Its own log file (OpenClaw's `logging.file`): by default every gateway of a machine writes the same /tmp/openclaw/openclaw-<date>.log.
  if (gateway.logFile) config.logging = { ...config.logging, file: gateway.logFile };
  await writeFileAtomic(configPath, JSON.stringify(config, null, 2) + '\n', 0o600);
  // OpenClaw's backup ring of the template's config (it still names the template's port and token).
  for (const name of await fs.readdir(stateDir)) if (/^openclaw\.json\.bak(\.\d+)?$/.test(name)) await fs.rm(join(stateDir, name));
}

async function rewritePaths(dir: string, from: string, to: string): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '.git') await rewritePaths(path, from, to);
      continue;
    }
    if (!entry.isFile() || /\.sqlite(-wal|-shm)?$/.test(entry.name)) continue;
    const st = await fs.stat(path);
    if (st.size > 1024 * 1024) continue;
    const bytes = await fs.readFile(path);
    if (bytes.includes(0)) continue;
    const text = bytes.toString('utf8');
    if (!text.includes(from)) continue;
    await writeFileAtomic(path, text.split(from).join(to), st.mode & 0o777);
  }
}
