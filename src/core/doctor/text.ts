import type { Finding, Severity } from './types';

/**
 * The localized one-line text of a finding, for both faces: each passes its own l10n (the CLI's
 * src/cli/l10n.ts, the extension's vscode.l10n), which share l10n/bundle.l10n.ja.json. The
 * English `message` of a finding stays the --json form.
 */
export interface Translator {
  t(message: string, ...args: Array<string | number | boolean>): string;
}

export function findingText(f: Finding, l10n: Translator): string {
  const p = f.params;
  const s = (k: string): string => String(p[k] ?? '');
  const node = f.nodeId ?? '';
  const agent = f.agentId ?? '';
  switch (f.code) {
    case 'unreachable':
      return l10n.t('{0} cannot be reached: {1}', node, s('reason'));
    case 'gatewayDown':
      return l10n.t('{0}: the gateway does not run on port {1}', node, s('port'));
    case 'gatewayNotReady':
      return s('failing') ? l10n.t('{0}: the gateway is not ready (failing: {1})', node, s('failing')) : l10n.t('{0}: the gateway is not ready', node);
    case 'tokenStale':
      return l10n.t("{0}'s gateway.remote.token is not the token of {1}'s gateway it points at ({2}): it cannot authenticate", node, s('gateway'), s('url'));
    case 'unitToken':
      return l10n.t(
        '{0}: the systemd unit {1} embeds the gateway token (OPENCLAW_GATEWAY_TOKEN); it goes stale on the next rotation (OpenClaw #19410)',
        node,
        s('unit'),
      );
    case 'unitTokenStale':
      return l10n.t('{0}: the systemd unit {1} still carries an OLD gateway token (OPENCLAW_GATEWAY_TOKEN), not the one in openclaw.json', node, s('unit'));
    case 'envTokenStale':
      return l10n.t('{0}: OPENCLAW_GATEWAY_TOKEN in {1} is not the gateway.auth.token of openclaw.json', node, s('env'));
    case 'workspaceMissing':
      return l10n.t("{0}: agent {1}'s workspace {2} does not exist", node, agent, s('workspace'));
    case 'workspaceShared':
      return l10n.t('{0}: agents {1} share the workspace {2}', node, s('agents'), s('workspace'));
    case 'memoryTooLarge':
      return l10n.t(
        "{0}: agent {1}'s MEMORY.md has {2} characters; OpenClaw injects only {3} (bootstrapMaxChars), the rest is cut",
        node,
        agent,
        s('chars'),
        s('limit'),
      );
    case 'sessionOverflow':
      return s('hours') !== ''
        ? l10n.t('{0}: session {1} of agent {2} reaches its context window in about {3} h at the current rate', node, s('key'), agent, s('hours'))
        : l10n.t('{0}: session {1} of agent {2} reaches its context window soon at the current rate', node, s('key'), agent);
    case 'sessionOverThreshold':
      return l10n.t('{0}: session {1} of agent {2} uses {3}% of its context window', node, s('key'), agent, s('pct'));
    case 'noBackup':
      return l10n.t('{0} has no backup', node);
    case 'backupOld':
      return l10n.t("{0}'s newest backup is {1} days old ({2})", node, s('days'), s('at'));
    case 'versionsDiffer':
      return l10n.t('{0} runs OpenClaw {1}; the newest in the fleet is {2} ({3} in use)', node, s('version'), s('newest'), s('all'));
    default:
      return f.message;
  }
}

export function severityText(severity: Severity, l10n: Translator): string {
  return severity === 'error' ? l10n.t('ERROR') : severity === 'warning' ? l10n.t('WARNING') : l10n.t('INFO');
}

/** The report as Markdown (VS Code preview; `ocm doctor --markdown`). */
export function doctorMarkdown(
  report: { checkedAt: string; nodes: string[]; findings: Finding[]; summary: { errors: number; warnings: number } },
  l10n: Translator,
): string {
  const lines = [
    `# ${l10n.t('OpenClaw fleet doctor')}`,
    '',
    l10n.t('{0} node(s) checked at {1}: {2} error(s), {3} warning(s).', report.nodes.length, report.checkedAt, report.summary.errors, report.summary.warnings),
    '',
  ];
  if (report.findings.length === 0) lines.push(l10n.t('No problems found.'));
  else {
    lines.push(`| | ${l10n.t('Node')} | ${l10n.t('Finding')} | ${l10n.t('Fix')} |`, '|---|---|---|---|');
    const cell = (v: string): string => v.replace(/\|/g, '\\|').replace(/\n/g, ' ');
    for (const f of report.findings)
      lines.push(
        `| ${f.severity === 'error' ? '⛔' : f.severity === 'warning' ? '⚠️' : 'ℹ️'} ${severityText(f.severity, l10n)} | ${cell(f.nodeId ?? '—')} | ${cell(findingText(f, l10n))} | ${f.fix ? `\`${cell(f.fix)}\`` : ''} |`,
      );
  }
  return lines.join('\n') + '\n';
}
