import * as vscode from 'vscode';
import type { DashboardStrings } from './html';

/**
 * The dashboard's words in the user's language (the webview has no l10n of its own: it gets this
 * table once, in its HTML). Placeholders `{0}` are filled in by the webview script.
 */
export function dashboardStrings(): DashboardStrings {
  return {
    title: vscode.l10n.t('OpenClaw Dashboard'),
    refresh: vscode.l10n.t('Refresh'),
    checking: vscode.l10n.t('Checking nodes…'),
    noNodes: vscode.l10n.t('No nodes yet. Add one from the Nodes view.'),
    summary: vscode.l10n.t('{0} nodes · {1} ready · {2} unreachable · {3} with problems'),
    checkedAt: vscode.l10n.t('checked at {0}'),
    'health.ready': vscode.l10n.t('Ready'),
    'health.notReady': vscode.l10n.t('Not ready'),
    'health.gatewayDown': vscode.l10n.t('Gateway down'),
    'health.unreachable': vscode.l10n.t('Unreachable'),
    'health.notInstalled': vscode.l10n.t('OpenClaw not found'),
    'health.unknown': vscode.l10n.t('Not checked yet'),
    version: vscode.l10n.t('OpenClaw {0}'),
    gatewayPort: vscode.l10n.t('gateway :{0}'),
    gatewayUp: vscode.l10n.t('up {0}'),
    hostUp: vscode.l10n.t('host up {0}'),
    agents: vscode.l10n.t('Agents'),
    noAgents: vscode.l10n.t('No agents configured'),
    contextUnknown: vscode.l10n.t('context use not known'),
    noSessions: vscode.l10n.t('no sessions yet'),
    contextUsed: vscode.l10n.t('{0} of the context window used'),
    sessions: vscode.l10n.t('{0} sessions'),
    load: vscode.l10n.t('Load'),
    memory: vscode.l10n.t('Memory'),
    disk: vscode.l10n.t('Disk'),
    loadDetail: vscode.l10n.t('{0} on {1} CPUs'),
    memoryDetail: vscode.l10n.t('{0} of {1} used'),
    diskDetail: vscode.l10n.t('{0} free on {1}'),
    lastBackup: vscode.l10n.t('Last backup {0} ago'),
    staleBackup: vscode.l10n.t('Last backup {0} ago — take a new one'),
    noBackup: vscode.l10n.t('No backup yet'),
    problems: vscode.l10n.t('Problems'),
    noProblems: vscode.l10n.t('No problems'),
    backUp: vscode.l10n.t('Back Up'),
    restart: vscode.l10n.t('Restart'),
    openAgentFile: vscode.l10n.t('Open Agent File…'),
    showLogs: vscode.l10n.t('Show Logs'),
    actionsFor: vscode.l10n.t('Actions for {0}'),
    openAgent: vscode.l10n.t('Open a file of agent {0}'),
    working: vscode.l10n.t('Working…'),
  };
}
