// A real OpenClaw 2026.9.6 node on this machine (host "local") whose gateway can be started and
// stopped, for the dashboard's extension test (test/extension/dashboard.test.ts) and its screenshot
// scene (test/extension/dashboard-screenshots.mjs): `openclaw onboard --non-interactive` into a
// temp home with its own state dir and a free loopback port, then `openclaw gateway run` in its
// own process group (stopped by pid). Uses the cached install the runner hands over in
// OCM_TEST_OPENCLAW, through the wrapper of local-migration.mjs (as a user's own install on PATH).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { openclawWrapper } from './local-migration.mjs';

const TOKEN = 'test-gateway-token-not-a-secret';

function installOf(installJson = process.env.OCM_TEST_OPENCLAW) {
  if (!installJson) throw new Error('OCM_TEST_OPENCLAW is not set: run through scripts/vscode-tests.mjs, which installs OpenClaw 2026.9.6 and passes it on.');
  return JSON.parse(installJson);
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function readyz(port) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function prepare(root, spec, installJson) {
  const install = installOf(installJson);
  const wrapper = openclawWrapper(root, installJson);
  const home = join(root, spec.id);
  const stateDir = join(home, 'state');
  mkdirSync(stateDir, { recursive: true });
  const env = { ...process.env, ...install.env, HOME: home, OPENCLAW_STATE_DIR: stateDir };
  delete env.OPENCLAW_CONFIG_PATH;
  delete env.OPENCLAW_GATEWAY_PORT;
  const onboardArgs = [
    install.bin,
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
    TOKEN,
    '--gateway-bind',
    'loopback',
    '--gateway-port',
    String(spec.port),
    '--skip-channels',
    '--skip-daemon',
    '--skip-health',
    '--skip-skills',
    '--skip-search',
    '--skip-ui',
    '--skip-hooks',
    '--json',
  ];
  return { install, wrapper, home, stateDir, env, onboardArgs };
}

/**
 * Onboards a node under `root` synchronously (~5–20 s; for the screenshot runner, whose scene
 * registries are computed synchronously) and returns its registry entry and start()/stop().
 * @param {string} root an empty temp folder
 * @param {{ id: string, port: number, labels?: string[] }} spec
 */
export function gatewayNode(root, spec, installJson) {
  const p = prepare(root, spec, installJson);
  const onboard = spawnSync(p.install.nodeBin, p.onboardArgs, { cwd: p.home, env: p.env, encoding: 'utf8', timeout: 180_000 });
  if (onboard.status !== 0) throw new Error(`openclaw onboard failed (exit ${onboard.status ?? onboard.signal}):\n${onboard.stdout}\n${onboard.stderr}`);
  return controls(p, spec);
}

/** The same without blocking (inside the extension host a blocked thread looks unresponsive). */
export async function createGatewayNode(root, spec, installJson) {
  const p = prepare(root, spec, installJson);
  const result = await new Promise((resolve, reject) => {
    const child = spawn(p.install.nodeBin, p.onboardArgs, { cwd: p.home, env: p.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
  if (result.code !== 0) throw new Error(`openclaw onboard failed (exit ${result.code}):\n${result.out}`);
  return controls(p, spec);
}

function controls({ install, wrapper, home, stateDir, env }, spec) {
  let child;
  return {
    stateDir,
    port: spec.port,
    entry: { id: spec.id, host: 'local', stateDir, openclawPath: wrapper, labels: spec.labels ?? [] },
    /** Starts `openclaw gateway run`; resolves when /readyz answers 200. */
    async start(timeoutMs = 150_000) {
      if (child) return;
      child = spawn(install.nodeBin, [install.bin, 'gateway', 'run', '--port', String(spec.port), '--bind', 'loopback'], {
        cwd: home,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let output = '';
      const keep = (c) => (output = (output + c).slice(-4000));
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`the gateway exited early (${child.exitCode ?? child.signalCode}):\n${output}`);
        if (await readyz(spec.port)) return;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`the gateway was not ready on port ${spec.port} within ${timeoutMs} ms:\n${output}`);
    },
    /** SIGKILL to the gateway's process group at once (for process exit hooks, which cannot wait). */
    killNow() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    },
    /** SIGTERM to the gateway's process group (SIGKILL after 15 s); resolves when it exited. */
    async stop() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('close', r));
      const signal = (s) => {
        try {
          process.kill(-c.pid, s);
        } catch {
          c.kill(s);
        }
      };
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
