import { OcmError, type OcmErrorKind } from '../errors';

/**
 * Turns ssh2 / SFTP failures into OcmErrors whose one-line message says what went wrong on which
 * node and what to do. Connect-time failures (unreachable, auth, host key) are classified by
 * connect-client.ts; this covers what happens on an open connection.
 */

/** What was being done, for messages: `read /etc/x on node "a"`. */
export interface OpDescription {
  nodeId: string;
  op: string;
  path?: string;
}

function what(d: OpDescription): string {
  return d.path !== undefined ? `${d.op} ${d.path}` : d.op;
}

/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;
const SFTP_FAILURE = 4;
const SFTP_OP_UNSUPPORTED = 8;

export function mapSftpError(err: unknown, d: OpDescription): OcmError {
  if (err instanceof OcmError) return err;
  const e = err as Error & { code?: number | string };
  const details = { nodeId: d.nodeId, op: d.op, ...(d.path !== undefined ? { path: d.path } : {}), ...(e?.code !== undefined ? { code: e.code } : {}) };
  switch (e?.code) {
    case SFTP_NO_SUCH_FILE:
      return new OcmError('notFound', `${d.path ?? 'The file'} does not exist on node "${d.nodeId}" (${d.op}). Check the path.`, details, { cause: err });
    case SFTP_PERMISSION_DENIED:
      return new OcmError(
        'permission',
        `Permission denied: ${what(d)} on node "${d.nodeId}". Check the file's owner and mode, or connect as a user who may access it.`,
        details,
        { cause: err },
      );
    case SFTP_OP_UNSUPPORTED:
      return new OcmError(
        'unsupported',
        `The SSH server of node "${d.nodeId}" does not support ${d.op}. Use an OpenSSH server (internal-sftp or sftp-server).`,
        details,
        { cause: err },
      );
    case SFTP_FAILURE:
    default: {
      const message = e?.message ?? String(err);
      if (/does not support this extended request/i.test(message)) return mapSftpError(Object.assign(new Error(message), { code: SFTP_OP_UNSUPPORTED }), d);
      if (/no such file/i.test(message)) return mapSftpError(Object.assign(new Error(message), { code: SFTP_NO_SUCH_FILE }), d);
      if (/permission denied/i.test(message)) return mapSftpError(Object.assign(new Error(message), { code: SFTP_PERMISSION_DENIED }), d);
      return new OcmError('failed', `${what(d)} failed on node "${d.nodeId}": ${message}. Check the path and the free space on the node.`, details, {
        cause: err,
      });
    }
  }
}

/** Why a connection ended, as seen by the pool. */
export interface CloseReason {
  /** `keepalive` when the node stopped answering, `closed` when the link dropped, `local` when we closed it. */
  cause: 'keepalive' | 'closed' | 'local';
  message: string;
}

export function connectionLostError(d: OpDescription, reason: CloseReason | undefined): OcmError {
  const kind: OcmErrorKind = reason?.cause === 'keepalive' ? 'timeout' : 'disconnected';
  const why =
    reason?.cause === 'keepalive'
      ? 'the node stopped answering keepalives'
      : reason?.cause === 'local'
        ? 'the connection was closed here'
        : `the connection dropped${reason?.message ? ` (${reason.message})` : ''}`;
  return new OcmError(kind, `${what(d)} on node "${d.nodeId}" failed: ${why}. Check the node and retry; the next operation reconnects.`, {
    nodeId: d.nodeId,
    op: d.op,
    ...(d.path !== undefined ? { path: d.path } : {}),
    reason: reason?.cause ?? 'closed',
  });
}

export function timeoutError(d: OpDescription, timeoutMs: number): OcmError {
  return new OcmError(
    'timeout',
    `${what(d)} on node "${d.nodeId}" did not finish within ${formatMs(timeoutMs)}. The node may be overloaded or the link slow; retry or raise the timeout.`,
    { nodeId: d.nodeId, op: d.op, timeoutMs, ...(d.path !== undefined ? { path: d.path } : {}) },
  );
}

export function cancelledError(d: OpDescription): OcmError {
  return new OcmError('cancelled', `${what(d)} on node "${d.nodeId}" was cancelled.`, {
    nodeId: d.nodeId,
    op: d.op,
    ...(d.path !== undefined ? { path: d.path } : {}),
  });
}

/** ssh2's channel-open errors (exec/sftp/forward) once the connection is up. */
export function channelError(err: unknown, d: OpDescription): OcmError {
  if (err instanceof OcmError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/administratively prohibited|open failed|forwarding/i.test(message) && d.op.startsWith('connect')) {
    return new OcmError(
      'unreachable',
      `${what(d)} on node "${d.nodeId}" was refused (${message}). Check that the service listens there and that sshd allows TCP forwarding (AllowTcpForwarding).`,
      { nodeId: d.nodeId, op: d.op },
      { cause: err },
    );
  }
  if (/Connect failed|Connection refused/i.test(message)) {
    return new OcmError(
      'unreachable',
      `${what(d)} on node "${d.nodeId}" failed: nothing accepts connections there (${message}). Check that the service is running.`,
      { nodeId: d.nodeId, op: d.op },
      { cause: err },
    );
  }
  if (/not connected|No response from server|socket/i.test(message)) {
    return connectionLostError(d, { cause: 'closed', message });
  }
  return new OcmError(
    'failed',
    `${what(d)} on node "${d.nodeId}" failed: ${message}. Check sshd's limits (MaxSessions) and logs on the node.`,
    { nodeId: d.nodeId, op: d.op },
    { cause: err },
  );
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
