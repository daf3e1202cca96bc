// Loads a built extension bundle with a minimal `vscode` stub in THIS process and times
// require() + activate(). Used by bench/activation.bench.ts and test/activation/no-network.test.ts,
// each in a fresh process (cold module cache, like a real extension host start).
//
//   node bench/activation-probe.cjs <bundle.js>    prints one JSON line:
//   { requireMs, activateMs, cpuMs, network: [...], processes: [...], commands: N, lazyLoaded: [...] }
// `network` lists every socket connect, DNS lookup, http(s) request or fetch attempted during
// activation and the 300 ms after it; `processes` every child process started. Both must be empty:
// activation does no I/O beyond local files. `lazyLoaded` lists the bundles next to <bundle.js>
// (vendor/*.js, loaded on first use) that activation loaded anyway.
'use strict';
const Module = require('node:module');
const net = require('node:net');
const dns = require('node:dns');
const http = require('node:http');
const https = require('node:https');
const childProcess = require('node:child_process');

const bundle = process.argv[2];
if (!bundle) {
  console.error('usage: node bench/activation-probe.cjs <bundle.js>');
  process.exit(2);
}

const network = [];
const processes = [];
const record = (list, what) => list.push(what);
const origConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  record(
    network,
    `socket connect ${JSON.stringify(args[0] && typeof args[0] === 'object' ? { host: args[0].host, port: args[0].port, path: args[0].path } : args[0])}`,
  );
  return origConnect.apply(this, args);
};
for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6']) {
  const orig = dns[name];
  dns[name] = function (host, ...rest) {
    record(network, `dns ${name} ${host}`);
    return orig.call(this, host, ...rest);
  };
}
for (const [label, mod] of [
  ['http', http],
  ['https', https],
]) {
  for (const name of ['request', 'get']) {
    const orig = mod[name];
    mod[name] = function (...args) {
      record(network, `${label}.${name}`);
      return orig.apply(this, args);
    };
  }
}
if (typeof globalThis.fetch === 'function') {
  const orig = globalThis.fetch;
  globalThis.fetch = (...args) => {
    record(network, `fetch ${String(args[0])}`);
    return orig(...args);
  };
}
for (const name of ['spawn', 'exec', 'execFile', 'fork', 'spawnSync', 'execSync', 'execFileSync']) {
  const orig = childProcess[name];
  childProcess[name] = function (...args) {
    record(processes, `${name} ${String(args[0])}`);
    return orig.apply(this, args);
  };
}

// --- a minimal `vscode` ---------------------------------------------------------------------
class EventEmitter {
  constructor() {
    this.listeners = new Set();
    this.event = (listener) => {
      this.listeners.add(listener);
      return { dispose: () => this.listeners.delete(listener) };
    };
  }
  fire(value) {
    for (const l of this.listeners) l(value);
  }
  dispose() {
    this.listeners.clear();
  }
}
const disposable = () => ({ dispose() {} });
const event = () => disposable();
let commands = 0;

/** Anything not modelled below: callable, constructible, every property another stub. */
function anything(name) {
  const target = function () {};
  const assigned = new Map();
  return new Proxy(target, {
    set(_t, prop, value) {
      assigned.set(prop, value);
      return true;
    },
    get(_t, prop) {
      if (assigned.has(prop)) return assigned.get(prop);
      if (prop === 'then') return undefined; // not a thenable
      if (prop === Symbol.toPrimitive) return () => `[stub ${name}]`;
      if (prop === 'dispose') return () => undefined;
      if (typeof prop === 'string' && prop.startsWith('onDid')) return event;
      return anything(`${name}.${String(prop)}`);
    },
    apply: () => anything(`${name}()`),
    construct: () => anything(`new ${name}`),
  });
}

function uri(scheme, path) {
  return {
    scheme,
    path,
    fsPath: path,
    authority: '',
    query: '',
    fragment: '',
    toString: () => `${scheme}://${path}`,
    with: (change) => uri(change.scheme ?? scheme, change.path ?? path),
  };
}

