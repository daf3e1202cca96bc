import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { OcmError, isOcmError } from '../errors';
import { shellQuote } from '../transport/shell-quote';
import type { Transport } from '../transport/types';
import type { OpenclawValidator } from './types';

const DEFAULT_TIMEOUT_MS = 90_000;

export type OpenclawVerdict =
  | { outcome: 'valid'; warnings: string[] }
  | { outcome: 'invalid'; message: string; issues: { path: string; message: string }[] }
  /** The CLI could not give an answer (missing binary, wrong Node, unexpected output). */
  | { outcome: 'unavailable'; reason: string };

/**
 * Asks the node's own OpenClaw whether `content` is a valid config, without touching the live
 * file: the candidate is written beside it (same folder, so relative `$include`s resolve the same
 * way; unique name that OpenClaw's `.bak.*` cleanup does not match; mode 0600 because configs hold
 * secrets), checked with `OPENCLAW_CONFIG_PATH=<candidate> openclaw config validate --json`, and
 * removed again.
 *
 * Output of 2026.9.6 (stdout, exit 0 / 1):
 *   {"valid":true,"path":"...","warnings":[]}
 *   {"ok":false,"error":{"type":"cli_error","message":"OpenClaw config is invalid: <path>"},
 *    "valid":false,"path":"...","issues":[{"path":"tools","message":"Unrecognized key: \"x\""}]}
 */
export async function validateWithOpenclaw(
  transport: Transport,
  remotePath: string,
  content: Uint8Array,
  validator: OpenclawValidator,
  signal?: AbortSignal,
): Promise<OpenclawVerdict> {
  const candidate = posix.join(posix.dirname(remotePath), `.ocm-candidate-${randomBytes(6).toString('hex')}.openclaw.json`);
  const opts = signal ? { signal } : {};
  try {
    await transport.writeFileAtomic(candidate, content, { ...opts, mode: 0o600, exclusive: true });
  } catch (e) {
    if (isOcmError(e, 'cancelled')) throw e;
    return { outcome: 'unavailable', reason: `could not write a candidate copy next to ${remotePath}: ${(e as Error).message}` };
  }
  try {
    const env: Record<string, string> = { ...(validator.env ?? {}), OPENCLAW_CONFIG_PATH: candidate };
    if (validator.stateDir) env.OPENCLAW_STATE_DIR = validator.stateDir;
    const result = await transport.exec(`${shellQuote(validator.openclawPath)} config validate --json`, {
      ...opts,
      env,
      timeoutMs: validator.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxOutputBytes: 1024 * 1024,
    });
    return interpret(result.stdout, result.stderr, result.exitCode, candidate, remotePath);
  } catch (e) {
    if (isOcmError(e, 'cancelled')) throw e;
    if (isOcmError(e, 'timeout')) return { outcome: 'unavailable', reason: (e as OcmError).message };
    throw e;
  } finally {
    await transport.remove(candidate).catch(() => undefined);
  }
}

function interpret(stdout: string, stderr: string, exitCode: number | null, candidate: string, remotePath: string): OpenclawVerdict {
  const parsed = parseJsonOutput(stdout);
  const rename = (s: string): string => s.split(candidate).join(remotePath);
  if (parsed && parsed.valid === true) {
    const warnings = Array.isArray(parsed.warnings) ? parsed.warnings.map((w) => rename(describe(w))) : [];
    return { outcome: 'valid', warnings };
  }
  if (parsed && parsed.valid === false) {
    const errorMessage =
      typeof parsed.error === 'object' && parsed.error && 'message' in parsed.error ? String((parsed.error as { message: unknown }).message) : '';
    const issues = Array.isArray(parsed.issues)
      ? parsed.issues.map((i) => ({
          path: typeof i?.path === 'string' ? i.path : '<root>',
          message: rename(typeof i?.message === 'string' ? i.message : describe(i)),
        }))
      : [];
    if (issues.length === 0 && /file not found/i.test(errorMessage)) {
      return { outcome: 'unavailable', reason: 'openclaw could not read the candidate copy (file not found)' };
    }
    return { outcome: 'invalid', message: rename(errorMessage || 'OpenClaw config is invalid'), issues };
  }
  const tail = (stderr.trim() || stdout.trim()).split('\n').slice(-3).join(' ').slice(0, 400);
  return { outcome: 'unavailable', reason: `"openclaw config validate" gave no verdict (exit ${exitCode ?? 'signal'}${tail ? `: ${tail}` : ''})` };
}

interface ValidateOutput {
  valid?: unknown;
  warnings?: unknown[];
  issues?: ({ path?: unknown; message?: unknown } | undefined)[];
  error?: unknown;
}

/** The JSON document on stdout; tolerates log lines printed before it. */
function parseJsonOutput(stdout: string): ValidateOutput | undefined {
  const text = stdout.trim();
  const tryParse = (s: string): ValidateOutput | undefined => {
    try {
      const v = JSON.parse(s) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as ValidateOutput) : undefined;
    } catch {
      return undefined;
    }
  };
  const whole = tryParse(text);
  if (whole) return whole;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.startsWith('{')) {
      const rest = tryParse(lines.slice(i).join('\n'));
      if (rest) return rest;
    }
  }
  return undefined;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as { path?: unknown; message?: unknown };
    if (typeof v.message === 'string') return typeof v.path === 'string' ? `${v.path}: ${v.message}` : v.message;
  }
  return JSON.stringify(value);
}

/** The refusal shown to the user: OpenClaw's own words, one issue per line. */
export function invalidConfigError(nodeId: string, remotePath: string, verdict: Extract<OpenclawVerdict, { outcome: 'invalid' }>): OcmError {
  const lines = verdict.issues.map((i) => `  ${i.path}: ${i.message}`);
  return new OcmError(
    'invalidConfig',
    `${remotePath} on ${nodeId} was not saved: OpenClaw says the config is invalid (the gateway would refuse to start with it).\n${lines.join('\n') || `  ${verdict.message}`}\nFix these and save again; the file on the node is unchanged.`,
    { nodeId, remotePath, issues: verdict.issues, openclawMessage: verdict.message },
  );
}
