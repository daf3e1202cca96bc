// Types for scripts/openclaw-tools.mjs (so TypeScript tests and scripts can import it).
export const OPENCLAW_VERSIONS: string[];
export const OPENCLAW_OFFLINE_ENV: Record<string, string>;
export interface OpenclawInstall {
  version: string;
  /** Install prefix (<cache>/openclaw-<version>). */
  dir: string;
  /** The `openclaw` launcher. */
  bin: string;
  /** Node 24 binary to run it with. */
  nodeBin: string;
  /** PATH with Node 24 and OpenClaw first, plus the offline switches. */
  env: Record<string, string>;
}
export function ensureOpenclaw(version?: string): Promise<OpenclawInstall>;
