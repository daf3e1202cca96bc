import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { SshPool } from '../../../src/core/ssh/pool';
import { shellQuote } from '../../../src/core/transport/shell-quote';
import type { Transport } from '../../../src/core/transport/types';
import { runCli } from '../../support/cli';
import { FIXTURES_DIR, fixtureManifest } from '../../support/openclaw-fixtures';
import { cliEnvFor, entryFor } from '../../support/ssh-openclaw-node';
import { runAsNodeUser, startSshNodes, targetFor, type SshNode, type SshNodeSet } from '../../support/sshd';

/**
 * Nodes whose login shell is not POSIX. sshd runs every exec request through the user's login
 * shell (`$SHELL -c <request>`): fish reads `\'` and `\\` inside single quotes as escapes, csh and
 * tcsh refuse newlines inside quotes. Commands, their environment and their stdin must reach
 * /bin/sh unchanged whatever that shell is, and status, agents, cat, safe save and backup must work.
 */
const SHELLS = ['/bin/bash', '/usr/bin/fish', '/usr/bin/tcsh'] as const;
const ENDS_IN_BACKSLASH = "it's C:\\dir\\";
const WITH_NEWLINE = 'first line\nsecond "line" $HOME `x`';

/** The v2026.9.6 fixture's state tree in the node user's home (as `openclaw onboard` left it), owned by the user. */
function seedOpenclawState(node: SshNode): void {
  const src = join(FIXTURES_DIR, 'v2026.9.6', 'home');
  execFileSync('cp', ['-a', `${src}/.`, `${node.home}/`]);
  for (const d of fixtureManifest('v2026.9.6').emptyDirs) execFileSync('mkdir', ['-p', join(node.home, d)]);
  const substitute = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) substitute(p);
      else if (e.isFile()) {
        const text = readFileSync(p);
        if (!text.includes(0) && text.includes('${HOME}')) writeFileSync(p, text.toString('utf8').split('${HOME}').join(node.home));
      }
    }
  };
  substitute(join(node.home, '.openclaw'));
  execFileSync('chown', ['-R', `${node.user}:`, node.home]);
}

