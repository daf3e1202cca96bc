import { posix } from 'node:path';
import type { FileKind } from './types';

/** Names OpenClaw (and its predecessors, still honoured) use for the main config file. */
const CONFIG_NAMES = new Set(['openclaw.json', 'clawdbot.json', 'moltbot.json']);

/** The checks a file gets before it is written, judged from its name. */
export function fileKindFor(remotePath: string): FileKind {
  const name = posix.basename(remotePath);
  if (CONFIG_NAMES.has(name)) return 'openclawConfig';
  if (name.endsWith('.json5') || name.endsWith('.json')) return 'json5';
  return 'text';
}
