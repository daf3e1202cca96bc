import { randomUUID } from 'node:crypto';
import { OcmError, toOcmError } from '../errors';
import { isRecord } from '../openclaw/version';
import type { Transport } from '../transport/types';
import { openWebSocket, type WsConnection } from './ws-client';

/**
 * A client of the OpenClaw gateway's WebSocket RPC (protocol 4, OpenClaw 2026.9.x) reached through
 * the node's SSH connection (`connectTcp` to 127.0.0.1:<gateway port>: a port forward without a
 * local listening port). It connects as a trusted local backend client (`client.id:
 * "gateway-client"`, `mode: "backend"`) with the shared gateway token: OpenClaw lets such clients
 * omit device pairing on loopback connections, which is what a forwarded connection is on the node.
 *
 * Why RPC and not `openclaw sessions ...` over SSH: one CLI start costs 1.5–8 s and ~300 MB on the
 * node; one RPC over an SSH channel that is already open costs milliseconds, returns typed errors
 * (`INVALID_REQUEST`, `UNAVAILABLE` with `retryAfterMs`), and cannot be confused by a login shell,
 * PATH or a TTY prompt. The token never leaves this module except in the connect frame.
 */

export interface GatewayRpcOptions {
  port: number;
  token: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface GatewayRpc {
  /** Server version from hello-ok. */
  readonly serverVersion?: string;
  /** Methods the gateway advertises. */
  readonly methods: ReadonlySet<string>;
  call<T = unknown>(method: string, params?: Record<string, unknown>, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<T>;
  close(): void;
}

/** An RPC error answered by the gateway (`ok: false`). */
export class GatewayRpcError extends OcmError {
  constructor(
    readonly method: string,
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(
      code === 'UNAVAILABLE' ? 'conflict' : code === 'INVALID_REQUEST' ? 'invalidInput' : code === 'FORBIDDEN' || code === 'UNAUTHORIZED' ? 'auth' : 'failed',
      message,
      { method, code },
    );
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Opens and authenticates a gateway RPC connection. */
export async function connectGatewayRpc(transport: Transport, options: GatewayRpcOptions): Promise<GatewayRpc> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const started = Date.now();
  const left = (): number => Math.max(200, timeoutMs - (Date.now() - started));
  let stream;
  try {
    stream = await transport.connectTcp(options.port, { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (e) {
    const err = toOcmError(e);
    throw new OcmError(
      err.kind === 'cancelled' ? 'cancelled' : 'unreachable',
      `The gateway on port ${options.port} could not be reached (${err.message}). Is it running? Check with: ocm status`,
      { port: options.port },
    );
  }
  const ws = await openWebSocket(stream, { host: `127.0.0.1:${options.port}`, timeoutMs: left(), ...(options.signal ? { signal: options.signal } : {}) });
  const rpc = new Rpc(ws);
  try {
    const hello = await rpc.call<Record<string, unknown>>('connect', connectParams(options.token), {
      timeoutMs: left(),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    rpc.acceptHello(hello);
    return rpc;
  } catch (e) {
    rpc.close();
    if (e instanceof GatewayRpcError) {
      throw new OcmError(
        'auth',
        `The gateway refused ocm's connection (${e.code}: ${e.message}). Check that gateway.auth.token in openclaw.json is the token the running gateway uses (restart it after changing the token).`,
        { port: options.port, code: e.code },
      );
    }
    throw e;
  }
}

function connectParams(token: string): Record<string, unknown> {
  return {
    minProtocol: 4,
    maxProtocol: 4,
    client: { id: 'gateway-client', version: 'openclaw-manager', platform: process.platform, mode: 'backend' },
    role: 'operator',
    scopes: ['operator.admin', 'operator.read', 'operator.write'],
    caps: [],
    commands: [],
    permissions: {},
    auth: { token },
    locale: 'en-US',
    userAgent: 'openclaw-manager',
  };
}

class Rpc implements GatewayRpc {
  serverVersion?: string;
  methods: Set<string> = new Set();
  private readonly pending = new Map<string, { resolve(v: unknown): void; reject(e: Error): void; method: string }>();
  private closedError: OcmError | undefined;

  constructor(private readonly ws: WsConnection) {
    ws.onMessage((text) => this.onMessage(text));
    ws.onClose((error) => {
      this.closedError = error ?? new OcmError('disconnected', 'The gateway closed the connection.');
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(
          new OcmError(
            'disconnected',
            `The gateway connection ended before "${p.method}" was answered (${this.closedError.message}). The gateway may have stopped or restarted; check with ocm status before retrying.`,
            { method: p.method },
          ),
        );
      }
    });
  }

  acceptHello(hello: Record<string, unknown>): void {
    const server = isRecord(hello.server) ? hello.server : {};
    if (typeof server.version === 'string') this.serverVersion = server.version;
    const features = isRecord(hello.features) ? hello.features : {};
    if (Array.isArray(features.methods)) this.methods = new Set(features.methods.filter((m): m is string => typeof m === 'string'));
  }

  call<T>(method: string, params: Record<string, unknown> = {}, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = randomUUID();
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise<T>((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
      };
      const timer = setTimeout(() => {
        settle();
        reject(new OcmError('timeout', `The gateway did not answer "${method}" within ${Math.round(timeoutMs / 1000)} s.`, { method }));
      }, timeoutMs);
      const onAbort = (): void => {
        settle();
        reject(new OcmError('cancelled', 'Cancelled.'));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        method,
        resolve: (v) => {
          settle();
          resolve(v as T);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
      });
      this.ws.send(JSON.stringify({ type: 'req', id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }

  private onMessage(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (!isRecord(frame) || frame.type !== 'res' || typeof frame.id !== 'string') return; // events are not needed here
    const p = this.pending.get(frame.id);
    if (!p) return;
    if (frame.ok === true) return p.resolve(frame.payload);
    const error = isRecord(frame.error) ? frame.error : {};
    const details = isRecord(error.details) ? error.details : {};
    const retry = typeof error.retryAfterMs === 'number' ? error.retryAfterMs : typeof details.retryAfterMs === 'number' ? details.retryAfterMs : undefined;
    p.reject(
      new GatewayRpcError(
        p.method,
        typeof error.code === 'string' ? error.code : 'ERROR',
        typeof error.message === 'string' ? error.message : 'request failed',
        retry,
      ),
    );
  }
}
