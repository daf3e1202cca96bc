import { cancelledError, connectionLostError, mapSftpError, timeoutError, type OpDescription } from './error-map';
import type { CloseReason } from './error-map';
import type { OcmError } from '../errors';

/**
 * What the guard needs of a connection (its close events), and no more: connection.ts uses the
 * guard, so naming NodeConnection here would make an import circle.
 */
export interface GuardedConnection {
  readonly closed: boolean;
  readonly closeReason: CloseReason | undefined;
  onClose(listener: (reason: CloseReason) => void): () => void;
  onSftpClose(listener: () => void): () => void;
}

export interface GuardContext extends OpDescription {
  /** 0 = no timeout. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Also fail when the SFTP channel closes (set for calls on the SFTP channel). */
  sftp?: boolean;
}

/**
 * Runs one callback-style ssh2 call so that it always settles: with its own result, or with
 * `disconnected`/`timeout` when the connection closes (ssh2 never calls back then), `timeout`
 * after `timeoutMs`, or `cancelled` when `signal` aborts. `abandon` runs when the call is given up
 * (close the channel / handle it may still open); `isAbandoned` lets late callbacks clean up.
 */
export function guard<T>(
  connection: GuardedConnection,
  ctx: GuardContext,
  start: (done: (err: unknown, value?: T) => void, isAbandoned: () => boolean) => void,
  options: { abandon?: () => void; mapError?: (err: unknown, d: OpDescription) => OcmError } = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: OcmError | undefined, value?: T): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      unsubscribe();
      ctx.signal?.removeEventListener('abort', onAbort);
      if (err) {
        reject(err);
      } else {
        resolve(value as T);
      }
    };
    const giveUp = (err: OcmError): void => {
      if (settled) return;
      finish(err);
      try {
        options.abandon?.();
      } catch {
        // Cleaning up after a dead call must not mask its error.
      }
    };
    const onAbort = (): void => giveUp(cancelledError(ctx));
    const unsubscribeClose = connection.onClose((reason) => giveUp(connectionLostError(ctx, reason)));
    const unsubscribeSftp = ctx.sftp
      ? connection.onSftpClose(() => giveUp(connectionLostError(ctx, { cause: 'closed', message: 'the SFTP channel closed' })))
      : () => undefined;
    const unsubscribe = (): void => {
      unsubscribeClose();
      unsubscribeSftp();
    };
    if (ctx.signal?.aborted) return onAbort();
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    if (ctx.timeoutMs > 0) timer = setTimeout(() => giveUp(timeoutError(ctx, ctx.timeoutMs)), ctx.timeoutMs);
    try {
      start(
        (err, value) => {
          if (err) finish((options.mapError ?? mapSftpError)(err, ctx));
          else finish(undefined, value);
        },
        () => settled,
      );
    } catch (e) {
      // ssh2 throws synchronously when the connection is already gone ("Not connected").
      finish(connection.closed ? connectionLostError(ctx, connection.closeReason) : (options.mapError ?? mapSftpError)(e, ctx));
    }
  });
}
