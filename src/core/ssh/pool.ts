import { OcmError } from '../errors';
import type { ConnectTarget } from './connect-target';
import { NodeConnection, type ConnectionSettings } from './connection';
import { noopLogger, type Logger } from './logger';
import { SshTransport } from './ssh-transport';
import { formatTarget } from '../registry/target';

export interface SshPoolOptions {
  /** Close a connection after this long without operations (default 5 min; 0 = never). */
  idleTimeoutMs?: number;
  /** Handshake + auth limit (default 20 s). */
  readyTimeoutMs?: number;
  /** Keepalive probe interval (default 2 s, 1–5 s sensible) × `keepaliveCountMax` (default 3). */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** The nodes' sshd MaxSessions (default 10): at most MaxSessions − 2 execs run at once per node. */
  maxSessions?: number;
  /** Default timeout for SFTP operations (default 30 s). */
  opTimeoutMs?: number;
  /** Default timeout for exec (default 5 min). */
  execTimeoutMs?: number;
  /**
   * Temp files of atomic writes that a dropped connection left behind (`.<name>.ocm-<hex>.tmp`)
   * and older than this are removed after the next atomic write of the same file (default 10 min;
   * younger ones may belong to a write still running elsewhere).
   */
  staleTempMs?: number;
  /**
   * For a pool that outlives the requests it serves (the CLI's connection keeper): an open
   * connection is reused for a newly resolved target only when that target still accepts the
   * host key the connection was made with (trust revoked or key changed: reconnect, which then
   * fails as it should) and logs in the same way (identities, agent). Default false: within one
   * process the resolver's answers do not change under an open connection.
   */
  recheckReuse?: boolean;
  logger?: Logger;
}

interface PoolEntry {
  target: ConnectTarget;
  connection?: NodeConnection;
  connecting?: Promise<NodeConnection>;
  /** Aborts the connect in progress (pool closed): a frozen node must not hold up close(). */
  connectAbort?: AbortController;
  idleTimer?: NodeJS.Timeout;
  transport?: SshTransport;
  /** The target the open connection was last checked for (recheckReuse). */
  checkedFor?: ConnectTarget;
}

/**
 * One SSH connection (and one SFTP channel) per node, shared by every caller in the process.
 * Concurrent first uses share one connect; a dropped connection is replaced on the next use;
 * idle connections close after `idleTimeoutMs`. Call `close()` when done (the CLI must, or the
 * open sockets keep the process alive).
 */
export class SshPool {
  readonly settings: ConnectionSettings & { execTimeoutMs: number; idleTimeoutMs: number; staleTempMs: number; recheckReuse: boolean };
  private readonly entries = new Map<string, PoolEntry>();

  constructor(options: SshPoolOptions = {}) {
    this.settings = {
      readyTimeoutMs: options.readyTimeoutMs ?? 20_000,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 2_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      maxSessions: options.maxSessions ?? 10,
      opTimeoutMs: options.opTimeoutMs ?? 30_000,
      execTimeoutMs: options.execTimeoutMs ?? 300_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 300_000,
      staleTempMs: options.staleTempMs ?? 600_000,
      recheckReuse: options.recheckReuse ?? false,
      logger: options.logger ?? noopLogger,
    };
  }

  /** The transport for `target` (one connection per node and address; cheap to call repeatedly). */
  transportFor(target: ConnectTarget): SshTransport {
    const entry = this.entryFor(target);
    // A re-resolved target (new prompt, trusted key) is used from the next connect on; an open
    // connection to the same address stays shared.
    if (entry.target !== target) {
      entry.target = target;
      entry.transport = undefined;
    }
    entry.transport ??= new SshTransport(this, target);
    return entry.transport;
  }

  /**
   * A live connection for `target`, opening one if needed. Marks it busy until `release` is
   * called (the idle timer only runs while nothing is in flight).
   */
  async acquire(target: ConnectTarget, signal?: AbortSignal): Promise<NodeConnection> {
    const entry = this.entryFor(target);
    const connection = await this.connectionOf(entry, signal);
    connection.active++;
    if (entry.idleTimer) {
      clearTimeout(entry.idleTimer);
      entry.idleTimer = undefined;
    }
    return connection;
  }

  release(target: ConnectTarget, connection: NodeConnection): void {
    connection.active = Math.max(0, connection.active - 1);
    if (connection.retired && connection.active === 0) return connection.close();
    const entry = this.entries.get(keyOf(target));
    if (!entry || entry.connection !== connection || connection.active > 0 || this.settings.idleTimeoutMs <= 0) return;
    entry.idleTimer = setTimeout(() => {
      entry.idleTimer = undefined;
      if (entry.connection === connection && connection.active === 0) {
        this.settings.logger.debug(`ssh ${target.nodeId}: closing idle connection`);
        entry.connection = undefined;
        connection.close();
      }
    }, this.settings.idleTimeoutMs);
    // An idle timer alone must not keep a process alive.
    entry.idleTimer.unref();
  }

