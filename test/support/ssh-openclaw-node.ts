/**
 * A harness sshd node whose own user runs a real OpenClaw (shared with the restart, restore and
 * migrate tests). The tools-cache install lives under /root (0700), so it is hard-linked
 * (`cp -al`, same filesystem, ~1 s, no extra space) into a world-readable temp folder, and the
 * node user gets `~/.local/bin/openclaw`, a wrapper running it with Node 24 and the offline
 * switches — like a user's own install. Gateways are started over SSH by the node user (ocm's own
 * default start), so ocm can stop and restart them.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeSchema, type NodeEntry } from '../../src/core/registry';
import { shellQuote } from '../../src/core/transport/shell-quote';
import type { OpenclawInstall } from './openclaw';
import { registryEntryFor, type SshNode, type SshNodeSet } from './sshd';

export interface SharedInstall {
  /** The world-readable folder holding the hard-linked install and its Node. */
  root: string;
  nodeBin: string;
  bin: string;
  env: Record<string, string>;
  dispose(): void;
}

/** Hard-links the OpenClaw install and its Node into a folder every user can read. */
export function shareOpenclawInstall(install: OpenclawInstall): SharedInstall {
  const root = mkdtempSync(join(tmpdir(), 'ocm-shared-openclaw-'));
  chmodSync(root, 0o755);
  const nodeDir = install.nodeBin.slice(0, install.nodeBin.indexOf('/node_modules/'));
  const map = (p: string, from: string, to: string): string => join(to, p.slice(from.length));
  execFileSync('cp', ['-al', install.dir, join(root, 'openclaw')]);
  execFileSync('cp', ['-al', nodeDir, join(root, 'node')]);
  const offline = Object.fromEntries(Object.entries(install.env).filter(([k]) => k.startsWith('OPENCLAW_')));
  return {
    root,
    nodeBin: map(install.nodeBin, nodeDir, join(root, 'node')),
    bin: map(install.bin, install.dir, join(root, 'openclaw')),
    env: offline,
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Writes `~/.local/bin/openclaw` for the node user; returns its path. */
export function installWrapper(node: SshNode, shared: SharedInstall): string {
  const dir = join(node.home, '.local', 'bin');
  mkdirSync(dir, { recursive: true });
  const wrapper = writeWrapper(join(dir, 'openclaw'), shared);
  execFileSync('chown', ['-R', `${node.user}:`, join(node.home, '.local')]);
  return wrapper;
}

/** One wrapper every node user can run (`<root>/openclaw.sh`), for a registry `openclawPath`. */
export function sharedWrapper(shared: SharedInstall): string {
  return writeWrapper(join(shared.root, 'openclaw.sh'), shared);
}

function writeWrapper(path: string, shared: SharedInstall): string {
  const exports = Object.entries(shared.env)
    .map(([k, v]) => `${k}=${shellQuote(v)}`)
    .join(' ');
  writeFileSync(path, `#!/bin/sh\n${exports ? `export ${exports}\n` : ''}exec ${shellQuote(shared.nodeBin)} ${shellQuote(shared.bin)} "$@"\n`, { mode: 0o755 });
  chmodSync(path, 0o755);
  return path;
}

/** A user home for the CLI (known_hosts for the nodes) and an ocm home whose registry lists `entries`. */
export function cliEnvFor(
  set: SshNodeSet,
  entries: Array<Record<string, unknown>>,
): { env: NodeJS.ProcessEnv; ocmHome: string; writeRegistry(entries: Array<Record<string, unknown>>): void } {
  const home = mkdtempSync(join(set.dir, 'ops-user-'));
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  writeFileSync(join(home, '.ssh', 'known_hosts'), set.nodes.map((n) => `${n.knownHostsLine}\n`).join(''));
  const ocmHome = join(home, 'ocm');
  mkdirSync(ocmHome, { mode: 0o700 });
  const writeRegistry = (list: Array<Record<string, unknown>>): void =>
    writeFileSync(join(ocmHome, 'nodes.json'), JSON.stringify({ version: 1, nodes: list }, null, 2));
  writeRegistry(entries);
  return { env: { HOME: home, OCM_HOME: ocmHome, PATH: process.env.PATH, NO_COLOR: '1' }, ocmHome, writeRegistry };
}

/** Registry entry (as ocm add writes it) for a harness node, with extra fields. */
export function entryFor(node: SshNode, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...registryEntryFor(node), ...extra };
}

export function nodeEntryFor(node: SshNode, extra: Record<string, unknown> = {}): NodeEntry {
  return nodeSchema.parse(entryFor(node, extra));
}
