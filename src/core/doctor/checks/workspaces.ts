import type { Finding, NodeFacts } from '../types';

/** Agents whose workspace folder is missing, and workspaces two agents of a node share (they overwrite each other's memory). */
export function checkWorkspaces(facts: readonly NodeFacts[]): Finding[] {
  const out: Finding[] = [];
  for (const f of facts) {
    const byWorkspace = new Map<string, string[]>();
    for (const a of f.agents) {
      byWorkspace.set(a.workspace, [...(byWorkspace.get(a.workspace) ?? []), a.id]);
      if (f.workspaceExists[a.id] === false) {
        out.push({
          code: 'workspaceMissing',
          severity: 'error',
          nodeId: f.nodeId,
          agentId: a.id,
          message: `${f.nodeId}: agent ${a.id}'s workspace ${a.workspace} does not exist`,
          fix: `openclaw setup --workspace ${a.workspace} (on ${f.nodeId}), or ocm restore <backup> --to ${f.nodeId} --agent ${a.id}`,
          params: { workspace: a.workspace },
        });
      }
    }
    for (const [workspace, ids] of byWorkspace) {
      if (ids.length < 2) continue;
      out.push({
        code: 'workspaceShared',
        severity: 'error',
        nodeId: f.nodeId,
        agentId: ids[1]!,
        message: `${f.nodeId}: agents ${ids.join(', ')} share the workspace ${workspace}`,
        fix: `openclaw config set agents.entries.${ids[1]}.workspace <a folder of its own> (on ${f.nodeId})`,
        params: { workspace, agents: ids.join(', ') },
      });
    }
  }
  return out;
}
