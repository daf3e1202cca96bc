/**
 * No registry used by the demo or by tests that connect may name a machine other than this one:
 * a newcomer's `npm start` and every test run stay on loopback (`host: "local"`, 127.0.0.0/8,
 * localhost, ::1). Made-up names (example.net, *.home.arpa) and private-range addresses are what
 * the first demo shipped and what nobody can reach. Syntax-only unit tests (parsers, the tree's
 * labels) that never connect may use such names; they are not registries in files.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const root = join(__dirname, '..', '..', '..');

export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'local' || h === 'localhost' || h === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === '.git' || name === 'dist' || name === 'out' || name === 'test-output') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** Registry files: JSON with a `nodes` array of `{host}` objects (the registry and its legacy shape). */
function registryHosts(file: string): string[] | undefined {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const nodes = (json as { nodes?: unknown })?.nodes;
  if (!Array.isArray(nodes)) return undefined;
  return nodes.filter((n) => typeof n?.host === 'string').map((n) => n.host as string);
}

test('isLoopbackHost: local and loopback only', () => {
  for (const ok of ['local', 'localhost', '127.0.0.1', '127.3.4.5', '::1', '[::1]']) assert.equal(isLoopbackHost(ok), true, ok);
  for (const bad of ['atlas.lab.example.net', '192.168.40.17', '10.0.0.7', '172.16.0.1', 'mini.home.arpa', 'borealis', '127.example.net', '8.8.8.8'])
    assert.equal(isLoopbackHost(bad), false, bad);
});

test('every registry JSON file in the checkout (demo, fixtures, tests) names only loopback hosts', () => {
  const files = walk(root).filter(
    (f) => f.endsWith('.json') && (/\/scripts\/demo\//.test(f) || /\/test\//.test(f) || /(^|\/)(nodes[^/]*|[^/]*registry[^/]*)\.json$/.test(f)),
  );
  const offenders: string[] = [];
  let registries = 0;
  for (const file of files) {
    const hosts = registryHosts(file);
    if (!hosts) continue;
    registries++;
    for (const host of hosts) if (!isLoopbackHost(host)) offenders.push(`${relative(root, file)}: ${host}`);
  }
  assert.ok(registries >= 1, 'scripts/demo/nodes.json must be found');
  assert.deepEqual(offenders, [], `registries naming hosts outside loopback:\n${offenders.join('\n')}`);
});

/**
 * Registries written inline by tests that start a real workbench or connect (test/extension,
 * test/integration, bench): `host: '...'` literals and `user@host[:port]` targets that are a dotted
 * name or an address. No
 * exceptions: an unreachable node is 127.0.0.1 on a closed port.
 */
function inlineOffenders(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const sources = walk(root).filter((f) => /\/(test\/(extension|integration|e2e)|bench)\//.test(f) && /\.(ts|mjs|js)$/.test(f));
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    // Names with a dot or an address: a bare word is an ssh_config alias (the harness points those at 127.0.0.1).
    const hosts = [
      ...[...text.matchAll(/["']?host["']?\s*:\s*["'`]([A-Za-z0-9._:-]+)["'`]/g)].map((m) => m[1]!),
      // Targets typed as user@host[:port] (ocm add, Add Node…).
      ...[...text.matchAll(/["'`][A-Za-z0-9_.-]+@([A-Za-z0-9.-]+)(?::\d+)?["'`]/g)].map((m) => m[1]!),
    ];
    const bad = hosts.filter((h) => /[.:]/.test(h) && !isLoopbackHost(h));
    if (bad.length) out.set(relative(root, file), [...new Set(bad)]);
  }
  return out;
}

test('registries written by workbench, integration and bench code name only loopback hosts', () => {
  const offenders = [...inlineOffenders()].map(([file, hosts]) => `${file}: ${hosts.join(', ')}`);
  assert.deepEqual(offenders, [], `registries naming hosts outside loopback:\n${offenders.join('\n')}`);
});
