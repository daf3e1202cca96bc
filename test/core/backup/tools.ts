import { execFileSync, spawnSync } from 'node:child_process';

/**
 * The backup tests need the `sqlite3` CLI (the own engine's first choice for consistent SQLite
 * snapshots, and to inspect them). Installs the Debian package once if it is missing (as root,
 * like .ci/run does for the other packages); fails with a clear message where that is impossible.
 */
export function ensureSqlite3(): void {
  if (spawnSync('sh', ['-c', 'command -v sqlite3'], { stdio: 'ignore' }).status === 0) return;
  if (process.getuid?.() !== 0) throw new Error('The backup tests need the sqlite3 command: apt-get install -y sqlite3');
  execFileSync('sh', ['-c', '(apt-get install -y -qq sqlite3 || (apt-get update -qq && apt-get install -y -qq sqlite3)) >/dev/null'], { stdio: 'inherit' });
}

/** Node 24 from the tools cache (it has node:sqlite, unlike the machine's Node 20). */
export async function node24Binary(): Promise<string> {
  // (A computed specifier: scripts/tools.mjs has no type declarations.)
  const specifier = '../../../scripts/tools.mjs';
  const tools = (await import(specifier)) as { ensureNode24(): Promise<{ node: string }> };
  return (await tools.ensureNode24()).node;
}