const vscode = {
  EventEmitter,
  Disposable: class {
    constructor(fn) {
      this.dispose = fn;
    }
    static from(...items) {
      return { dispose: () => items.forEach((i) => i.dispose()) };
    }
  },
  Uri: {
    file: (p) => uri('file', p),
    parse: (s) => {
      const m = /^([a-z][\w+.-]*):\/\/([^/]*)(.*)$/i.exec(s);
      return m ? uri(m[1], m[3]) : uri('file', s);
    },
    from: (c) => uri(c.scheme, c.path ?? ''),
    joinPath: (base, ...parts) => uri(base.scheme, [base.path, ...parts].join('/')),
  },
  l10n: { t: (message, ...args) => String(message).replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)])) },
  env: { language: 'en', uiKind: 1, appName: 'activation-probe' },
  workspace: new Proxy(
    {
      getConfiguration: () => ({ get: (_key, fallback) => fallback, has: () => false, inspect: () => undefined, update: async () => undefined }),
      textDocuments: [],
      workspaceFolders: undefined,
    },
    { get: (t, p) => (p in t ? t[p] : typeof p === 'string' && p.startsWith('onDid') ? event : anything(`workspace.${String(p)}`)) },
  ),
  window: new Proxy(
    {
      createTreeView: () =>
        new Proxy(
          { visible: false, selection: [] },
          { get: (t, p) => (p in t ? t[p] : typeof p === 'string' && p.startsWith('onDid') ? event : anything(`treeView.${String(p)}`)) },
        ),
      createOutputChannel: () => anything('outputChannel'),
      state: { focused: false },
      visibleTextEditors: [],
    },
    { get: (t, p) => (p in t ? t[p] : typeof p === 'string' && p.startsWith('onDid') ? event : anything(`window.${String(p)}`)) },
  ),
  commands: new Proxy(
    {
      registerCommand: () => {
        commands += 1;
        return disposable();
      },
      executeCommand: async () => undefined,
      getCommands: async () => [],
    },
    { get: (t, p) => (p in t ? t[p] : anything(`commands.${String(p)}`)) },
  ),
};
// esbuild's ESM interop copies the module's OWN properties, so every API name the bundle uses
// must exist on the object itself (enums and classes as generic stubs).
for (const name of [
  'CancellationTokenSource',
  'ConfigurationTarget',
  'FileChangeType',
  'FileDecoration',
  'FilePermission',
  'FileSystemError',
  'FileType',
  'LogLevel',
  'MarkdownString',
  'Position',
  'ProgressLocation',
  'QuickPickItemKind',
  'Range',
  'RelativePattern',
  'Selection',
  'StatusBarAlignment',
  'TabInputText',
  'ThemeColor',
  'ThemeIcon',
  'TreeItem',
  'TreeItemCollapsibleState',
  'ViewColumn',
  'extensions',
  'languages',
]) {
  if (!(name in vscode)) vscode[name] = anything(name);
}
const stub = new Proxy(vscode, { get: (t, p) => (p in t ? t[p] : anything(String(p))) });

const origResolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'vscode') return 'vscode';
  return origResolve.call(this, request, ...rest);
};
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: stub };

const context = {
  subscriptions: [],
  secrets: { get: async () => undefined, store: async () => undefined, delete: async () => undefined, onDidChange: event },
  globalState: { get: (_k, d) => d, update: async () => undefined, keys: () => [] },
  workspaceState: { get: (_k, d) => d, update: async () => undefined, keys: () => [] },
  extensionPath: require('node:path').dirname(require('node:path').dirname(require('node:path').resolve(bundle))),
  extension: { packageJSON: { version: 'probe' } },
  logUri: uri('file', '/tmp'),
  globalStorageUri: uri('file', '/tmp'),
  storageUri: undefined,
};

const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const bundlePath = require('node:path').resolve(bundle);
const bundleDir = require('node:path').dirname(bundlePath);
const extension = require(bundlePath);
const t1 = process.hrtime.bigint();
extension.activate(context);
const t2 = process.hrtime.bigint();
const cpu = process.cpuUsage(cpu0);

// Anything activation started asynchronously (a promise chain, a timer of 0) shows up here.
setTimeout(() => {
  const result = {
    requireMs: Number(t1 - t0) / 1e6,
    activateMs: Number(t2 - t1) / 1e6,
    // CPU time of require + activate: steadier than wall time on a loaded machine.
    cpuMs: (cpu.user + cpu.system) / 1000,
    network,
    processes,
    commands,
    lazyLoaded: Object.keys(require.cache)
      .filter((f) => f !== bundlePath && f.startsWith(bundleDir + require('node:path').sep))
      .map((f) => require('node:path').relative(bundleDir, f)),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}, 300);
