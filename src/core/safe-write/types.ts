/**
 * What the editor read: the content hash (authoritative) and, when known, the mtime and size;
 * `'absent'` when the editor is creating a file that did not exist.
 */
export type ExpectedRemote = { sha256: string; mtimeMs?: number; size?: number } | 'absent';

/**
 * How a file is checked before it is written:
 * - `openclawConfig`: openclaw.json (or a legacy clawdbot.json / moltbot.json): JSON5 must parse,
 *   then `openclaw config validate --json` on a candidate copy when a validator is given;
 * - `json5`: JSON5 must parse (e.g. a `$include`d config fragment);
 * - `text`: no check (MEMORY.md, SOUL.md, ...).
 */
export type FileKind = 'openclawConfig' | 'json5' | 'text';

/** How to run the node's own `openclaw` CLI to validate a candidate config. */
export interface OpenclawValidator {
  /** Path of the `openclaw` binary on the node (or a command name found on the node's PATH). */
  openclawPath: string;
  /** The node's OpenClaw state dir, exported as OPENCLAW_STATE_DIR. */
  stateDir?: string;
  /** Extra environment for the command (e.g. a PATH with the right Node first). */
  env?: Record<string, string>;
  /** Default 90 s: the CLI takes 2–8 s to start. */
  timeoutMs?: number;
}

export interface SafeWriteOptions {
  /** Local ocm home (pre-edit backups go to <home>/history). Default: ocmHome(). */
  home?: string;
  /** Default: transport.nodeId. */
  nodeId?: string;
  remotePath: string;
  content: Uint8Array;
  /** What the editor read; a different current remote content is a conflict. */
  expected: ExpectedRemote;
  /** Default: detected from the file name (fileKindFor). */
  kind?: FileKind;
  validator?: OpenclawValidator;
  /** Explicit user choice to replace whatever is there now: skips the conflict check, still backs up. */
  overwrite?: boolean;
  /** Which face saves (recorded on the `saved` history entry; the timeline shows it). */
  via?: 'vscode' | 'cli';
  /**
   * Called with the new content and the node's current bytes (undefined for a new file) after the
   * conflict check and before anything is written; throwing stops the save (the mix-up guard).
   */
  beforeWrite?: (content: Uint8Array, current: Buffer | undefined) => void | Promise<void>;
  /** Mode for a file that does not exist yet (default 0644; existing files keep theirs). */
  newFileMode?: number;
  signal?: AbortSignal;
}

export interface SafeWriteResult {
  savedSha256: string;
  /** mtime (ms) and size of the file as written (for the editor's next `expected`). */
  mtimeMs: number;
  size: number;
  /** Pre-edit backup of the bytes that were replaced; undefined when the file did not exist. */
  backupId?: string;
  /**
   * History entry holding the bytes just written (reason `saved`), so the user's version survives
   * even if an agent overwrites the file afterwards. Undefined if recording it failed (see warnings).
   */
  savedId?: string;
  /** Things the user should know (comments dropped by OpenClaw's own writes, validation skipped...). */
  warnings: string[];
  /** True when an OpenClaw config's content actually changed (faces offer a gateway restart). */
  configChanged: boolean;
  /** True when the file did not exist before. */
  created: boolean;
  /** Which check passed before writing. */
  validatedBy: 'openclaw' | 'json5' | 'none';
}

export interface ReadForEditResult {
  content: Buffer;
  sha256: string;
  mtimeMs: number;
  size: number;
  mode: number;
}
