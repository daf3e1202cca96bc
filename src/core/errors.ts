import { printableText } from './terminal-text';

/**
 * Errors are values with a kind. The faces (VS Code, CLI) decide how to show them; every message
 * says what is wrong and what to do about it.
 */
export type OcmErrorKind =
  | 'unreachable'
  | 'auth'
  | 'hostKeyUnknown'
  | 'hostKeyChanged'
  | 'permission'
  | 'notFound'
  | 'exists'
  | 'conflict'
  | 'invalidConfig'
  | 'invalidInput'
  | 'timeout'
  | 'disconnected'
  | 'cancelled'
  | 'unsupported'
  | 'failed';

export class OcmError extends Error {
  readonly kind: OcmErrorKind;
  /** Extra structured facts for `--json` output and for the faces (never secrets). */
  readonly details: Record<string, unknown>;

  constructor(kind: OcmErrorKind, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    // Messages often quote a node's stderr: its escape sequences must not reach a terminal.
    super(printableText(message), options);
    this.name = 'OcmError';
    this.kind = kind;
    this.details = details;
  }

  toJSON(): { kind: OcmErrorKind; message: string; details: Record<string, unknown> } {
    return { kind: this.kind, message: this.message, details: this.details };
  }
}

export function isOcmError(e: unknown, kind?: OcmErrorKind): e is OcmError {
  return e instanceof OcmError && (kind === undefined || e.kind === kind);
}

/** Wraps anything thrown into an OcmError, keeping OcmErrors as they are. */
export function toOcmError(e: unknown, fallbackKind: OcmErrorKind = 'failed'): OcmError {
  if (e instanceof OcmError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new OcmError(fallbackKind, message, {}, { cause: e });
}
