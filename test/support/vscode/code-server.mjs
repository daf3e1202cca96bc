// Starts and stops code-server (VS Code in the browser) for the extension tests, screenshots and
// `npm start`. Plain JavaScript: scripts run it with bare node, without tsx.
//
//   const server = await startCodeServer({ workspace, env: { OCM_HOME } });
//   server.workbenchUrl({ extensionDevelopmentPath, extensionTestsPath })
//   await server.stop();        // kills code-server's whole process group
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCodeServer } from '../../../scripts/tools.mjs';

/** Settings that keep the workbench quiet, offline and the same on every run. */
export const QUIET_USER_SETTINGS = {
  'chat.disableAIFeatures': true,
  // Tests run health checks themselves (deterministic tree labels); users get them automatically.
  'openclaw.status.checkAutomatically': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'github.gitAuthentication': false,
  'window.dialogStyle': 'custom',
  // The chat panel's empty secondary side bar would take a third of every screenshot.
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * @param {object} options
 * @param {string} options.workspace        folder the workbench opens
 * @param {Record<string,string>} [options.env]   extra environment for code-server and its extension hosts (e.g. OCM_HOME)
 * @param {object} [options.userSettings]   merged over QUIET_USER_SETTINGS
 * @param {string} [options.stateDir]       where user data, extensions and XDG dirs go (default: a new temp dir, removed by stop())
 * @param {string} [options.extensionsDir]  extensions folder (default: inside stateDir)
 * @param {number} [options.port]           default: a free port
 * @param {(line: string) => void} [options.onOutput]  code-server's own log lines (default: dropped)
 * @param {string} [options.locale]         display language, e.g. "ja" (see installDisplayLanguage)
 */
export async function startCodeServer(options) {
  const tools = await ensureCodeServer();
  const ownsState = !options.stateDir;
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'ocm-code-server-'));
  const dirs = {
    userData: join(stateDir, 'user-data'),
    extensions: options.extensionsDir ?? join(stateDir, 'extensions'),
    xdgConfig: join(stateDir, 'xdg-config'),
    xdgData: join(stateDir, 'xdg-data'),
    tmp: join(stateDir, 'tmp'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(join(dirs.userData, 'User', 'settings.json'), JSON.stringify({ ...QUIET_USER_SETTINGS, ...options.userSettings }, null, 2) + '\n');

  if (options.locale) installDisplayLanguage(options.locale, dirs);
  const port = options.port ?? (await freePort());
  const args = [
    tools.entry,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--reconnection-grace-time',
    '5',
    // Without it code-server silently ignores the extensionTestsPath payload.
    '--vscode-option',
    'enable-smoke-test-driver',
    '--user-data-dir',
    dirs.userData,
    '--extensions-dir',
    dirs.extensions,
    ...(options.locale ? ['--locale', options.locale] : []),
    options.workspace,
  ];
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    TMPDIR: dirs.tmp,
    ...options.env,
  };
  // Own process group: stop() kills code-server and every extension host it forked.
  const child = spawn(tools.node, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const onData = (chunk) => {
    const text = chunk.toString();
    output = (output + text).slice(-20_000);
    if (options.onOutput) for (const line of text.split('\n')) if (line.trim()) options.onOutput(line);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exited = false;
  const exitedPromise = new Promise((resolve) => child.on('exit', (code, signal) => ((exited = true), resolve({ code, signal }))));

  const base = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    killGroup(child.pid, 'SIGTERM');
    const gone = await Promise.race([exitedPromise.then(() => true), delay(3000).then(() => false)]);
    // Extension hosts may outlive the server process; the group kill reaches them too.
    killGroup(child.pid, 'SIGKILL');
    if (!gone) await Promise.race([exitedPromise, delay(2000)]);
    if (ownsState) rmSync(stateDir, { recursive: true, force: true });
  };

  try {
    await waitForHealth(base, () => exited, 60_000);
  } catch (e) {
    await stop();
    throw new Error(`${e.message}\ncode-server output:\n${output.slice(-4000)}`);
  }

  return {
    port,
    pid: child.pid,
    base,
    dirs,
    stop,
    /** Resolves with { code, signal } when the code-server process ends (for whatever reason). */
    exited: exitedPromise,
    output: () => output,
    /**
     * Workbench URL. With extensionDevelopmentPath the extension is loaded from that folder; with
     * extensionTestsPath VS Code runs that folder's index.js run() and reports through the page.
     */
    workbenchUrl({ folder = options.workspace, extensionDevelopmentPath, extensionTestsPath } = {}) {
      const payload = [['skipWelcome', 'true']];
      const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
      if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(extensionDevelopmentPath)]);
      if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
      return `${base}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    },
  };
}

/**
 * VS Code switches its display language (and so `vscode.env.language`, which picks an extension's
 * package.nls.<lang>.json and l10n/bundle.l10n.<lang>.json) only when a language pack for it is
 * installed. The real packs come from the Marketplace, which offline test machines cannot reach, so
 * this installs a test-only pack with no translations of its own: VS Code's own UI stays English,
 * every string of the extension under test appears in that language. code-server reads installed
 * packs from languagepacks.json in its user data dir (written when a pack is installed from the UI).
 */
function installDisplayLanguage(locale, dirs) {
  const id = `ocm-test.display-language-${locale}`;
  const packDir = join(dirs.extensions, `${id}-0.0.1`);
  const translations = join(packDir, 'translations', 'main.i18n.json');
  mkdirSync(join(packDir, 'translations'), { recursive: true });
  writeFileSync(
    join(packDir, 'package.json'),
    JSON.stringify({
      name: `display-language-${locale}`,
      publisher: 'ocm-test',
      version: '0.0.1',
      engines: { vscode: '*' },
      contributes: { localizations: [{ languageId: locale, languageName: locale, translations: [{ id: 'vscode', path: './translations/main.i18n.json' }] }] },
    }),
  );
  writeFileSync(translations, JSON.stringify({ version: '1.0.0', contents: {} }));
  writeFileSync(
    join(dirs.userData, 'languagepacks.json'),
    JSON.stringify({
      [locale]: {
        hash: `ocm-test-${locale}`,
        extensions: [{ extensionIdentifier: { id }, version: '0.0.1' }],
        translations: { vscode: translations },
        label: locale,
      },
    }),
  );
}

async function waitForHealth(base, hasExited, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error('code-server exited before it became healthy.');
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await delay(200);
  }
  throw new Error(`code-server did not answer ${base}/healthz within ${timeoutMs / 1000}s.`);
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
