import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

/**
 * One way to do each job (issue 14): the CLI reaches nodes only through `withNodeAccess`
 * (src/cli/node-connection.ts) — a verb with its own SSH pool or ssh_config read once made `ocm
 * status` and `ocm restart` connect differently from the rest. The keeper's server owns the one
 * long-lived pool it hands to verbs; `ocm trust` resolves its target itself because it fetches host
 * keys before any is trusted, with a per-hop policy of its own, and opens no session.
 */
const cli = join(__dirname, '..', '..', 'src', 'cli');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : name.endsWith('.ts') ? [p] : [];
  });
}

describe('one way to reach a node from the CLI', () => {
  it('only node-connection.ts and the keeper server build an SSH pool; no verb reads ssh_config or resolves targets itself', () => {
    const offenders: string[] = [];
    for (const file of files(cli)) {
      const rel = relative(cli, file);
      const text = readFileSync(file, 'utf8');
      if (/new SshPool\(/.test(text) && rel !== 'node-connection.ts' && rel !== join('keeper', 'server.ts')) offenders.push(`${rel}: new SshPool`);
      if (/SshConfig\.load\(|resolveConnectTarget\(/.test(text) && rel !== join('commands', 'trust.ts'))
        offenders.push(`${rel}: its own ssh_config / target resolution`);
    }
    assert.deepEqual(offenders, [], 'go through withNodeAccess / withNodeTransport instead');
  });
});
