import { strict as assert } from 'node:assert';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from './cli';

/** Two local nodes (host: local, own state dirs), two agents each, labelled prod. */
export async function twoLocalNodes(home: string, env: NodeJS.ProcessEnv): Promise<{ ws: (n: string, a: string) => string; state: (n: string) => string }> {
  const state = (n: string) => join(home, 'nodes', n, '.openclaw');
  const ws = (n: string, a: string) => join(state(n), a === 'main' ? 'workspace' : `workspace-${a}`);
  for (const n of ['n1', 'n2']) {
    for (const a of ['main', 'research']) await mkdir(ws(n, a), { recursive: true });
    const agents = ['main', 'research'].map((a) => `{ id: "${a}", ${a === 'main' ? 'default: true, ' : ''}workspace: ${JSON.stringify(ws(n, a))} }`).join(', ');
    await writeFile(join(state(n), 'openclaw.json'), `{ agents: { list: [${agents}] } }\n`);
    const add = await runCli(['add', n, 'local', '--state-dir', state(n), '--label', 'prod'], env);
    assert.equal(add.code, 0, add.stderr);
  }
  return { ws, state };
}
