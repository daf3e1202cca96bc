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