describe('login shells that are not POSIX (fish, tcsh) over real sshd', { timeout: 300_000 }, () => {
  let set: SshNodeSet;
  let pool: SshPool;
  const transports = new Map<string, Transport>();
  before(async () => {
    set = await startSshNodes(SHELLS.length, { idPrefix: 'sh', shells: [...SHELLS] });
    pool = new SshPool();
    for (const node of set.nodes) {
      transports.set(node.shell, pool.transportFor(targetFor(node)));
      seedOpenclawState(node);
    }
  });
  after(async () => {
    await pool?.close();
    await set?.stop();
  });

  const nodeWith = (shell: string): SshNode => set.nodes.find((n) => n.shell === shell)!;

  for (const shell of SHELLS) {
    const name = shell.split('/').pop()!;
    describe(`login shell ${name}`, () => {
      it('is really the login shell sshd uses', async () => {
        const r = await transports.get(shell)!.exec('getent passwd "$(id -un)" | cut -d: -f7');
        assert.equal(r.exitCode, 0, r.stderr);
        assert.equal(r.stdout.trim().split('\n').pop(), shell);
      });

      it('runs a multi-line script with quotes, backslashes and env values unchanged', async () => {
        const t = transports.get(shell)!;
        const script = [
          `printf '%s|' ${shellQuote(ENDS_IN_BACKSLASH)} ${shellQuote(WITH_NEWLINE)}`,
          'printf "%s|" "$A" "$B"',
          "printf 'done\\n'",
          'exit 7',
        ].join('\n');
        const r = await t.exec(script, { env: { A: ENDS_IN_BACKSLASH, B: WITH_NEWLINE } });
        assert.equal(r.stderr, '');
        assert.equal(r.stdout, `${ENDS_IN_BACKSLASH}|${WITH_NEWLINE}|${ENDS_IN_BACKSLASH}|${WITH_NEWLINE}|done\n`);
        assert.equal(r.exitCode, 7);
      });

      it("keeps the command's stdin: exec and execStream read exactly the caller's bytes", async () => {
        const t = transports.get(shell)!;
        const input = `${ENDS_IN_BACKSLASH}\n${WITH_NEWLINE}\n`;
        const r = await t.exec('IFS= read -r first\nprintf "<%s>" "$first"\ncat', { stdin: input });
        assert.equal(r.exitCode, 0, r.stderr);
        assert.equal(r.stdout, `<${ENDS_IN_BACKSLASH}>${WITH_NEWLINE}\n`);
        const none = await t.exec('cat; echo "rc=$?"');
        assert.equal(none.stdout, 'rc=0\n', 'no stdin: the command reads EOF at once');
        const fed = await t.execStream('wc -c\necho "$X" >&2', {
          stdin: Readable.from([Buffer.alloc(1000, 1), Buffer.alloc(2345, 2)]),
          env: { X: ENDS_IN_BACKSLASH },
        });
        let text = '';
        for await (const chunk of fed.stdout) text += chunk;
        const done = await fed.done;
        assert.equal(text.trim(), '3345');
        assert.equal(done.stderr, `${ENDS_IN_BACKSLASH}\n`);
      });
    });
  }

  const startupFiles: Record<string, { file: string; line: string }> = {
    '/usr/bin/fish': { file: '.config/fish/config.fish', line: 'set -gx OPENCLAW_STATE_DIR $HOME/login-state' },
    // csh/tcsh take -l only as their sole flag: discovery feeds the login shell its commands on stdin.
    '/usr/bin/tcsh': { file: '.login', line: 'setenv OPENCLAW_STATE_DIR $HOME/login-state' },
  };
  for (const [shell, startup] of Object.entries(startupFiles)) {
    const name = shell.split('/').pop()!;
    it(`discovery reads the ${name} login shell's environment (${startup.file})`, async () => {
      const node = nodeWith(shell);
      await runAsNodeUser(
        node,
        `mkdir -p "$(dirname ${shellQuote(startup.file)})" && printf '%s\\n' ${shellQuote(startup.line)} > ${shellQuote(startup.file)}`,
      );
      try {
        const { env } = cliEnvFor(set, [entryFor(node)]);
        const run = await runCli(['status', node.id, '--json'], env);
        const s = run.json<{ nodes: Array<{ reachable: boolean; openclaw?: { stateDir?: string } }> }>().nodes[0]!;
        assert.equal(s.reachable, true, run.stdout);
        assert.equal(s.openclaw?.stateDir, `${node.home}/login-state`);
      } finally {
        await runAsNodeUser(node, `rm -f ${shellQuote(startup.file)}`);
      }
    });
  }

  for (const shell of SHELLS.slice(1)) {
    const name = shell.split('/').pop()!;
    it(`ocm status, agents, cat, put (safe save) and backup work on a ${name} node`, async () => {
      const node = nodeWith(shell);
      // A state dir whose path ends in a backslash (a symlink to ~/.openclaw): the registry value is quoted into discovery.
      const stateDir = `${node.home}/state\\`;
      await runAsNodeUser(node, `ln -s .openclaw ${shellQuote(stateDir)}`);
      const { env, writeRegistry } = cliEnvFor(set, [entryFor(node, { stateDir })]);

      // (exit 1: the fixture's gateway is not running, an error-level anomaly)
      const status = await runCli(['status', node.id, '--json'], env);
      const s = status.json<{ nodes: Array<{ reachable: boolean; error?: unknown; openclaw?: { stateDir?: string; configExists?: boolean } }> }>().nodes[0]!;
      assert.equal(s.reachable, true, JSON.stringify(s.error));
      assert.equal(s.error, undefined);
      assert.equal(s.openclaw?.stateDir, stateDir);
      assert.equal(s.openclaw?.configExists, true);

      // The rest with the discovered state dir (the backup refuses paths holding a backslash).
      writeRegistry([entryFor(node)]);
      const discovered = (await runCli(['status', node.id, '--json'], env)).json<{ nodes: Array<{ openclaw?: { stateDir?: string } }> }>().nodes[0]!;
      assert.equal(discovered.openclaw?.stateDir, `${node.home}/.openclaw`);

      const agents = await runCli(['agents', node.id, '--fast', '--json'], env);
      assert.equal(agents.code, 0, agents.stderr + agents.stdout);
      assert.deepEqual(
        agents
          .json<{ agents: Array<{ id: string }> }>()
          .agents.map((a) => a.id)
          .sort(),
        ['main', 'research', 'work'],
      );

      const memory = `${node.home}/.openclaw/workspace/MEMORY.md`;
      await runAsNodeUser(node, `printf '%s\\n' ${shellQuote(ENDS_IN_BACKSLASH)} > ${shellQuote(memory)}`);
      const cat = await runCli(['cat', node.id, memory, '--json'], env);
      assert.equal(cat.code, 0, cat.stderr + cat.stdout);
      const opened = cat.json<{ sha256: string; content: string }>();
      assert.equal(opened.content, `${ENDS_IN_BACKSLASH}\n`);

      const local = join(set.dir, `memory-${name}.md`);
      writeFileSync(local, `${WITH_NEWLINE}\n`);
      const put = await runCli(['put', node.id, memory, local, '--expect-sha256', opened.sha256, '--json'], env);
      assert.equal(put.code, 0, put.stderr + put.stdout);
      assert.equal((await runAsNodeUser(node, `cat ${shellQuote(memory)}`)).stdout, `${WITH_NEWLINE}\n`);

      const backups = join(set.dir, `backups-${name}`);
      const backup = await runCli(['backup', node.id, '--json'], { ...env, OCM_BACKUP_DIR: backups });
      assert.equal(backup.code, 0, backup.stderr + backup.stdout);
      const result = backup.json<{ results: Array<{ ok: boolean; error?: unknown }> }>().results[0]!;
      assert.equal(result.ok, true, JSON.stringify(result.error));
      assert.ok(readdirSync(backups, { recursive: true }).length > 0, 'the backup store holds the backup');
    });
  }
});
