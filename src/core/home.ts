import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The ocm home holds the node registry, the trust store, pre-edit backups and the backup store.
 * `OCM_HOME` moves it (tests use this); the default follows XDG.
 */
export function ocmHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OCM_HOME && env.OCM_HOME.trim() !== '') return env.OCM_HOME;
  const xdg = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.trim() !== '' ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(xdg, 'openclaw-manager');
}

export function registryPath(home: string = ocmHome()): string {
  return join(home, 'nodes.json');
}
