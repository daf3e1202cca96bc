import { posix } from 'node:path';
import { OcmError, toOcmError } from '../errors';
import { sha256Hex } from '../history/store';
import type { AgentInfo } from '../openclaw/agents';
import { snapshotRemote } from '../safe-write/remote-snapshot';
import type { Transport } from '../transport/types';
import { appendLines, parseHeadingQuery, replaceSection } from './markdown-section';
import type { AgentTarget } from './selector';
import type { BulkChange, BulkPlan, PlannedFile } from './types';

/**
 * Computes every resulting file of a bulk apply before anything is written: one read per target
 * (nodes in parallel, one node's files one after another), the new bytes, and why a target is
 * left out. Nothing on any node changes here.
 */

export interface NodeReach {
  transport(nodeId: string): Promise<Transport>;
  agents(nodeId: string): Promise<AgentInfo[]>;
}

/** `SOUL.md`, `memory/team.md`: a relative path that stays inside the workspace. */
export function checkFileName(fileName: string): string {
  const name = fileName.trim().replace(/^\.\/+/, '');
  const parts = name.split('/');
  if (name === '' || name.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..') || name.includes('\0')) {
    throw new OcmError(
      'invalidInput',
      `--file "${fileName}" must be a file name inside each agent's workspace, e.g. SOUL.md or memory/team.md (no absolute path, no "..").`,
      { fileName, usage: true },
    );
  }
  return name;
}

export async function planBulkApply(reach: NodeReach, targets: AgentTarget[], fileName: string, change: BulkChange, signal?: AbortSignal): Promise<BulkPlan> {
  const name = checkFileName(fileName);
  const byNode = new Map<string, AgentTarget[]>();
  for (const t of targets) byNode.set(t.nodeId, [...(byNode.get(t.nodeId) ?? []), t]);
  const perNode = await Promise.all(
    [...byNode.entries()].map(async ([nodeId, list]) => {
      const out: PlannedFile[] = [];
      let transport: Transport;
      let agents: AgentInfo[];
      try {
        transport = await reach.transport(nodeId);
        agents = await reach.agents(nodeId);
      } catch (e) {
        const err = toOcmError(e);
        return list.map((t): PlannedFile => ({ nodeId, agentId: t.agentId, path: name, action: 'blocked', reason: 'unreachable', message: err.message }));
      }
      for (const t of list) {
        signal?.throwIfAborted();
        const agent = agents.find((a) => a.id === t.agentId);
        if (!agent) {
          out.push({
            nodeId,
            agentId: t.agentId,
            path: name,
            action: 'blocked',
            reason: 'unreachable',
            message: `Agent ${t.agentId} is not configured on ${nodeId}.`,
          });
          continue;
        }
        out.push(await planOne(transport, nodeId, agent, name, change, signal));
      }
      return out;
    }),
  );
  return { fileName: name, change, files: perNode.flat() };
}

async function planOne(transport: Transport, nodeId: string, agent: AgentInfo, name: string, change: BulkChange, signal?: AbortSignal): Promise<PlannedFile> {
  const path = posix.join(agent.workspace, name);
  const base: PlannedFile = { nodeId, agentId: agent.id, path, action: 'blocked' };
  let snap;
  try {
    const ws = await transport.statOrUndefined(agent.workspace, signal ? { signal } : {});
    if (!ws || ws.type !== 'directory')
      return { ...base, reason: 'noWorkspace', message: `The workspace ${agent.workspace} of agent ${agent.id} does not exist.` };
    snap = await snapshotRemote(transport, path, signal);
  } catch (e) {
    return { ...base, reason: 'unreachable', message: toOcmError(e).message };
  }
  const withBefore: PlannedFile = snap ? { ...base, before: snap.content, beforeSha256: snap.sha256 } : base;
  const result = computeResult(snap?.content, change);
  if ('reason' in result) return { ...withBefore, reason: result.reason, message: result.message };
  const afterSha256 = sha256Hex(result.after);
  const action = !snap ? 'create' : afterSha256 === snap.sha256 ? 'unchanged' : 'update';
  return { ...withBefore, action, after: result.after, afterSha256 };
}

/** The new bytes of one file (pure): the heart of the three modes. */
export function computeResult(before: Buffer | undefined, change: BulkChange): { after: Buffer } | { reason: PlannedFile['reason'] & string; message: string } {
  if (change.mode === 'template') return { after: Buffer.from(change.content) };
  if (!before)
    return {
      reason: 'fileMissing',
      message: change.mode === 'append' ? 'The file does not exist: nothing to append to.' : 'The file does not exist: no section to replace.',
    };
  const text = decodeText(before);
  if (text === undefined) return { reason: 'notText', message: 'The file is not UTF-8 text.' };
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const body = bom ? text.slice(1) : text;
  const addition = stripBom(change.content.toString('utf8'));
  if (change.mode === 'append') return { after: Buffer.from(bom + appendLines(body, addition), 'utf8') };
  const replaced = replaceSection(body, parseHeadingQuery(change.heading), addition);
  if (!replaced.ok) {
    return replaced.reason === 'headingMissing'
      ? { reason: 'headingMissing', message: `No heading "${change.heading}" in the file: nothing was replaced (and nothing appended).` }
      : {
          reason: 'headingAmbiguous',
          message: `The heading "${change.heading}" is there ${replaced.matches.length} times (lines ${replaced.matches.map((m) => m.line + 1).join(', ')}): name it with its level (e.g. "## Tools") or make it unique.`,
        };
  }
  return { after: Buffer.from(bom + replaced.text, 'utf8') };
}

function stripBom(s: string): string {
  return s.startsWith('\uFEFF') ? s.slice(1) : s;
}

function decodeText(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Counts for a summary line. */
export function planCounts(plan: BulkPlan): { update: number; create: number; unchanged: number; blocked: number } {
  const c = { update: 0, create: 0, unchanged: 0, blocked: 0 };
  for (const f of plan.files) c[f.action] += 1;
  return c;
}
