import { closeSync, openSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { formatTarget } from '../core/registry/target';
import type { AuthPrompt } from '../core/ssh/connect-target';
import { printableText } from '../core/terminal-text';
import { l10n } from './l10n';

/**
 * The CLI's AuthPrompt: asks on the controlling terminal (/dev/tty) with echo off, so it works
 * even when stdout is piped or --json is used. Without a terminal (CI, cron) every prompt answers
 * "cancelled" at once instead of hanging. Answers go straight to ssh2; nothing is stored.
 */
export function terminalAuthPrompt(options: { ttyPath?: string; timeoutMs?: number } = {}): AuthPrompt {
  const ask = (question: string, echo: boolean): Promise<string | undefined> =>
    readFromTty(options.ttyPath ?? '/dev/tty', question, echo, options.timeoutMs ?? 120_000);
  return {
    password: (r) => ask(l10n.t('Password for {0}@{1} (node {2}): ', r.username, formatTarget({ host: r.host, port: r.port }), r.nodeId), false),
    passphrase: (r) => ask(l10n.t('Passphrase for key {0} (node {1}): ', r.keyPath, r.nodeId), false),
    async keyboardInteractive(r) {
      const answers: string[] = [];
      // The server chose these texts: shown without their escape sequences.
      const header = [r.name, r.instructions]
        .map((s) => printableText(s ?? ''))
        .filter((s) => s.trim() !== '')
        .join('\n');
      for (const [index, p] of r.prompts.entries()) {
        const answer = await ask(`${index === 0 && header ? `${header}\n` : ''}[${r.nodeId}] ${printableText(p.prompt)}`, p.echo);
        if (answer === undefined) return undefined;
        answers.push(answer);
      }
      return answers;
    },
  };
}

function readFromTty(ttyPath: string, question: string, echo: boolean, timeoutMs: number): Promise<string | undefined> {
  let fd: number;
  try {
    fd = openSync(ttyPath, 'r+');
  } catch {
    return Promise.resolve(undefined);
  }
  let input: ReadStream;
  try {
    input = new ReadStream(fd);
  } catch {
    closeSync(fd);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    let answer = '';
    const write = (text: string): void => {
      try {
        writeSync(fd, text);
      } catch {
        // The terminal went away; the read below ends too.
      }
    };
    const done = (value: string | undefined): void => {
      clearTimeout(timer);
      input.removeListener('data', onData);
      try {
        input.setRawMode(false);
      } catch {
        // not a tty any more
      }
      write('\n');
      input.destroy();
      resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return done(answer);
        if (char === '\u0003' || char === '\u0004') return done(undefined); // Ctrl-C / Ctrl-D cancel
        if (char === '\u007f' || char === '\b') {
          if (answer.length > 0) {
            answer = [...answer].slice(0, -1).join('');
            if (echo) write('\b \b');
          }
          continue;
        }
        answer += char;
        if (echo) write(char);
      }
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    try {
      input.setRawMode(true);
    } catch {
      return done(undefined);
    }
    write(question);
    input.on('data', onData);
    input.on('error', () => done(undefined));
  });
}
