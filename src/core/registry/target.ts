import { OcmError } from '../errors';

/** Parses `[user@]host[:port]` (IPv6 as `[::1]:22`). */
export function parseTarget(target: string): { host: string; user?: string; port?: number } {
  const trimmed = target.trim();
  const match = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/.exec(trimmed);
  if (!match) {
    throw new OcmError('invalidInput', `"${target}" is not a target of the form [user@]host[:port].`);
  }
  const [, user, rawHost, rawPort] = match;
  const host = rawHost!.startsWith('[') ? rawHost!.slice(1, -1) : rawHost!;
  const result: { host: string; user?: string; port?: number } = { host };
  if (user) result.user = user;
  if (rawPort !== undefined) {
    const port = Number(rawPort);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new OcmError('invalidInput', `Port ${rawPort} in "${target}" is out of range (1-65535).`);
    result.port = port;
  }
  return result;
}

/**
 * `[user@]host[:port]`, the one way a node's address is written (the inverse of parseTarget; an
 * IPv6 host in brackets): the tree, quick picks, the dashboard, `ocm nodes`, and the SSH layer's
 * messages and logs (which always have a user and port).
 */
export function formatTarget(t: { user?: string | undefined; host: string; port?: number | undefined }): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.user ? `${t.user}@` : ''}${host}${t.port ? `:${t.port}` : ''}`;
}
