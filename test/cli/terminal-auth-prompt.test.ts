import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { terminalAuthPrompt } from '../../src/cli/terminal-auth-prompt';

const root = join(__dirname, '..', '..');

/** Runs a script under a real pseudo-terminal (util-linux `script`), answering each prompt when it appears. */
async function underPty(code: string, answers: { when: RegExp; send: string }[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ocm-pty-'));
  const file = join(dir, 'run.ts');
  writeFileSync(file, code);
  const child = spawn('script', ['-qfec', `${process.execPath} --import tsx ${file}`, '/dev/null'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const pending = [...answers];
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    while (pending.length > 0 && pending[0]!.when.test(output)) child.stdin.write(pending.shift()!.send);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await new Promise((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return output;
}

describe('terminal auth prompt', () => {
  it('reads a password without echo and keyboard-interactive answers from the terminal', async () => {
    const output = await underPty(
      `import { terminalAuthPrompt } from ${JSON.stringify(join(root, 'src/cli/terminal-auth-prompt'))};
       (async () => {
         const p = terminalAuthPrompt();
         const password = await p.password({ nodeId: 'n1', username: 'claw', host: 'h.example' });
         const codes = await p.keyboardInteractive({ nodeId: 'n1', name: '', instructions: '', prompts: [{ prompt: 'Code: ', echo: true }] });
         const cancelled = await p.passphrase({ nodeId: 'n1', keyPath: '/k' });
         process.stdout.write('RESULT ' + JSON.stringify({ password, codes, cancelled: cancelled === undefined }) + '\\n');
       })();`,
      [
        { when: /Password for claw@h\.example \(node n1\): /, send: 'hunXter2\x7f\x7f\x7f\x7f\x7fter2\r' },
        { when: /\[n1\] Code: /, send: '123456\r' },
        { when: /Passphrase for key \/k/, send: '\x03' },
      ],
    );
    const result = /RESULT (.*)/.exec(output);
    assert.ok(result, output);
    assert.deepEqual(JSON.parse(result[1]!), { password: 'hunter2', codes: ['123456'], cancelled: true });
    assert.ok(!output.slice(0, result.index).includes('ter2'), 'the password is not echoed');
    assert.ok(output.includes('123456'), 'echo:true prompts echo');
  });

  it('a server-chosen keyboard-interactive name, instructions and prompt reach the terminal without their escape sequences', async () => {
    const output = await underPty(
      `import { terminalAuthPrompt } from ${JSON.stringify(join(root, 'src/cli/terminal-auth-prompt'))};
       (async () => {
         const codes = await terminalAuthPrompt().keyboardInteractive({ nodeId: 'n1', name: 'Login\\x1b]0;owned-title\\x07', instructions: '\\x1b[2J\\x1b[1;1HTrusted host verified\\x1b[31m', prompts: [{ prompt: '\\x1b]52;c;cHduZWQ=\\x07Code\\x9b2J: ', echo: true }] });
         process.stdout.write('RESULT ' + JSON.stringify(codes) + '\\n');
       })();`,
      [{ when: /Code: /, send: '42\r' }],
    );
    assert.match(output, /RESULT \["42"\]/, output);
    const shown = output.slice(0, output.indexOf('RESULT'));
    assert.match(shown, /Login\r?\nTrusted host verified\r?\n\[n1\] Code: /);
    for (const bad of ['\x1b]0;', '\x1b[2J', '\x1b]52', '\x9b', '\x1b[31m', 'owned-title']) assert.ok(!shown.includes(bad), JSON.stringify(bad));
  });

  it('answers "cancelled" at once when there is no terminal', async () => {
    const prompt = terminalAuthPrompt({ ttyPath: join(tmpdir(), 'no-such-tty') });
    const started = Date.now();
    assert.equal(await prompt.password({ nodeId: 'n1', username: 'u', host: 'h' }), undefined);
    assert.ok(Date.now() - started < 1000);
  });
});
