import type { Readable, Writable } from 'node:stream';

/**
 * How bytes move between this machine and a node. Two implementations: SSH (ssh2, pooled) and
 * local (a node that is this machine). Everything above the transport — OpenClaw discovery,
 * safe-write, backups, operations — is written against this interface only.
 *
 * Paths are absolute POSIX paths on the node. Every method fails with an OcmError whose kind
 * says what happened (notFound, permission, timeout, disconnected, cancelled, ...), never hangs
 * past its timeout, and stops its work when `signal` aborts.
 */
export interface Transport {
  /** Node id this transport serves (for messages and logs). */
  readonly nodeId: string;
  /** `ssh` or `local`. */
  readonly kind: 'ssh' | 'local';

  /** Runs a command through the node's shell (`sh -c`). Quote every argument with `shellQuote`. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Like exec, but streams stdout to the caller (large outputs such as tar). */
  execStream(command: string, options?: ExecStreamOptions): Promise<ExecStream>;

  stat(path: string, options?: OpOptions): Promise<FileStat>;
  /** Like stat, but `undefined` instead of a notFound error. */
  statOrUndefined(path: string, options?: OpOptions): Promise<FileStat | undefined>;
  readdir(path: string, options?: OpOptions): Promise<DirEntry[]>;
  readFile(path: string, options?: OpOptions): Promise<Buffer>;
  /**
   * Replaces `path` atomically: temp file in the same folder, fsync, posix-rename over the target.
   * Keeps the existing file's mode (and owner where permitted); new files get `options.mode` or 0644.
   * A symlink is written through: its fully resolved target is replaced (temp file in the target's
   * folder), and the link stays a link, also when the target does not exist yet.
   */
  writeFileAtomic(path: string, data: Uint8Array, options?: WriteOptions): Promise<void>;
  rename(from: string, to: string, options?: OpOptions & { overwrite?: boolean }): Promise<void>;
  remove(path: string, options?: OpOptions & { recursive?: boolean }): Promise<void>;
  mkdir(path: string, options?: OpOptions & { recursive?: boolean; mode?: number }): Promise<void>;

  /** Streams a remote file into `destination` (download). Resolves when all bytes are written. */
  download(remotePath: string, destination: Writable, options?: OpOptions): Promise<void>;
  /** Streams `source` into a remote file (upload, not atomic: use a temp name and rename). */
  upload(source: Readable, remotePath: string, options?: OpOptions & { mode?: number }): Promise<void>;

  /**
   * Opens a TCP connection to `127.0.0.1:port` on the node (SSH: direct-tcpip channel), e.g. for
   * the gateway's `/readyz` without exposing it. The caller owns the returned duplex stream.
   */
  connectTcp(port: number, options?: OpOptions & { host?: string }): Promise<NodeJS.ReadWriteStream & { destroy(): void }>;

  /** Releases connections; the transport may be used again afterwards (it reconnects). */
  close(): Promise<void>;
}

export interface OpOptions {
  /** Per-operation timeout in ms (defaults are set by the implementation). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ExecOptions extends OpOptions {
  /** Bytes written to the command's stdin, then stdin is closed. */
  stdin?: string | Uint8Array;
  /** Extra environment, exported in the command line (not via SSH env requests, which sshd refuses). */
  env?: Record<string, string>;
  /** Upper bound on captured stdout/stderr each (default 16 MiB); the rest is dropped and `truncated` set. */
  maxOutputBytes?: number;
}

export interface ExecResult {
  exitCode: number | null;
  /** Set when the command died from a signal. */
  signal?: string;
  stdout: string;
  stderr: string;
  truncated?: boolean;
  durationMs: number;
}

export interface ExecStreamOptions extends OpOptions {
  stdin?: Readable | string | Uint8Array;
  env?: Record<string, string>;
}

export interface ExecStream {
  stdout: Readable;
  /** Resolves with exit code and captured stderr when the channel closes. */
  done: Promise<{ exitCode: number | null; signal?: string; stderr: string }>;
  /** Closes the channel (the remote process gets SIGHUP / EOF). */
  cancel(): void;
}

export interface FileStat {
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  /** Modification time in milliseconds (SFTP gives seconds: multiplied). */
  mtimeMs: number;
  /** Permission bits only (e.g. 0o644). */
  mode: number;
  uid?: number;
  gid?: number;
}

export interface DirEntry {
  name: string;
  type: FileStat['type'];
  size: number;
  mtimeMs: number;
  mode: number;
}

export interface WriteOptions extends OpOptions {
  /** Mode for a new file (existing files keep theirs). */
  mode?: number;
  /** Fail with `exists` if the file exists. */
  exclusive?: boolean;
  /** Fail with `notFound` unless the file exists. */
  mustExist?: boolean;
}
