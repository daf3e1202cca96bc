// Installs real OpenClaw releases into the tools cache (outside the checkout) for fixtures and
// integration tests:
//
//   node scripts/openclaw-tools.mjs [2026.9.6|2026.7.1|all]      (default: all)
//
// Each version goes to <cache>/openclaw-<version>/ (npm --prefix), installed with the cache's
// Node 24 first on PATH because 2026.9.x refuses older Node. Idempotent (a `.installed` marker)
// and guarded by the same mkdir lock as scripts/tools.mjs, so concurrent callers wait.
//
// Measured on the 2-core build machine (cold cache, npm registry reachable):
//   openclaw@2026.9.6: 31.5 s, 647 MB      openclaw@2026.7.1: 32.5 s (while other work ran: up to ~50 s)
// (the real numbers of each install are written into the marker file as `seconds`).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureNode24, toolsDir, withLock } from './tools.mjs';

export const OPENCLAW_VERSIONS = ['2026.9.6', '2026.7.1'];

/** Environment that keeps a test OpenClaw from talking to the world or updating itself. */
export const OPENCLAW_OFFLINE_ENV = {
  OPENCLAW_OFFLINE: '1',
  OPENCLAW_DISABLE_BONJOUR: '1',
  OPENCLAW_NO_AUTO_UPDATE: '1',
};

function log(message) {
  console.log(`[openclaw-tools] ${message}`);
}

/**
 * Ensures `openclaw@<version>` is installed. Returns
 *   { version, dir, bin, nodeBin, env }
 * where `bin` is the `openclaw` launcher (a Node script), `nodeBin` the Node 24 binary to run it
 * with, and `env` a PATH (Node 24 + OpenClaw's bin first) plus the offline switches; merge `env`
 * into process.env (and set HOME / OPENCLAW_STATE_DIR) when spawning.
 */
export async function ensureOpenclaw(version = OPENCLAW_VERSIONS[0]) {
  if (!/^\d{4}\.\d+\.\d+$/.test(version)) throw new Error(`not an OpenClaw version: ${version} (expected e.g. 2026.9.6)`);
  const node24 = await ensureNode24();
  const dir = join(toolsDir(), `openclaw-${version}`);
  const binDir = join(dir, 'node_modules', '.bin');
  const bin = join(binDir, 'openclaw');
  const marker = join(dir, '.installed');
  const env = {
    PATH: `${node24.binDir}${delimiter}${binDir}${delimiter}${process.env.PATH ?? ''}`,
    ...OPENCLAW_OFFLINE_ENV,
  };
  const result = { version, dir, bin, nodeBin: node24.node, env };
  if (existsSync(marker) && existsSync(bin)) return result;
  await withLock(`openclaw-${version}`, async () => {
    if (existsSync(marker) && existsSync(bin)) return;
    mkdirSync(dir, { recursive: true });
    const started = Date.now();
    log(`install openclaw@${version} into ${dir} (cold: about 50 s, ~650 MB) ...`);
    await run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', dir, `openclaw@${version}`], {
      ...process.env,
      PATH: `${node24.binDir}${delimiter}${process.env.PATH ?? ''}`,
      npm_config_update_notifier: 'false',
    });
    if (!existsSync(bin)) throw new Error(`openclaw@${version} install finished but ${bin} is missing; remove ${dir} and retry.`);
    const seconds = (Date.now() - started) / 1000;
    writeFileSync(marker, JSON.stringify({ version, installedAt: new Date().toISOString(), seconds }) + '\n');
    log(`install openclaw@${version}: done in ${seconds.toFixed(1)}s`);
  });
  return result;
}

function run(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`))));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const what = process.argv[2] ?? 'all';
  const versions = what === 'all' ? OPENCLAW_VERSIONS : [what];
  try {
    for (const version of versions) {
      const started = Date.now();
      const r = await ensureOpenclaw(version);
      log(`openclaw ${version}: ${r.bin} (run with ${r.nodeBin}) ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    }
  } catch (e) {
    console.error(`[openclaw-tools] ${e.message}`);
    process.exit(1);
  }
}
