import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { remoteCommand, SCRIPT_ON_STDIN, SCRIPT_THEN_STDIN } from '../../../src/core/ssh/remote-command';

/** What sshd does with an exec request: `<login shell> -c <request>`, the channel as stdin. */
function asLoginShell(shell: string, request: string, stdin: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(shell, ['-c', request], { input: stdin, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: '/tmp' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('remote command requests', () => {
  it('are fixed strings no login shell reads differently: no backslash, newline or ! inside the single quotes', () => {
    for (const request of [SCRIPT_ON_STDIN, SCRIPT_THEN_STDIN]) {
      const quoted = /^exec \/bin\/sh -c '([^']*)'$/.exec(request);
      assert.ok(quoted, request);
      assert.doesNotMatch(quoted[1]!, /[\\\n!]/);
    }
    assert.equal(remoteCommand('echo "$X"', { X: "it's\\" }, false).request, SCRIPT_ON_STDIN);
    assert.equal(remoteCommand('cat', undefined, true).request, SCRIPT_THEN_STDIN);
  });

  it('put the script (env exports first) on stdin; with caller stdin, behind its byte length', () => {
    assert.equal(remoteCommand('echo hi', { A: 'b c' }, false).preamble.toString(), "export A='b c'; echo hi");
    const withStdin = remoteCommand('echo 仕事', undefined, true).preamble;
    assert.equal(withStdin.toString(), `${Buffer.byteLength('echo 仕事')}\necho 仕事`);
  });

  const shells = ['/bin/sh', '/bin/bash', '/usr/bin/zsh', '/usr/bin/fish', '/usr/bin/tcsh', '/bin/csh'].filter((s) => existsSync(s));
  for (const shell of shells) {
    it(`run the same through ${shell}: values ending in a backslash or holding newlines, exit code, the caller's stdin`, () => {
      const env = { A: 'ends in \\', B: "two\nlines 'q' $HOME" };
      const script = 'printf "%s|" "$A" "$B"\nIFS= read -r first\nprintf "<%s>" "$first"\ncat\nexit 5';
      const piped = remoteCommand(script, env, true);
      const r = asLoginShell(shell, piped.request, Buffer.concat([piped.preamble, Buffer.from('line one\\\nrest\n')]));
      assert.equal(r.stderr, '');
      assert.equal(r.stdout, `${env.A}|${env.B}|<line one\\>rest\n`);
      assert.equal(r.status, 5);
      const alone = remoteCommand('printf "%s" "$A"; cat; echo " eof"', env, false);
      const s = asLoginShell(shell, alone.request, alone.preamble);
      assert.equal(s.stdout, `${env.A} eof\n`);
    });
  }
});
