import * as vscode from 'vscode';
import { toOcmError } from '../../core/errors';
import type { NodeAccess } from '../../core/node-access';
import type { NodeModel } from '../../core/node-model';
import {
  autoCompactNode,
  hasSessionRpc,
  listNodeSessions,
  runSessionAction,
  takeDueNotifications,
  type SessionAction,
  type SessionActionResult,
} from '../../core/sessions';
import { roundHours } from '../../core/sessions/predict';
import { pctLabel, type SessionUsage } from '../../core/status';
import { log } from '../log';
import type { StatusMonitor } from '../status/status-monitor';
import { isSessionsTreeNode, SessionsTreeContributor, type SessionItem } from './tree';

/**
 * The VS Code face of session care (issue 17): the Sessions group under each agent, the Compact /
 * Reset / Archive actions (modal confirmation; the transcript is captured into the local history
 * first, by core), a notification once per session when it passes the threshold or is predicted to
 * reach its window within `openclaw.sessions.warnHours`, and the opt-in auto-compaction
 * (`openclaw.sessions.autoCompactAt`) after each health check.
 */

export interface SessionsUiDeps {
  access: NodeAccess;
  model: NodeModel;
  monitor: StatusMonitor;
  home: string;
  tree: { setSessions(contributor: SessionsTreeContributor): vscode.Disposable };
}

export function registerSessionsUi(context: vscode.ExtensionContext, deps: SessionsUiDeps): SessionsTreeContributor {
  const threshold = (): number => vscode.workspace.getConfiguration('openclaw').get<number>('contextThreshold', 80);
  const contributor = new SessionsTreeContributor({
    async sessions(nodeId, agentId) {
      const { location, agents } = await deps.model.describe(nodeId);
      const transport = await deps.access.transport(nodeId);
      const listed = await listNodeSessions(
        transport,
        location,
        agents.map((a) => a.id),
        { thresholdPct: threshold(), agentId, includeSessions: false },
      );
      // The monitor's rows carry the predictions (made from recorded samples).
      const checked = deps.monitor.get(nodeId)?.sessions?.rows ?? [];
      const rows = listed.rows.map((r) => ({ ...r, ...pick(checked.find((c) => c.agentId === r.agentId && c.key === r.key)) }));
      return { rows, ...(listed.note ? { note: listed.note } : {}) };
    },
  });
  context.subscriptions.push(contributor, deps.tree.setSessions(contributor));

  /** `options.yes`: already confirmed (programmatic callers and tests; like the CLI's --yes). Resolves with the result when it ran. */
  const act = async (action: SessionAction, item: SessionItem | undefined, options: { yes?: boolean } = {}): Promise<SessionActionResult | undefined> => {
    if (!item || !isSessionsTreeNode(item) || item.kind !== 'session') return undefined;
    const { location } = await deps.model.describe(item.nodeId);
    if (!hasSessionRpc(location.version)) {
      void vscode.window.showWarningMessage(
        vscode.l10n.t(
          'OpenClaw {0} on {1} cannot {2} a session from outside (it needs 2026.9.0 or later). Manual step: send "{3}" in the session\'s chat, or upgrade OpenClaw.',
          location.version ?? '?',
          item.nodeId,
          actionWord(action),
          action === 'compact' ? '/compact' : '/new',
        ),
      );
      return undefined;
    }
    const verb = actionWord(action);
    const yes = vscode.l10n.t('{0} session', verb);
    if (!options.yes) {
      const answer = await vscode.window.showWarningMessage(
        vscode.l10n.t('{0} session {1} on {2}?', verb, item.row.key, item.nodeId),
        {
          modal: true,
          detail: vscode.l10n.t('Context now: {0}. The transcript is saved into the local history first, so nothing is lost.', pctLabel(item.row.usedPct)),
        },
        yes,
      );
      if (answer !== yes) return undefined;
    }
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('{0}: {1}…', verb, item.row.key) },
        async () =>
          runSessionAction(await deps.access.transport(item.nodeId), location, {
            nodeId: item.nodeId,
            agentId: item.agentId,
            key: item.row.key,
            action,
            home: deps.home,
            thresholdPct: threshold(),
          }),
      );
      log().info(`session ${action} ${item.nodeId} ${item.agentId} ${item.row.key}: backup ${result.backup.id}, gateway ${JSON.stringify(result.gateway)}`);
      const after = !result.after
        ? vscode.l10n.t('not listed any more')
        : result.after.usedPct === undefined
          ? vscode.l10n.t('unknown until its next turn')
          : pctLabel(result.after.usedPct);
      void vscode.window.showInformationMessage(
        vscode.l10n.t(
          'Session {0}: {1} done. Context before {2}, now {3}. Transcript saved as {4}.',
          result.key,
          verb,
          pctLabel(result.before.usedPct),
          after,
          result.backup.id,
        ),
      );
      return result;
    } catch (e) {
      void vscode.window.showErrorMessage(toOcmError(e).message);
      return undefined;
    } finally {
      void deps.monitor.refresh().then(() => contributor.refresh());
    }
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.sessions.compact', (item?: SessionItem, options?: { yes?: boolean }) => act('compact', item, options)),
    vscode.commands.registerCommand('openclaw.sessions.reset', (item?: SessionItem, options?: { yes?: boolean }) => act('reset', item, options)),
    vscode.commands.registerCommand('openclaw.sessions.archive', (item?: SessionItem, options?: { yes?: boolean }) => act('archive', item, options)),
    deps.monitor.onDidChange(() => void afterCheck(deps, threshold()).then(() => contributor.refresh())),
  );
  return contributor;
}

