import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { delimiter, join } from 'node:path';
import { OcmError } from '../errors';

/**
 * OpenClaw for the demo, from the tools cache: Node 24 (`<tools>/node24`, npm package
 * node-<platform>-<arch>@24: OpenClaw 2026.9 refuses older Node) and `<tools>/openclaw-<version>`,
 * the same layout, marker file and mkdir lock as scripts/tools.mjs and scripts/openclaw-tools.mjs,
 * so `npm start`, the tests and the extension share one install and wait for each other. Missing
 * parts are installed with the machine's `npm` from the npm registry (nothing else is fetched).
 */

export interface OpenclawInstall {
  version: string;
  dir: string;
  /** The `openclaw` launcher (a Node script). */
  bin: string;
  /** Node 24 binary to run it with. */
  nodeBin: string;
}

/** What a cold install downloads and takes (measured on a 2-core machine; shown before it starts). */
export const DEMO_DOWNLOAD = { downloadMb: 200, diskMb: 700, minutes: 2 } as const;

export interface InstallOptions {
  toolsDir: string;
  version: string;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
  /** Environment for npm (registry, proxy settings); default process.env. */
  env?: NodeJS.ProcessEnv;
}

function nodePackage(): string {
  const platform = process.platform === 'darwin' ? 'darwin' : process.platform === 'linux' ? 'linux' : undefined;
  const arch = process.arch === 'x64' || process.arch === 'arm64' ? process.arch : undefined;
  if (!platform || !arch) {
    throw new OcmError(
      'unsupported',
      `The demo needs Node.js 24 from the npm registry, which has builds for Linux and macOS on x64 and arm64 only (this is ${process.platform}/${process.arch}).`,
    );
  }
  return `node-${platform}-${arch}`;
}

async function exists(path: string): Promise<boolean> {
  return fs.access(path).then(
    () => true,
    () => false,
  );
}

/** Node 24 and openclaw@version in the tools cache, installing what is missing. */
export async function ensureDemoOpenclaw(options: InstallOptions): Promise<OpenclawInstall> {
  const say = options.onProgress ?? (() => undefined);
  const nodeDir = join(options.toolsDir, 'node24', 'node_modules', nodePackage());
  const nodeBin = join(nodeDir, 'bin', 'node');
  const dir = join(options.toolsDir, `openclaw-${options.version}`);
  const bin = join(dir, 'node_modules', '.bin', 'openclaw');
  const marker = join(dir, '.installed');
  const result = { version: options.version, dir, bin, nodeBin };
  if (!(await exists(nodeBin))) {
    await withToolsLock(options, 'node24', async () => {
      if (await exists(nodeBin)) return;
      say(`Installing Node.js 24 into ${join(options.toolsDir, 'node24')} (about 30 MB, a few seconds) ...`);
      await npm(['install', '--no-audit', '--no-fund', '--prefix', join(options.toolsDir, 'node24'), `${nodePackage()}@24`], options, undefined);
    });
    if (!(await exists(nodeBin)))
      throw new OcmError('failed', `Node.js 24 was installed but ${nodeBin} is missing. Remove ${join(options.toolsDir, 'node24')} and try again.`);
  }
  if ((await exists(marker)) && (await exists(bin))) return result;
  await withToolsLock(options, `openclaw-${options.version}`, async () => {
    if ((await exists(marker)) && (await exists(bin))) return;
    await fs.mkdir(dir, { recursive: true });
    const started = Date.now();
    say(
      `Installing OpenClaw ${options.version} into ${dir} (about ${DEMO_DOWNLOAD.downloadMb} MB download, ${DEMO_DOWNLOAD.diskMb} MB on disk, 1-2 minutes) ...`,
    );
    await npm(['install', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', dir, `openclaw@${options.version}`], options, join(nodeDir, 'bin'));
    if (!(await exists(bin))) throw new OcmError('failed', `openclaw@${options.version} was installed but ${bin} is missing. Remove ${dir} and try again.`);
    const seconds = (Date.now() - started) / 1000;
    await fs.writeFile(marker, JSON.stringify({ version: options.version, installedAt: new Date().toISOString(), seconds }) + '\n');
    say(`OpenClaw ${options.version} installed in ${seconds.toFixed(0)} s.`);
  });
  return result;
}

/** The environment minus what an outer npm (`npm start`) exported for its own script. */
function npmEnv(env: NodeJS.ProcessEnv, nodeBinDir: string | undefined): NodeJS.ProcessEnv {
  const outerNpmOnly =
    /^(npm_config_(user_agent|local_prefix|prefix)|npm_lifecycle_.*|npm_package_.*|npm_command|npm_execpath|npm_node_execpath|NODE|INIT_CWD)$/i;
  const clean = Object.fromEntries(Object.entries(env).filter(([key]) => !outerNpmOnly.test(key)));
  return { ...clean, ...(nodeBinDir ? { PATH: `${nodeBinDir}${delimiter}${env.PATH ?? ''}` } : {}), npm_config_update_notifier: 'false' };
}

function npm(args: string[], options: InstallOptions, nodeBinDir: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { env: npmEnv(options.env ?? process.env, nodeBinDir), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    const onAbort = (): void => void child.kill('SIGTERM');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e: NodeJS.ErrnoException) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(
        e.code === 'ENOENT'
          ? new OcmError('notFound', 'npm was not found on PATH. The demo installs OpenClaw with npm: install Node.js (with npm) and try again.')
          : new OcmError('failed', `npm could not be started: ${e.message}.`),
      );
    });
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) reject(new OcmError('cancelled', `npm ${args.slice(-1)[0]} was cancelled.`));
      else if (code === 0) resolve();
      else
        reject(
          new OcmError(
            'failed',
            `npm ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${stderr.trim().slice(-800)} Check the network connection to the npm registry and try again.`,
          ),
        );
    });
  });
}

/**
 * The tools cache's lock (scripts/tools.mjs withLock): a folder `<tools>/.locks/<name>` holding the
 * owner's pid; a lock whose owner is gone is taken over.
 */
export async function withToolsLock<T>(
  options: Pick<InstallOptions, 'toolsDir' | 'onProgress' | 'signal'>,
  name: string,
  body: () => Promise<T>,
  waitMs = 20 * 60_000,
): Promise<T> {
  const locks = join(options.toolsDir, '.locks');
  await fs.mkdir(locks, { recursive: true });
  const lock = join(locks, name);
  const deadline = Date.now() + waitMs;
  let announced = false;
  for (;;) {
    try {
      await fs.mkdir(lock);
      await fs.writeFile(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (await lockOwnerGone(lock)) {
        await fs.rm(lock, { recursive: true, force: true });
        continue;
      }
      if (options.signal?.aborted) throw new OcmError('cancelled', `Waiting for ${lock} was cancelled.`);
      if (Date.now() > deadline) throw new OcmError('timeout', `Timed out waiting for the tools lock ${lock}. If no install is running, remove that folder.`);
      if (!announced) options.onProgress?.(`Waiting for another install to finish (${lock}) ...`);
      announced = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await body();
  } finally {
    await fs.rm(lock, { recursive: true, force: true });
  }
}

async function lockOwnerGone(lock: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number(await fs.readFile(join(lock, 'pid'), 'utf8'));
  } catch {
    const st = await fs.stat(lock).catch(() => undefined);
    return st ? Date.now() - st.mtimeMs > 60_000 : false;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
