// `npm start`: opens VS Code with OpenClaw Manager loaded on a demo fleet of two real OpenClaw nodes.
//
//   - the demo (src/core/demo, run as `ocm demo start`): on first run it takes OpenClaw 2026.9.6
//     from the tools cache (installing it from the npm registry when missing), onboards two nodes
//     demo-a and demo-b on this machine (host "local", own state dir and loopback gateway port
//     each, agents main/research/support), starts their gateways, takes one backup of each, and
//     starts a small demo agent that appends to demo-a's MEMORY.md now and then;
//   - desktop VS Code (`code` on PATH): a new Extension Development Host window on this checkout;
//   - otherwise code-server (VS Code in the browser, installed into the tools cache on first use):
//     prints a URL to open.
//   Ctrl-C stops code-server and exactly the gateways and processes the demo started (`ocm demo
//   stop`, by pid).
//
// The demo's registry and backups live in a demo ocm home in the tools cache and the extension
// reads it through OCM_HOME, so your real ~/.config/openclaw-manager is not touched.
//
//   npm start                     (options after `--`: npm start -- --port 8090 --reset-demo)
//   --port N        code-server port (default $PORT or 8080; a free one if that is taken)
//   --reset-demo    rebuild the demo nodes from scratch (otherwise your changes from the last run stay)
//   --browser-only  use code-server even when desktop `code` exists
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { toolsDir } from './tools.mjs';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const say = (message) => console.log(`[start] ${message}`);

