import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { OcmError, toOcmError } from '../errors';
import { ssh2 } from '../vendor';
import { createAuthHandler } from './auth-handler';
import type { ConnectTarget } from './connect-target';
import { openTcpSocket } from './tcp-socket';

/**
 * Opens one authenticated ssh2 Client for a ConnectTarget, through its ProxyJump hops, and maps
 * failures to OcmError kinds (host key refusal and auth failure with their real reasons). The
 * connection pool adds reuse, keepalive tuning and operation guards on top; `ocm trust` and
 * tests use this directly.
 */

export interface ConnectOptions {
  /** Handshake + auth limit per hop (prompts excluded only if the face answers quickly). Default 20 s. */
  readyTimeoutMs?: number;
  signal?: AbortSignal;
  /** Extra ssh2 settings for every hop (keepalive, algorithms, debug...). */
  extra?: Partial<ConnectConfig>;
  /** Replaces the last hop's host verifier (ocm trust captures the key with it). */
  hostVerifier?: (key: Buffer, done: (accept: boolean) => void) => void;
}

export interface SshConnection {
  client: Client;
  /** The last hop's host key as the server presented it (what the verifier accepted). */
  hostKey?: Buffer;
  /** Clients of the ProxyJump hops, outermost first (closed with `close`). */
  hops: Client[];
  /** Ends the last hop and every jump connection. */
  close(): void;
}

export async function connectSsh(target: ConnectTarget, options: ConnectOptions = {}): Promise<SshConnection> {
  const hops: Client[] = [];
  try {
    let sock: ClientChannel | undefined;
    const chain = [...target.jumps, target];
    for (const [index, hop] of chain.entries()) {
      const isLast = index === chain.length - 1;
      const { hostVerifier: _lastHopOnly, ...hopOptions } = options;
      let hostKey: Buffer | undefined;
      const client = await connectOne(hop, sock, isLast ? options : hopOptions, (key) => (hostKey = key));
      if (isLast) {
        const closeAll = (): void => {
          client.end();
          for (const h of hops.reverse()) h.end();
        };
        return { client, hops, close: closeAll, ...(hostKey ? { hostKey } : {}) };
      }
      hops.push(client);
      const nextHop = chain[index + 1]!;
      sock = await forwardTo(client, hop, nextHop);
    }
    throw new OcmError('failed', 'unreachable: empty connection chain');
  } catch (e) {
    for (const h of hops.reverse()) h.end();
    throw e;
  }
}

function forwardTo(client: Client, via: ConnectTarget, next: ConnectTarget): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, next.host, next.port, (err, channel) => {
      if (err) {
        reject(
          new OcmError(
            'unreachable',
            `The jump host ${via.host}:${via.port} could not reach ${next.host}:${next.port} (${err.message}). Check the HostName/Port of the node and that the jump host can connect to it.`,
            { nodeId: next.nodeId, via: via.nodeId },
          ),
        );
      } else resolve(channel);
    });
  });
}

