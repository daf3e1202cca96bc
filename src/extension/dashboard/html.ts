import type { DashboardData } from '../../core/status/dashboard';
import { DASHBOARD_SCRIPT } from './script';
import { DASHBOARD_CSS } from './style';

/**
 * The dashboard webview's HTML: a strict Content-Security-Policy (nothing by default; the one
 * style and the one script carry a fresh nonce; no remote origin anywhere), the localised words as
 * inert JSON, the CSS and the script inline. No `vscode` import: the bench renders the same page
 * in headless Chromium.
 */

/** The words of the page (src/extension/dashboard/strings.ts fills them in the user's language). */
export interface DashboardStrings {
  title: string;
  refresh: string;
  checking: string;
  noNodes: string;
  summary: string;
  checkedAt: string;
  'health.ready': string;
  'health.notReady': string;
  'health.gatewayDown': string;
  'health.unreachable': string;
  'health.notInstalled': string;
  'health.unknown': string;
  version: string;
  gatewayPort: string;
  gatewayUp: string;
  hostUp: string;
  agents: string;
  noAgents: string;
  contextUnknown: string;
  noSessions: string;
  contextUsed: string;
  sessions: string;
  load: string;
  memory: string;
  disk: string;
  loadDetail: string;
  memoryDetail: string;
  diskDetail: string;
  lastBackup: string;
  staleBackup: string;
  noBackup: string;
  problems: string;
  noProblems: string;
  backUp: string;
  restart: string;
  openAgentFile: string;
  showLogs: string;
  actionsFor: string;
  openAgent: string;
  working: string;
}

export interface DashboardHtmlOptions {
  /** Fresh per page load (newNonce()). */
  nonce: string;
  /** `webview.cspSource`: the webview's own resource origin (for fonts/images VS Code injects). */
  cspSource: string;
  strings: DashboardStrings;
  /** BCP 47 language of the strings (`vscode.env.language`). */
  lang: string;
  /** Cards to draw at once, before the page asks for data (saves a round trip on opening). */
  initialData?: DashboardData;
}

/** 32 random base64 characters. */
export function newNonce(): string {
  const bytes = new Uint8Array(24);
  globalThis.crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('base64');
}

export function contentSecurityPolicy(nonce: string, cspSource: string): string {
  return [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function dashboardHtml(options: DashboardHtmlOptions): string {
  const { nonce, strings } = options;
  if (!/^[A-Za-z0-9+/=]{16,}$/.test(nonce)) throw new Error('dashboardHtml: the nonce must be base64 of at least 16 characters');
  return `<!DOCTYPE html>
<html lang="${escapeAttribute(options.lang)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(contentSecurityPolicy(nonce, options.cspSource))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeText(strings.title)}</title>
<style nonce="${nonce}">${DASHBOARD_CSS}</style>
</head>
<body>
<header class="top">
<h1>${escapeText(strings.title)}</h1>
<span id="summary" class="summary" role="status" aria-live="polite">${escapeText(strings.checking)}</span>
<button id="refresh" type="button" class="secondary" data-key="refresh">${escapeText(strings.refresh)}</button>
</header>
<main id="cards" aria-busy="true" aria-label="${escapeAttribute(strings.title)}"></main>
<script type="application/json" id="ocm-strings" nonce="${nonce}">${jsonForScript(strings)}</script>
${options.initialData ? `<script type="application/json" id="ocm-data" nonce="${nonce}">${jsonForScript(options.initialData)}</script>\n` : ''}<script nonce="${nonce}">${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
}

/** JSON that cannot end the script element or open a comment (`<` as \\u003c). */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;');
}
