import { OcmError, toOcmError } from '../errors';
import { parseHttpResponse } from '../status/gateway-probe';
import type { Transport } from '../transport/types';

/**
 * "Does this gateway accept this token?" without running anything: `POST /tools/invoke` (always
 * enabled, gateway auth) for a tool that does not exist, through the transport's port forward to the
 * node's loopback. 401 = token refused; 404 (tool not available) or any other answer past auth =
 * accepted. Measured on 2026.9.6: the answer takes a few ms, and a hot-reloaded token is accepted
 * within about a second of the config write. The token goes only into the forwarded stream.
 */

export type TokenVerdict = 'accepted' | 'refused' | 'unreachable';

export interface TokenProbe {
  verdict: TokenVerdict;
  status?: number;
  /** Why the gateway could not be asked (never contains the token). */
  error?: string;
}

const PROBE_TOOL = 'ocm_token_probe';

export async function probeGatewayToken(
  transport: Transport,
  port: number,
  token: string,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<TokenProbe> {
  const timeoutMs = options.timeoutMs ?? 5000;
  let stream: NodeJS.ReadWriteStream & { destroy(): void };
  try {
    stream = await transport.connectTcp(port, { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (e) {
    const err = toOcmError(e);
    if (err.kind === 'cancelled') throw err;
    return { verdict: 'unreachable', error: err.message };
  }
  const body = JSON.stringify({ tool: PROBE_TOOL, args: {} });
  const request = `POST /tools/invoke HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nUser-Agent: openclaw-manager\r\nConnection: close\r\n\r\n${body}`;
  try {
    const response = await new Promise<{ status: number }>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        stream.destroy();
        if (error) return reject(error);
        const parsed = parseHttpResponse(Buffer.concat(chunks), true);
        if (parsed) resolve(parsed);
        else reject(new OcmError('failed', 'The gateway did not answer the token check with HTTP.'));
      };
      const onAbort = (): void => finish(new OcmError('cancelled', 'The token check was cancelled.'));
      const timer = setTimeout(() => finish(new OcmError('timeout', `The gateway did not answer the token check within ${timeoutMs} ms.`)), timeoutMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('data', (c: Buffer | string) => {
        chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
        if (parseHttpResponse(Buffer.concat(chunks), false)) finish();
      });
      stream.once('end', () => finish());
      stream.once('close', () => finish());
      stream.once('error', (e: Error) => finish(chunks.length ? undefined : new OcmError('unreachable', e.message)));
      stream.write(request);
    });
    if (response.status === 401 || response.status === 403) return { verdict: 'refused', status: response.status };
    if (response.status === 429)
      return { verdict: 'refused', status: 429, error: 'the gateway rate-limits failed logins (gateway.auth.rateLimit); try again later' };
    return { verdict: 'accepted', status: response.status };
  } catch (e) {
    const err = toOcmError(e);
    if (err.kind === 'cancelled') throw err;
    return { verdict: 'unreachable', error: err.message };
  }
}

/** Polls until the gateway gives `want` for `token` (or the time is up); returns the last probe. */
export async function waitForTokenVerdict(
  transport: Transport,
  port: number,
  token: string,
  want: TokenVerdict,
  options: { timeoutMs: number; pollMs?: number; signal?: AbortSignal },
): Promise<TokenProbe> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const probe = await probeGatewayToken(transport, port, token, {
      timeoutMs: Math.max(1000, Math.min(5000, deadline - Date.now())),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (probe.verdict === want || Date.now() >= deadline) return probe;
    if (options.signal?.aborted) throw new OcmError('cancelled', 'Waiting for the gateway was cancelled.');
    await new Promise((r) => setTimeout(r, options.pollMs ?? 400));
  }
}
