/**
 * Commands over SSH exec channels: one command with its output collected (bounded), or streamed
 * with its exit status and stderr at the end. The exec request and stdin preamble come from
 * remote-command.ts; the pool, sessions and logging stay with SshTransport.
 */
import { PassThrough, Readable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { isOcmError, type OcmError } from '../errors';
import { redactSecrets } from '../redact';
import { BoundedBuffer } from '../transport/bounded-buffer';
import type { ExecOptions, ExecResult, ExecStream, ExecStreamOptions } from '../transport/types';
import type { NodeConnection } from './connection';
import { cancelledError, channelError, connectionLostError, timeoutError } from './error-map';
import type { RemoteCommand } from './remote-command';
import { guard, type GuardContext } from './sftp-guard';

const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
const STREAM_STDERR_BYTES = 1024 * 1024;

/** What a log line may show of a command: no env values (tokens live there), secrets masked. */
export function loggable(command: string, env: Record<string, string> | undefined): string {
  const keys = env ? Object.keys(env) : [];
  return `${keys.length ? `[env ${keys.join(',')}] ` : ''}${redactSecrets(command)}`;
}

/** sshd refused the channel (it may not have freed a just-closed session yet). */
export const isChannelOpenFailure = (e: unknown): boolean => e instanceof Error && !isOcmError(e) && /open failure|Channel open/i.test(e.message);

/** Runs one command on a new exec channel and collects its output; settles like every guarded call. */
export function execOnce(connection: NodeConnection, remote: RemoteCommand, options: ExecOptions, ctx: GuardContext, started: number): Promise<ExecResult> {
  let channel: ClientChannel | undefined;
  return guard<ExecResult>(
    connection,
    ctx,
    (done, isAbandoned) => {
      connection.client.exec(remote.request, (err, ch) => {
        if (err) return done(err);
        if (isAbandoned()) return void ch.close();
        channel = ch;
        const stdout = new BoundedBuffer(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
        const stderr = new BoundedBuffer(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
        let exitCode: number | null = null;
        let signal: string | undefined;
        ch.on('data', (chunk: Buffer) => stdout.push(chunk));
        ch.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        ch.on('exit', (code: number | null, signalName?: string) => {
          if (typeof code === 'number') exitCode = code;
          else if (signalName) signal = signalName;
        });
        ch.on('error', () => undefined); // surfaces as close / connection loss
        // The exit status may arrive after stdout ends: only `close` means everything is in.
        ch.on('close', () => {
          const result: ExecResult = { exitCode, stdout: stdout.text(), stderr: stderr.text(), durationMs: Date.now() - started };
          if (signal) result.signal = signal;
          if (stdout.truncated || stderr.truncated) result.truncated = true;
          done(undefined, result);
        });
        // The script travels on stdin (see remote-command.ts), the caller's bytes after it.
        if (options.stdin !== undefined)
          ch.end(Buffer.concat([remote.preamble, typeof options.stdin === 'string' ? Buffer.from(options.stdin) : options.stdin]));
        else ch.end(remote.preamble);
      });
    },
    {
      abandon: () => stopChannel(channel),
      mapError: channelError,
    },
  );
}

/** Opens the exec channel of a streamed command (guarded: fails on timeout, cancel or connection loss). */
export function openExecChannel(connection: NodeConnection, remote: RemoteCommand, ctx: GuardContext): Promise<ClientChannel> {
  return guard<ClientChannel>(
    connection,
    ctx,
    (done, isAbandoned) =>
      connection.client.exec(remote.request, (err, ch) => {
        if (err) return done(err);
        if (isAbandoned()) return void ch.close();
        done(undefined, ch);
      }),
    { mapError: channelError },
  );
}

/**
 * Streams an open exec channel: stdout to the caller, stderr (bounded) and the exit status in
 * `done`; the caller's timeout and signal stop the command. `onFinish` runs once, with a summary
 * for the log, when the channel closes or the command is stopped (release the session there).
 */
export function streamChannel(
  connection: NodeConnection,
  channel: ClientChannel,
  remote: RemoteCommand,
  options: ExecStreamOptions,
  ctx: GuardContext,
  onFinish: (summary: string) => void,
): ExecStream {
  const started = Date.now();
  const stdout = new PassThrough();
  channel.pipe(stdout);
  const stderr = new BoundedBuffer(STREAM_STDERR_BYTES);
  channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  channel.on('error', () => undefined);
  let exitCode: number | null = null;
  let exitSignal: string | undefined;
  channel.on('exit', (code: number | null, signalName?: string) => {
    if (typeof code === 'number') exitCode = code;
    else if (signalName) exitSignal = signalName;
  });
  const done = new Promise<{ exitCode: number | null; signal?: string; stderr: string }>((resolve, reject) => {
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err?: OcmError): void => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      unsubscribe();
      options.signal?.removeEventListener('abort', onAbort);
      onFinish(`${err ? err.kind : `exit ${exitCode ?? exitSignal}`} in ${Date.now() - started} ms`);
      if (err) {
        stdout.destroy(err);
        reject(err);
      } else {
        const out: { exitCode: number | null; signal?: string; stderr: string } = { exitCode, stderr: stderr.text() };
        if (exitSignal) out.signal = exitSignal;
        resolve(out);
      }
    };
    const onAbort = (): void => {
      stopChannel(channel);
      finish(cancelledError(ctx));
    };
    const unsubscribe = connection.onClose((reason) => finish(connectionLostError(ctx, reason)));
    channel.on('close', () => finish());
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs && options.timeoutMs > 0) {
      timer = setTimeout(() => {
        stopChannel(channel);
        finish(timeoutError(ctx, options.timeoutMs!));
      }, options.timeoutMs);
    }
  });
  done.catch(() => undefined); // callers that only read stdout still see the error there
  // The script travels on stdin (see remote-command.ts), the caller's stdin after it.
  const stdin = options.stdin;
  if (stdin instanceof Readable) {
    channel.write(remote.preamble);
    stdin.on('error', () => channel.end());
    stdin.pipe(channel);
  } else if (stdin !== undefined) {
    channel.end(Buffer.concat([remote.preamble, typeof stdin === 'string' ? Buffer.from(stdin) : stdin]));
  } else {
    channel.end(remote.preamble);
  }
  return { stdout, done, cancel: () => stopChannel(channel) };
}

/** Ask the remote command to stop, then close the channel (sshd then tears down the session). */
function stopChannel(channel: ClientChannel | undefined): void {
  if (!channel) return;
  // Channel.signal() refuses once stdin is ended (always, for us): send the request directly.
  // OpenSSH killpg()s the session's process group, so `sh -c` children die too.
  const raw = channel as unknown as { outgoing?: { id: number; state: string }; _client?: { _protocol?: { signal(id: number, name: string): void } } };
  try {
    if (raw.outgoing && (raw.outgoing.state === 'open' || raw.outgoing.state === 'eof')) raw._client?._protocol?.signal(raw.outgoing.id, 'KILL');
  } catch {
    // Channel already closing.
  }
  try {
    channel.close();
  } catch {
    // Already closed.
  }
}
