/**
 * Where the SSH layer reports what it does (each remote command with its timing, connects,
 * reconnects). Faces plug in an output channel or stderr; the default drops everything.
 * Callers of this interface never pass secrets: commands are logged without their env values.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const noopLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