  /** recheckReuse: the open connection if the entry's current target would accept it, else a new one. */
  private async recheckedConnection(entry: PoolEntry, connection: NodeConnection, signal?: AbortSignal): Promise<NodeConnection> {
    const target = entry.target;
    const hostKey = connection.hostKey;
    const accepted = hostKey !== undefined && loginOf(connection.target) === loginOf(target) && (await target.verifyHostKey(hostKey).catch(() => false));
    if (entry.connection !== connection || entry.target !== target) return this.connectionOf(entry, signal);
    if (accepted) {
      entry.checkedFor = target;
      return connection;
    }
    this.settings.logger.info(`ssh ${target.nodeId}: not reusing the open connection (host key no longer trusted or login changed)`);
    entry.connection = undefined;
    if (connection.active === 0) connection.close();
    else connection.retired = true;
    return this.connectionOf(entry, signal);
  }

  /** Closes the connection of one node (its transport stays usable: it reconnects). */
  async closeNode(target: ConnectTarget): Promise<void> {
    const entry = this.entries.get(keyOf(target));
    if (!entry) return;
    await this.closeEntry(entry);
  }

  /** Closes every connection and aborts connects in progress (promptly, even for a frozen node). The pool stays usable afterwards. */
  async close(): Promise<void> {
    await Promise.all([...this.entries.values()].map((entry) => this.closeEntry(entry)));
  }

  /** Nodes with an open connection (for status displays and tests). */
  openConnections(): string[] {
    return [...this.entries.values()].filter((e) => e.connection && !e.connection.closed).map((e) => e.target.nodeId);
  }

  private async closeEntry(entry: PoolEntry): Promise<void> {
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    const pending = entry.connecting;
    const connection = entry.connection;
    entry.connection = undefined;
    entry.connecting = undefined;
    connection?.close();
    if (pending) {
      entry.connectAbort?.abort();
      // Whatever the aborted connect still produces is closed, without waiting for it here.
      pending.then(
        (late) => late.close(),
        () => undefined,
      );
    }
  }

  private entryFor(target: ConnectTarget): PoolEntry {
    const key = keyOf(target);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { target };
      this.entries.set(key, entry);
    }
    return entry;
  }

  private connectionOf(entry: PoolEntry, signal?: AbortSignal): Promise<NodeConnection> {
    if (entry.connection && !entry.connection.closed) {
      if (!this.settings.recheckReuse || entry.checkedFor === entry.target || entry.connection.target === entry.target)
        return Promise.resolve(entry.connection);
      return this.recheckedConnection(entry, entry.connection, signal);
    }
    if (entry.connection?.closed) {
      this.settings.logger.info(`ssh ${entry.target.nodeId}: reconnecting (${entry.connection.closeReason?.message ?? 'closed'})`);
      entry.connection = undefined;
    }
    // Concurrent callers share one connect. A caller's abort stops only its own wait.
    if (!entry.connecting) {
      const abort = new AbortController();
      const connecting = NodeConnection.open(entry.target, this.settings, abort.signal);
      entry.connecting = connecting;
      entry.checkedFor = entry.target;
      entry.connectAbort = abort;
      connecting.then(
        (connection) => {
          if (entry.connecting === connecting) {
            entry.connecting = undefined;
            entry.connection = connection;
          }
        },
        () => {
          if (entry.connecting === connecting) entry.connecting = undefined;
        },
      );
    }
    return waitWithSignal(entry.connecting, signal, entry.target.nodeId);
  }
}

/** How a target logs in: the same user, key files, agent and agent-key filter. */
function loginOf(target: ConnectTarget): string {
  return JSON.stringify([target.username, target.identities.map((i) => i.path), target.agentSocket ?? null, Boolean(target.identitiesOnly)]);
}

function keyOf(target: ConnectTarget): string {
  const hops = target.jumps.map((j) => formatTarget({ user: j.username, host: j.host, port: j.port })).join(',');
  return `${target.nodeId}|${formatTarget({ user: target.username, host: target.host, port: target.port })}|${hops}`;
}

function waitWithSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined, nodeId: string): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new OcmError('cancelled', `Connecting to node "${nodeId}" was cancelled.`, { nodeId }));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** A transport with a private pool (for one-off use); `close()` on it closes the connection. */
export function createSshTransport(target: ConnectTarget, options: SshPoolOptions = {}): SshTransport {
  return new SshPool(options).transportFor(target);
}