function pick(row: SessionUsage | undefined): Partial<SessionUsage> {
  if (!row) return {};
  return {
    ...(row.growthTokensPerHour !== undefined ? { growthTokensPerHour: row.growthTokensPerHour } : {}),
    ...(row.hoursToWindow !== undefined ? { hoursToWindow: row.hoursToWindow } : {}),
    ...(row.predictedOverflow !== undefined ? { predictedOverflow: row.predictedOverflow } : {}),
  };
}

function actionWord(action: SessionAction): string {
  return action === 'compact' ? vscode.l10n.t('Compact') : action === 'reset' ? vscode.l10n.t('Reset') : vscode.l10n.t('Archive');
}

let busy = false;

/**
 * Notifications (once per session and reason) and auto-compaction after a health check. The
 * check itself recorded the session samples and predicted overflow (StatusMonitor passes
 * `predict`), so the rows already carry the prediction.
 */
async function afterCheck(deps: SessionsUiDeps, thresholdPct: number): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    const autoAt = vscode.workspace.getConfiguration('openclaw').get<number | null>('sessions.autoCompactAt', null);
    for (const status of deps.monitor.all()) {
      const rows = status.sessions?.rows ?? [];
      if (rows.length === 0) continue;
      for (const due of await takeDueNotifications(deps.home, status.nodeId, rows)) {
        const message =
          due.reason === 'threshold'
            ? vscode.l10n.t('Session {0} on {1} uses {2} of its context window.', due.key, status.nodeId, pctLabel(due.row.usedPct))
            : vscode.l10n.t(
                'Session {0} on {1} reaches its context window in about {2} hours at the current rate.',
                due.key,
                status.nodeId,
                roundHours(due.row.hoursToWindow ?? 0),
              );
        const compact = vscode.l10n.t('Compact');
        void vscode.window.showWarningMessage(message, compact).then((choice) => {
          if (choice === compact)
            void vscode.commands.executeCommand('openclaw.sessions.compact', { kind: 'session', nodeId: status.nodeId, agentId: due.agentId, row: due.row });
        });
      }
      if (typeof autoAt === 'number' && autoAt > 0 && rows.some((r) => r.usedPct !== undefined && r.usedPct >= autoAt)) {
        const { location } = await deps.model.describe(status.nodeId);
        const outcomes = await autoCompactNode(await deps.access.transport(status.nodeId), location, rows, {
          home: deps.home,
          nodeId: status.nodeId,
          pct: autoAt,
          thresholdPct,
        });
        for (const o of outcomes) {
          log().info(
            `auto-compact ${status.nodeId} ${o.agentId} ${o.key} at ${o.usedPct}%: ${o.status}${o.result ? ` (backup ${o.result.backup.id})` : ''}${o.error ? `: ${o.error}` : ''}`,
          );
          if (o.status === 'compacted')
            void vscode.window.showInformationMessage(
              vscode.l10n.t('Auto-compacted session {0} on {1} ({2}); its transcript was saved first.', o.key, status.nodeId, pctLabel(o.usedPct)),
            );
          else if (o.status === 'failed')
            void vscode.window.showWarningMessage(vscode.l10n.t('Auto-compaction of session {0} on {1} failed: {2}', o.key, status.nodeId, o.error ?? ''));
        }
      }
    }
  } catch (e) {
    log().warn(`session care after a check: ${toOcmError(e).message}`);
  } finally {
    busy = false;
  }
}
