import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

/** Runs `ocm` in-process with its own environment (OCM_HOME etc.), capturing output. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { out: (s) => (stdout += s), err: (s) => (stderr += s), env, json: false });
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}

export async function tempOcmHome(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'ocm-home-'));
}
