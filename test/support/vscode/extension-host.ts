// Helpers for tests that run INSIDE the VS Code extension host (test/extension/**).
// They are bundled into the test files by scripts/vscode-tests.mjs; `vscode` comes from the host.
import * as vscode from 'vscode';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ExtensionApi } from '../../../src/extension/extension';
import type { NodeInput } from '../../../src/core/registry';
import type { TreeNode } from '../../../src/extension/tree/nodes-tree';
import { writeFileAtomic } from '../../../src/core/fs-atomic';

export const EXTENSION_ID = 'openclaw-manager.openclaw-manager';

/**
 * The runners (scripts/vscode-tests.mjs, .vscode-test.mjs) point OCM_HOME at a throw-away folder.
 * Without it the tests would rewrite the user's real node registry, so they refuse to run.
 */
export function testHome(): string {
  const home = process.env.OCM_HOME;
  if (!home || home.trim() === '') {
    throw new Error(
      'OCM_HOME is not set: extension tests rewrite nodes.json and must run against a temporary ocm home. Run them through "npm run test:extension" or "npx vscode-test".',
    );
  }
  return home;
}

export function extension(): vscode.Extension<ExtensionApi> {
  const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
  if (!ext) throw new Error(`Extension ${EXTENSION_ID} is not loaded: the runner must pass the checkout as extensionDevelopmentPath.`);
  return ext;
}

/** Activates the extension (idempotent) and returns what activate() returned. */
export async function activateExtension(): Promise<ExtensionApi> {
  return extension().activate();
}

/** Replaces nodes.json in the test home the way the CLI does (atomic rename). */
export async function writeRegistry(nodes: NodeInput[]): Promise<void> {
  await writeFileAtomic(join(testHome(), 'nodes.json'), JSON.stringify({ version: 1, nodes }, null, 2) + '\n');
}

/** Runs the built `ocm` CLI (dist/cli.js) against the test home, as a user in a terminal would. */
export function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = join(extension().extensionPath, 'dist', 'cli.js');
  return new Promise((resolve, reject) => {
    // In desktop VS Code process.execPath is Electron: ELECTRON_RUN_AS_NODE makes it a plain Node.
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, OCM_HOME: testHome(), ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Labels of the Nodes tree's top level, as VS Code would render them. */
export async function treeLabels(api: ExtensionApi): Promise<string[]> {
  const children: TreeNode[] = await api.tree.getChildren();
  return children.map((child) => {
    const label = api.tree.getTreeItem(child).label;
    return typeof label === 'string' ? label : (label?.label ?? '');
  });
}

/**
 * Resolves once the tree fires a change event after which its labels are `expected`; rejects with
 * `what` and the labels last seen after timeoutMs. Call it BEFORE making the change.
 */
export function treeChangeTo(api: ExtensionApi, expected: string[], what: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let lastSeen: string[] | undefined;
    const finish = (error?: Error) => {
      clearTimeout(timer);
      subscription.dispose();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => {
      const seen = lastSeen ? `last saw [${lastSeen.join(', ')}]` : 'no refresh event came';
      finish(new Error(`Timed out after ${timeoutMs} ms waiting for the Nodes tree to show [${expected.join(', ')}] ${what}; ${seen}.`));
    }, timeoutMs);
    const subscription = api.tree.onDidChangeTreeData(async () => {
      lastSeen = await treeLabels(api);
      if (JSON.stringify(lastSeen) === JSON.stringify(expected)) finish();
    });
  });
}

/** Waits until the tree has fired no change event for quietMs, so earlier writes cannot answer later waits. */
export function treeQuiet(api: ExtensionApi, quietMs = 500, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let quietTimer = setTimeout(done, quietMs);
    const giveUp = setTimeout(() => {
      clearTimeout(quietTimer);
      subscription.dispose();
      reject(new Error(`The Nodes tree kept refreshing for ${timeoutMs} ms; something rewrites nodes.json in a loop.`));
    }, timeoutMs);
    const subscription = api.tree.onDidChangeTreeData(() => {
      clearTimeout(quietTimer);
      quietTimer = setTimeout(done, quietMs);
    });
    function done() {
      clearTimeout(giveUp);
      subscription.dispose();
      resolve();
    }
  });
}
