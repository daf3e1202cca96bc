import type { DashboardData } from '../../core/status/dashboard';

/**
 * The messages between the dashboard webview and the extension, both ways, and the check every
 * message from the webview passes before anything acts on it (a webview is a web page: treat what
 * it posts as untrusted input). No `vscode` import: the unit tests and the bench use it as is.
 */

export const DASHBOARD_ACTIONS = ['backup', 'restart', 'openAgentFile', 'showLogs'] as const;
export type DashboardAction = (typeof DASHBOARD_ACTIONS)[number];

/** What the webview reports after drawing: one entry per card (the state word it shows). */
export interface RenderedCard {
  nodeId: string;
  health: string;
  text: string;
}

export type FromWebview =
  | { type: 'ready' }
  | { type: 'refresh' }
  | { type: 'action'; action: DashboardAction; nodeId: string; agentId?: string }
  | { type: 'rendered'; cards: RenderedCard[]; ms: number };

export type ToWebview = { type: 'data'; data: DashboardData } | { type: 'busy'; nodeId: string; action: DashboardAction; busy: boolean };

/** Node and agent ids are plain (src/core/registry/schema.ts NODE_ID_PATTERN; agent ids alike). */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const MAX_CARDS = 10_000;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is string => typeof v === 'string' && ID.test(v);
const shortText = (v: unknown): v is string => typeof v === 'string' && v.length <= 500;

/** The message if it is one the webview may send, else undefined (unknown keys are dropped). */
export function parseWebviewMessage(raw: unknown): FromWebview | undefined {
  if (!isRecord(raw)) return undefined;
  switch (raw.type) {
    case 'ready':
    case 'refresh':
      return { type: raw.type };
    case 'action': {
      if (!isId(raw.nodeId) || !(DASHBOARD_ACTIONS as readonly unknown[]).includes(raw.action)) return undefined;
      if (raw.agentId !== undefined && !isId(raw.agentId)) return undefined;
      return {
        type: 'action',
        action: raw.action as DashboardAction,
        nodeId: raw.nodeId,
        ...(raw.agentId !== undefined ? { agentId: raw.agentId as string } : {}),
      };
    }
    case 'rendered': {
      if (!Array.isArray(raw.cards) || raw.cards.length > MAX_CARDS) return undefined;
      if (typeof raw.ms !== 'number' || !Number.isFinite(raw.ms)) return undefined;
      const cards: RenderedCard[] = [];
      for (const c of raw.cards) {
        if (!isRecord(c) || !isId(c.nodeId) || !shortText(c.health) || !shortText(c.text)) return undefined;
        cards.push({ nodeId: c.nodeId, health: c.health, text: c.text });
      }
      return { type: 'rendered', cards, ms: raw.ms };
    }
    default:
      return undefined;
  }
}
