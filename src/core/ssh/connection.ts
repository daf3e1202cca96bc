import type { Client, SFTPWrapper } from 'ssh2';
import type { ConnectTarget } from './connect-target';
import { connectSsh, type SshConnection } from './connect-client';
import type { CloseReason } from './error-map';
import { guard } from './sftp-guard';
import type { Logger } from './logger';
import { Semaphore } from './semaphore';
import { formatTarget } from '../registry/target';

export interface ConnectionSettings {
  /** Handshake + auth limit per hop. */
  readyTimeoutMs: number;
  /** Keepalive probe interval; the connection is declared dead after `keepaliveCountMax` unanswered probes. */
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** sshd's MaxSessions (10 by default); one is the SFTP channel, one is kept spare. */
  maxSessions: number;
  /** Default timeout of SFTP operations and channel opens. */
  opTimeoutMs: number;
  logger: Logger;
}

/**
 * One live SSH connection to a node: the ssh2 client, its single shared SFTP channel and the
 * session slots for exec channels. Knows when and why it closed so every pending operation can
 * fail at once instead of hanging (ssh2 leaves SFTP callbacks pending forever on a dead link).
 */
export class NodeConnection {
  readonly client: Client;
  readonly sessions: Semaphore;
  private sftpChannel?: Promise<SFTPWrapper>;
  private closeListeners = new Set<(reason: CloseReason) => void>();
  private sftpCloseListeners = new Set<() => void>();
  private reason?: CloseReason;
  private lastError?: string;
  /** Operations in flight (the pool closes idle connections only when this is 0). */
  active = 0;
  /** Replaced in its pool while in use: closed when the last operation on it ends. */
  retired = false;

  private constructor(
    readonly target: ConnectTarget,
    private readonly connection: SshConnection,
    readonly settings: ConnectionSettings,
  ) {
    this.client = connection.client;
    this.sessions = new Semaphore(Math.max(1, settings.maxSessions - 2));
    this.client.on('error', (err: Error & { level?: string }) => {
      this.lastError = err.message;
      if (/keepalive/i.test(err.message)) this.markClosed({ cause: 'keepalive', message: err.message });
    });
    this.client.on('close', () => this.markClosed({ cause: 'closed', message: this.lastError ?? 'connection closed' }));
    this.client.on('end', () => this.markClosed({ cause: 'closed', message: this.lastError ?? 'connection ended by the node' }));
    // A jump hop dying takes this connection with it.
    for (const hop of connection.hops) hop.on('close', () => this.close({ cause: 'closed', message: 'the jump host connection closed' }));
  }

  static async open(target: ConnectTarget, settings: ConnectionSettings, signal?: AbortSignal): Promise<NodeConnection> {
    const started = Date.now();
    const connection = await connectSsh(target, {
      readyTimeoutMs: settings.readyTimeoutMs,
      ...(signal ? { signal } : {}),
      extra: { keepaliveInterval: settings.keepaliveIntervalMs, keepaliveCountMax: settings.keepaliveCountMax },
    });
    const via = target.jumps.length ? ` via ${target.jumps.map((j) => `${j.host}:${j.port}`).join(' → ')}` : '';
    settings.logger.info(
      `ssh ${target.nodeId}: connected to ${formatTarget({ user: target.username, host: target.host, port: target.port })}${via} in ${Date.now() - started} ms`,
    );
    return new NodeConnection(target, connection, settings);
  }

  /** The node's host key as presented when this connection was made. */
  get hostKey(): Buffer | undefined {
    return this.connection.hostKey;
  }

  get closed(): boolean {
    return this.reason !== undefined;
  }

  get closeReason(): CloseReason | undefined {
    return this.reason;
  }

  /** Calls `listener` once when the connection closes (at once if it already has). Returns an unsubscribe function. */
  onClose(listener: (reason: CloseReason) => void): () => void {
    if (this.reason) {
      const reason = this.reason;
      queueMicrotask(() => listener(reason));
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Calls `listener` when the current SFTP channel closes (the connection may live on). */
  onSftpClose(listener: () => void): () => void {
    this.sftpCloseListeners.add(listener);
    return () => this.sftpCloseListeners.delete(listener);
  }

  /** The connection's SFTP channel, opened once and shared by all SFTP operations. */
  sftp(signal?: AbortSignal): Promise<SFTPWrapper> {
    if (!this.sftpChannel) {
      const opening = guard<SFTPWrapper>(
        this,
        { nodeId: this.target.nodeId, op: 'open SFTP channel', timeoutMs: this.settings.opTimeoutMs, ...(signal ? { signal } : {}) },
        (done) => this.client.sftp((err, sftp) => done(err, sftp)),
      );
      this.sftpChannel = opening;
      opening.then(
        (sftp) => {
          // A closed SFTP channel (server-side error) is reopened on next use.
          // Failures reach the pending calls through the guard; an unheard 'error' event would crash the process.
          sftp.on('error', (err: Error) => this.settings.logger.warn(`ssh ${this.target.nodeId}: SFTP channel error: ${err.message}`));
          sftp.on('close', () => {
            if (this.sftpChannel === opening) this.sftpChannel = undefined;
            // Calls pending on this channel will never be answered.
            const listeners = [...this.sftpCloseListeners];
            this.sftpCloseListeners.clear();
            for (const listener of listeners) listener();
          });
        },
        () => {
          if (this.sftpChannel === opening) this.sftpChannel = undefined;
        },
      );
    }
    return this.sftpChannel;
  }

  close(reason: CloseReason = { cause: 'local', message: 'closed by the pool' }): void {
    this.markClosed(reason);
    this.connection.close();
    this.client.destroy();
  }

  private markClosed(reason: CloseReason): void {
    if (this.reason) return;
    this.reason = reason;
    const level = reason.cause === 'local' ? 'debug' : 'warn';
    this.settings.logger[level](`ssh ${this.target.nodeId}: connection closed (${reason.cause}: ${reason.message})`);
    this.sessions.failAll(new Error('connection closed'));
    for (const listener of [...this.closeListeners]) listener(reason);
    this.closeListeners.clear();
    if (reason.cause !== 'local') {
      this.connection.close();
      this.client.destroy();
    }
  }
}
