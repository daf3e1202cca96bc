import type { NodeEntry } from '../registry';
import type { OpenclawValidator } from './types';

/**
 * The validator for a node's configs, when the registry knows where its `openclaw` binary is.
 * (Discovering it — `command -v`, login shell, common paths — belongs to the OpenClaw locator;
 * without a known path, safeWrite checks JSON5 only and says so in its warnings.)
 */
export function validatorForNode(node: NodeEntry, extraEnv?: Record<string, string>): OpenclawValidator | undefined {
  if (!node.openclawPath) return undefined;
  return {
    openclawPath: node.openclawPath,
    ...(node.stateDir ? { stateDir: node.stateDir } : {}),
    ...(extraEnv ? { env: extraEnv } : {}),
  };
}