function parseArgs(argv) {
  const options = { port: Number(process.env.PORT ?? 8080), resetDemo: false, browserOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--port') options.port = Number(argv[++i]);
    else if (arg === '--reset-demo') options.resetDemo = true;
    else if (arg === '--browser-only') options.browserOnly = true;
    else {
      console.error(`Unknown option ${arg}. Usage: npm start -- [--port N] [--reset-demo] [--browser-only]`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
    console.error(`--port must be a number from 1 to 65535.`);
    process.exit(2);
  }
  return options;
}

function build() {
  const result = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error('Building the extension failed (node scripts/build.mjs); see the errors above.');
}

/** `ocm demo <verb>` from the fresh build, with the terminal's output; no OPENCLAW_* of your own leaks in. */
function demoCli(args, options = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OPENCLAW_')));
  return spawn(process.execPath, [join(root, 'dist', 'cli.js'), 'demo', ...args], {
    cwd: root,
    env: { ...env, OCM_LANG: process.env.OCM_LANG ?? 'en' },
    stdio: ['ignore', 'inherit', 'inherit'],
    ...options,
  });
}

/**
 * Builds (first run, or --reset-demo) and starts the demo fleet; resolves with its ocm home. Ctrl-C
 * reaches `ocm demo start` too (same process group; SIGTERM is passed on), which cancels and
 * stops what it started; then the rest is stopped by pid and start exits.
 */
function startDemo(reset) {
  const home = join(toolsDir(), 'demo', 'ocm-home');
  return new Promise((resolve, reject) => {
    const child = demoCli(['start', ...(reset ? ['--reset'] : [])]);
    let interrupted = false;
    const onSignal = (sig) => {
      interrupted = true;
      if (sig === 'SIGTERM') child.kill('SIGTERM');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    child.on('error', reject);
    child.on('close', (code) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (interrupted) {
        stopDemo();
        process.exit(130);
      }
      if (code === 0) resolve(home);
      else if (existsSync(join(home, 'nodes.json'))) {
        // A gateway that is not ready still leaves the rest usable; the tree shows why.
        console.error('[start] the demo started with problems (see above); continuing.');
        resolve(home);
      } else reject(new Error('building the demo failed (see above). Retry with: npm start -- --reset-demo'));
    });
  });
}

/**
 * Your own OPENCLAW_* settings (a config path, profile, state dir) blanked for VS Code: ocm's
 * discovery of the local demo nodes would otherwise follow them to your real OpenClaw.
 */
function noOwnOpenclaw() {
  return Object.fromEntries(
    Object.keys(process.env)
      .filter((k) => k.startsWith('OPENCLAW_'))
      .map((k) => [k, '']),
  );
}

/** Stops what the demo started (by pid); waits for it. */
function stopDemo() {
  say('stopping the demo gateways and processes ...');
  spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), 'demo', 'stop'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}

function desktopCode() {
  const found = spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * code-server loads the checkout as an installed extension through a symlink in its extensions
 * folder, so the plain URL works (also through a forwarded port, which a development-path payload
 * URL would not survive). The manifest says extensionKind "ui" (desktop runs it next to the UI);
 * in the browser only the server's Node host can run it, hence the remote.extensionKind override.
 */
async function startBrowserVsCode(options, home) {
  const { startCodeServer, freePort } = await import('../test/support/vscode/code-server.mjs');
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const extensionId = `${manifest.publisher}.${manifest.name}`;
  const stateDir = join(toolsDir(), 'demo', 'code-server');
  const extensionsDir = join(stateDir, 'extensions');
  rmSync(extensionsDir, { recursive: true, force: true });
  mkdirSync(extensionsDir, { recursive: true });
  symlinkSync(root, join(extensionsDir, `${extensionId}-${manifest.version}`));

  const port = (await portIsFree(options.port)) ? options.port : await freePort();
  if (port !== options.port) say(`port ${options.port} is taken; using ${port}`);
  const server = await startCodeServer({
    workspace: home,
    port,
    // Kept between runs (settings, open editors); the demo home holds only demo data.
    stateDir,
    extensionsDir,
    userSettings: { 'remote.extensionKind': { [extensionId]: ['workspace'] } },
    env: { ...noOwnOpenclaw(), OCM_HOME: home },
  });
  const url = `${server.base}/`;
  let stopping = false;
  const stop = async (why) => {
    if (stopping) return;
    stopping = true;
    say(`${why}: stopping code-server ...`);
    await server.stop();
    stopDemo();
    say('stopped.');
    process.exit(0);
  };
  void server.exited.then(({ code, signal }) => {
    if (stopping) return;
    console.error(`[start] code-server ended by itself (${signal ?? `exit ${code}`}). Its last output:\n${server.output().slice(-3000)}`);
    stopDemo();
    process.exit(1);
  });
  process.on('SIGINT', () => void stop('Ctrl-C'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void stop('SIGHUP'));
  console.log('');
  console.log('  OpenClaw Manager is running in VS Code (code-server), with the demo nodes demo-a and demo-b.');
  console.log('  Open this URL in a browser (the extension is loaded from this checkout; reload the page after a rebuild):');
  console.log('');
  console.log(`    ${url}`);
  console.log('');
  console.log(`  Click the OpenClaw icon in the activity bar. Demo registry: ${join(home, 'nodes.json')}`);
  console.log('  Press Ctrl-C to stop (code-server and the demo gateways).');
  console.log('');
  // Keep running until a signal arrives; code-server lives in its own process group.
  setInterval(() => {}, 1 << 30);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!existsSync(join(root, 'node_modules'))) {
    console.error('[start] node_modules is missing: run "npm install" in the checkout first.');
    process.exit(1);
  }
  build();
  const home = await startDemo(options.resetDemo);
  const code = options.browserOnly ? undefined : desktopCode();
  if (code) {
    say(`opening desktop VS Code (${code}) with the extension from ${root}`);
    const child = spawn(code, ['--new-window', `--extensionDevelopmentPath=${root}`, home], {
      env: { ...process.env, ...noOwnOpenclaw(), OCM_HOME: home },
      stdio: 'inherit',
    });
    child.on('error', (e) => say(`could not start ${code}: ${e.message}`));
    say('the demo gateways keep running; press Ctrl-C here to stop them.');
    const stop = () => {
      stopDemo();
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', stop);
    setInterval(() => {}, 1 << 30);
    return;
  }
  say('no desktop `code` on PATH: starting code-server (VS Code in the browser)');
  const { ensureCodeServer } = await import('./tools.mjs');
  await ensureCodeServer();
  await startBrowserVsCode(options, home);
}

main().catch((e) => {
  console.error(`[start] ${e.message}`);
  if (existsSync(join(root, 'dist', 'cli.js'))) stopDemo();
  process.exit(1);
});
