import { OcmError, toOcmError } from '../errors';
import { isRecord } from '../openclaw/version';
import type { Transport } from '../transport/types';
import type { GatewayStatus } from './types';

/**
 * Asks the gateway's unauthenticated health endpoints (`/readyz`, `/startupz`) through
 * `transport.connectTcp` (an SSH direct-tcpip channel to the node's loopback), with a tiny HTTP/1.1
 * client written over the duplex stream: nothing extra is needed on the node, and the gateway sees
 * a local caller, so it includes `version` and `uptimeMs`.
 */

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Bodies larger than this are cut (health answers are a few hundred bytes). */
const MAX_RESPONSE_BYTES = 256 * 1024;

/** One `GET path` over an already open stream; resolves when the response is complete. */
export function httpGetOverStream(
  stream: NodeJS.ReadWriteStream & { destroy(): void },
  path: string,
  options: { host: string; timeoutMs: number },
): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.removeListener('data', onData);
      stream.destroy();
      if (error) return reject(error);
      const parsed = parseHttpResponse(Buffer.concat(chunks), true);
      if (parsed) resolve(parsed);
      else reject(new OcmError('failed', `The gateway's answer to GET ${path} was not HTTP.`));
    };
    const timer = setTimeout(
      () => finish(new OcmError('timeout', `The gateway did not answer GET ${path} within ${options.timeoutMs} ms.`)),
      options.timeoutMs,
    );
    const onData = (chunk: Buffer | string): void => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(b);
      size += b.length;
      if (size > MAX_RESPONSE_BYTES || parseHttpResponse(Buffer.concat(chunks), false)) finish();
    };
    stream.on('data', onData);
    stream.once('end', () => finish());
    stream.once('close', () => finish());
    stream.once('error', (e: Error) => finish(size > 0 ? undefined : e));
    stream.write(`GET ${path} HTTP/1.1\r\nHost: ${options.host}\r\nAccept: application/json\r\nUser-Agent: openclaw-manager\r\nConnection: close\r\n\r\n`);
  });
}

/**
 * Parses a raw HTTP/1.x response. With `atEof` false it returns undefined until the body is
 * complete (Content-Length reached or the last chunk of a chunked body seen).
 */
export function parseHttpResponse(raw: Buffer, atEof: boolean): HttpResponse | undefined {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const head = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const m = /^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(head[0] ?? '');
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(headEnd + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const decoded = decodeChunked(body);
    if (!decoded.complete && !atEof) return undefined;
    body = decoded.body;
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (body.length < length && !atEof) return undefined;
    body = body.subarray(0, length);
  } else if (!atEof) return undefined;
  return { status: Number(m[1]), headers, body: body.toString('utf8') };
}

function decodeChunked(data: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return { body: Buffer.concat(parts), complete: false };
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1').split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size)) return { body: Buffer.concat(parts), complete: false };
    if (size === 0) return { body: Buffer.concat(parts), complete: true };
    const start = lineEnd + 2;
    if (data.length < start + size) {
      parts.push(data.subarray(start));
      return { body: Buffer.concat(parts), complete: false };
    }
    parts.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
}

export interface ReadyzAnswer {
  ready: boolean;
  failing: string[];
  uptimeMs?: number;
}

/** `/readyz`: 200 `{"ready":true,"failing":[],"uptimeMs":...}` or 503 with `failing`. */
export function parseReadyz(response: HttpResponse): ReadyzAnswer {
  const json = parseJsonObject(response.body);
  const failing = Array.isArray(json?.failing) ? json.failing.map((f) => (typeof f === 'string' ? f : JSON.stringify(f))) : [];
  const ready = response.status === 200 && (json?.ready === undefined || json.ready === true);
  const uptime = typeof json?.uptimeMs === 'number' ? json.uptimeMs : undefined;
  if (!ready && failing.length === 0) failing.push(json && typeof json.status === 'string' ? json.status : `HTTP ${response.status}`);
  return { ready, failing, ...(uptime !== undefined ? { uptimeMs: uptime } : {}) };
}

export interface StartupzAnswer {
  status?: string;
  version?: string;
  uptimeMs?: number;
}

/** `/startupz`: `{"ok":true,"status":"started","version":"2026.9.6","uptimeMs":...}` (503 while starting/draining). */
export function parseStartupz(response: HttpResponse): StartupzAnswer {
  const json = parseJsonObject(response.body);
  const answer: StartupzAnswer = {};
  if (typeof json?.status === 'string') answer.status = json.status;
  if (typeof json?.version === 'string') answer.version = json.version;
  if (typeof json?.uptimeMs === 'number') answer.uptimeMs = json.uptimeMs;
  return answer;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** GETs `path` on the node's `127.0.0.1:port` through the transport. */
export async function gatewayGet(transport: Transport, port: number, path: string, timeoutMs: number, signal?: AbortSignal): Promise<HttpResponse> {
  const started = Date.now();
  const stream = await transport.connectTcp(port, { timeoutMs, ...(signal ? { signal } : {}) });
  return httpGetOverStream(stream, path, { host: `127.0.0.1:${port}`, timeoutMs: Math.max(200, timeoutMs - (Date.now() - started)) });
}

/**
 * Probes the gateway on `port`: `/readyz` and `/startupz` in parallel. A refused connection means
 * the gateway is not running (`live: false`), which is a status, not an error.
 */
export async function probeGateway(transport: Transport, port: number, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<GatewayStatus> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const [readyz, startupz] = await Promise.allSettled([
    gatewayGet(transport, port, '/readyz', timeoutMs, options.signal),
    gatewayGet(transport, port, '/startupz', timeoutMs, options.signal),
  ]);
  const status: GatewayStatus = { port, live: false, ready: false, failing: [] };
  if (readyz.status === 'fulfilled') {
    const r = parseReadyz(readyz.value);
    status.live = true;
    status.ready = r.ready;
    status.failing = r.failing;
    if (r.uptimeMs !== undefined) status.uptimeMs = r.uptimeMs;
  }
  if (startupz.status === 'fulfilled') {
    const s = parseStartupz(startupz.value);
    status.live = true;
    if (s.status) status.startup = s.status;
    if (s.version) status.version = s.version;
    if (s.uptimeMs !== undefined) status.uptimeMs ??= s.uptimeMs;
  }
  if (!status.live) {
    const reason = readyz.status === 'rejected' ? readyz.reason : startupz.status === 'rejected' ? startupz.reason : undefined;
    status.error = describeProbeError(toOcmError(reason), port);
  } else if (readyz.status === 'rejected') {
    status.failing = [`readyz: ${toOcmError(readyz.reason).message}`];
  }
  return status;
}

function describeProbeError(e: OcmError, port: number): string {
  if (/administratively prohibited/i.test(e.message))
    return `the node's sshd does not allow TCP forwarding (AllowTcpForwarding), so the gateway on port ${port} cannot be asked; allow forwarding for this user`;
  if (/refused|ECONNREFUSED|open failed|connect failed/i.test(e.message)) return `nothing listens on 127.0.0.1:${port} on the node`;
  return e.message;
}