async function connectOne(target: ConnectTarget, sock: ClientChannel | undefined, options: ConnectOptions, onHostKey: (key: Buffer) => void): Promise<Client> {
  // Ask for the key type we already trust first (ocm trust captures whatever the server prefers).
  const serverHostKey =
    options.hostVerifier || options.extra?.algorithms?.serverHostKey ? undefined : await target.hostKeyAlgorithms?.().catch(() => undefined);
  const client = new (ssh2().Client)();
  const readyTimeout = options.readyTimeoutMs ?? 20_000;
  // Our own handshake+auth timer instead of ssh2's readyTimeout, so time spent in a prompt does not count.
  let remainingMs = readyTimeout;
  let timerStartedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let onTimeout = (): void => undefined;
  const startTimer = (): void => {
    timerStartedAt = Date.now();
    timer = setTimeout(() => onTimeout(), Math.max(0, remainingMs));
  };
  const pauseTimer = (): void => {
    if (timer === undefined) return;
    clearTimeout(timer);
    timer = undefined;
    remainingMs -= Date.now() - timerStartedAt;
  };
  const auth = createAuthHandler(target, { onPrompt: (open) => (open ? pauseTimer() : startTimer()) });
  // Only a refusal from this attempt's verifier call explains this attempt's failure.
  let refusedHostKey = false;
  let rejection: OcmError | undefined;
  const hostKeyError = (): OcmError | undefined => rejection ?? (refusedHostKey ? target.hostKeyError?.() : undefined);
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    const finish = (error?: OcmError): void => {
      if (settled) return;
      settled = true;
      pauseTimer();
      options.signal?.removeEventListener('abort', onAbort);
      if (error) {
        client.end();
        client.destroy();
        reject(error);
      } else resolve(client);
    };
    const onAbort = (): void => finish(new OcmError('cancelled', `Connecting to node "${target.nodeId}" was cancelled.`, { nodeId: target.nodeId }));
    onTimeout = () =>
      finish(
        new OcmError(
          'timeout',
          `Node "${target.nodeId}" (${target.host}:${target.port}) did not complete the SSH handshake and login within ${Math.round(readyTimeout / 1000)} s. Check that the host is up and reachable.`,
          { nodeId: target.nodeId },
        ),
      );
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    client.on('ready', () => {
      // A jump channel has no Nagle to switch off; our own TCP sockets start without it (tcp-socket.ts).
      client.setNoDelay(true);
      finish();
    });
    client.on('error', (err: Error & { level?: string; code?: string }) =>
      finish(hostKeyError() ?? classifyConnectError(target, err, auth.failure, readyTimeout)),
    );
    client.on('close', () =>
      finish(
        hostKeyError() ??
          new OcmError(
            'disconnected',
            `The connection to node "${target.nodeId}" (${target.host}:${target.port}) closed during login. Check the server's sshd logs (MaxStartups, AllowUsers).`,
            { nodeId: target.nodeId },
          ),
      ),
    );

    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.username,
      readyTimeout: 0,
      // Through a jump host: its forwarded channel; directly: our own socket (no Nagle, writes coalesced).
      sock: sock ?? openTcpSocket(target.host, target.port),
      hostVerifier: (key: Buffer, done: (accept: boolean) => void) => {
        onHostKey(key);
        if (options.hostVerifier) return options.hostVerifier(key, done);
        // The verifier may ask the user about an unknown key: that time does not count either.
        pauseTimer();
        void target.verifyHostKey(key).then(
          (accept) => {
            refusedHostKey = !accept;
            if (!settled) startTimer();
            done(accept);
          },
          (e: unknown) => {
            refusedHostKey = true;
            rejection = toOcmError(e, 'hostKeyChanged');
            done(false);
          },
        );
      },
      authHandler: auth.handler,
      ...(options.extra ?? {}),
    };
    if (serverHostKey) config.algorithms = { ...config.algorithms, serverHostKey: serverHostKey as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] };
    startTimer();
    client.connect(config);
  });
}

function classifyConnectError(
  target: ConnectTarget,
  err: Error & { level?: string; code?: string },
  authFailure: () => OcmError,
  readyTimeout: number,
): OcmError {
  const where = `${target.host}:${target.port}`;
  if (err.level === 'client-authentication') return authFailure();
  if (/too many authentication failures/i.test(err.message)) {
    const failure = authFailure();
    return new OcmError(
      'auth',
      `Node "${target.nodeId}" (${target.username}@${where}) closed the login after too many key attempts (sshd MaxAuthTries), before the right key was tried. Add "IdentitiesOnly yes" and the right IdentityFile for this host in ~/.ssh/config, or set the node's identityFile.`,
      failure.details,
    );
  }
  if (err.level === 'client-timeout' || /timed out/i.test(err.message)) {
    return new OcmError(
      'timeout',
      `Node "${target.nodeId}" (${where}) did not complete the SSH handshake within ${Math.round(readyTimeout / 1000)} s. Check that the host is up and reachable.`,
      { nodeId: target.nodeId },
    );
  }
  if (
    err.code === 'ECONNREFUSED' ||
    err.code === 'EHOSTUNREACH' ||
    err.code === 'ENETUNREACH' ||
    err.code === 'ENOTFOUND' ||
    err.code === 'EAI_AGAIN' ||
    err.code === 'ECONNRESET'
  ) {
    return new OcmError(
      'unreachable',
      `Cannot reach node "${target.nodeId}" at ${where} (${err.code}). Check the host name and port, and that sshd is running there.`,
      { nodeId: target.nodeId, code: err.code },
    );
  }
  return new OcmError(
    'unreachable',
    `SSH connection to node "${target.nodeId}" (${where}) failed: ${err.message}. Check the host name, port and that sshd is running there.`,
    { nodeId: target.nodeId, ...(err.level ? { level: err.level } : {}) },
  );
}
