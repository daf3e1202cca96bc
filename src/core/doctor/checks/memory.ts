import type { Finding, NodeFacts } from '../types';

/**
 * MEMORY.md longer than what OpenClaw injects: bootstrap files are cut at `bootstrapMaxChars`
 * (per agent, else agents.defaults, default 20000 characters in 2026.9.6's bootstrap module), so the
 * end of a long memory never reaches the model.
 */
export function checkMemory(facts: readonly NodeFacts[]): Finding[] {
  const out: Finding[] = [];
  for (const f of facts) {
    for (const m of f.memory) {
      if (m.chars <= m.limit) continue;
      out.push({
        code: 'memoryTooLarge',
        severity: 'warning',
        nodeId: f.nodeId,
        agentId: m.agentId,
        message: `${f.nodeId}: agent ${m.agentId}'s MEMORY.md has ${m.chars} characters; OpenClaw injects only ${m.limit} (bootstrapMaxChars), the rest is cut`,
        fix: `ocm cat ${f.nodeId} ${m.path} (then trim it and save with ocm put), or raise agents.defaults.bootstrapMaxChars`,
        params: { chars: m.chars, limit: m.limit, path: m.path },
      });
    }
  }
  return out;
}
