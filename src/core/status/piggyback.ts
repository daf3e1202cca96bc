import { randomBytes } from 'node:crypto';
import type { ExecOptions, ExecResult, Transport } from '../transport/types';

/**
 * A transport whose FIRST `exec` also runs `script` after the caller's command, in the same round
 * trip. The script's output is cut off before the caller sees the result and handed to
 * `onOutput`. Status uses it to add host facts to OpenClaw's discovery script without touching
 * (or duplicating) that script: one exec per node instead of two.
 */
export function withPiggybackScript(inner: Transport, script: string, onOutput: (stdout: string) => void): Transport {
  let used = false;
  const marker = `__OCM_PIGGYBACK_${randomBytes(8).toString('hex')}__`;
  const exec = async (command: string, options?: ExecOptions): Promise<ExecResult> => {
    if (used) return inner.exec(command, options);
    used = true;
    // The caller's command and the script each run in a subshell, so an `exit` in either ends only
    // that part; the caller's exit code is kept. (A subshell, not `sh -c`: no extra exec.)
    const combined = `(\n${command}\n)\nocm_rc=$?\nprintf '\\n%s\\n' '${marker}'\n(\n${script}\n) </dev/null\nexit $ocm_rc`;
    const result = await inner.exec(combined, options);
    const at = result.stdout.lastIndexOf(`\n${marker}\n`);
    if (at < 0) return result;
    onOutput(result.stdout.slice(at + marker.length + 2));
    return { ...result, stdout: result.stdout.slice(0, at) };
  };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'exec') return exec;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
