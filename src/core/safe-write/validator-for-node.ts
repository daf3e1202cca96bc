import type { OpenclawLocation } from '../openclaw/locate';
import type { NodeEntry } from '../registry';
import type { OpenclawValidator } from './types';

/**
 * The validator for a node's configs from what the registry knows (no round trip). Without a known
 * binary, safeWrite checks JSON5 only and says so in its warnings; prefer validatorFromLocation.
 */
export function validatorForNode(node: NodeEntry, extraEnv?: Record<string, string>): OpenclawValidator | undefined {
  if (!node.openclawPath) return undefined;
  return {
    openclawPath: node.openclawPath,
    ...(node.stateDir ? { stateDir: node.stateDir } : {}),
    ...(extraEnv ? { env: extraEnv } : {}),
  };
}

/**
 * The validator from a located OpenClaw (locateOpenclaw): its binary, state dir and the
 * environment it must run with (PATH with the right Node, the node's OPENCLAW_* overrides).
 * Undefined when no usable binary was found.
 */
export function validatorFromLocation(location: OpenclawLocation): OpenclawValidator | undefined {
  if (!location.installed || !location.bin || !location.version) return undefined;
  return { openclawPath: location.bin, stateDir: location.stateDir, env: { ...location.cliEnv } };
}
