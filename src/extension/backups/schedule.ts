import * as vscode from 'vscode';
import { toOcmError } from '../../core/errors';
import type { RetentionPolicy } from '../../core/repository/retention';
import type { BackupUiDeps } from './deps';
import { backupOneNode } from './run-backup';

/**
 * Scheduled backups while VS Code runs (`openclaw.backup.schedule`: off | hourly | daily | minutes).
 * Activation only arms a timer; the first run happens one interval after the last run (remembered
 * across restarts), never at start-up. After each run, the retention settings (`openclaw.backup.keep`,
 * `keepHourly`, `keepDaily`, `keepWeekly`, `keepMonthly`) prune old snapshots.
 */

const LAST_RUN_KEY = 'openclaw.backup.lastScheduledRun';
const MIN_DELAY_MS = 60_000;

/** Interval in ms for a schedule setting; undefined = off (or not understood). */
export function scheduleIntervalMs(setting: unknown): number | undefined {
  const value = typeof setting === 'number' ? String(setting) : typeof setting === 'string' ? setting.trim().toLowerCase() : '';
  if (value === 'hourly') return 3_600_000;
  if (value === 'daily') return 86_400_000;
  if (/^[1-9][0-9]*$/.test(value)) return Number(value) * 60_000;
  return undefined;
}

export interface ScheduleSettings {
  schedule: unknown;
  /** Newest backups kept per node after a scheduled run (pinned ones always stay); 0 = keep all. */
  keep: number;
  /** The newest backup of each of the last N hours / days / weeks / months (0 = no such rule). */
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
}

function readSettings(): ScheduleSettings {
  const config = vscode.workspace.getConfiguration('openclaw.backup');
  const n = (key: string): number => config.get<number>(key) ?? 0;
  return {
    schedule: config.get('schedule'),
    keep: n('keep'),
    keepHourly: n('keepHourly'),
    keepDaily: n('keepDaily'),
    keepWeekly: n('keepWeekly'),
    keepMonthly: n('keepMonthly'),
  };
}

/** The settings as a retention policy; undefined when they keep everything (every rule 0). */
export function retentionFromSettings(s: ScheduleSettings): RetentionPolicy | undefined {
  const rules: Array<[keyof RetentionPolicy, number | undefined]> = [
    ['last', s.keep],
    ['hourly', s.keepHourly],
    ['daily', s.keepDaily],
    ['weekly', s.keepWeekly],
    ['monthly', s.keepMonthly],
  ];
  const policy: RetentionPolicy = {};
  for (const [k, v] of rules) if (Number.isInteger(v) && v! > 0) policy[k] = v;
  return Object.keys(policy).length ? policy : undefined;
}

export class BackupScheduler implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly subscription: vscode.Disposable;
  /** When the armed timer fires (ms since epoch); undefined when the schedule is off. */
  nextRunAt: number | undefined;

  constructor(
    private readonly deps: BackupUiDeps,
    private readonly state: vscode.Memento,
    private readonly settings: () => ScheduleSettings = readSettings,
  ) {
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('openclaw.backup')) this.arm();
    });
    this.arm();
  }

  /** (Re)sets the timer from the settings; no I/O besides reading the remembered last run. */
  arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.nextRunAt = undefined;
    const interval = scheduleIntervalMs(this.settings().schedule);
    if (interval === undefined) return;
    const last = this.state.get<number>(LAST_RUN_KEY) ?? Date.now();
    const delay = Math.min(Math.max(last + interval - Date.now(), MIN_DELAY_MS), 2_147_000_000);
    this.nextRunAt = Date.now() + delay;
    this.timer = setTimeout(() => void this.runNow().finally(() => this.arm()), delay);
  }

  /** One scheduled round: every active node, then retention. Failures are logged, not thrown. */
  async runNow(): Promise<{ backedUp: string[]; failed: string[]; pruned: number }> {
    const outcome = { backedUp: [] as string[], failed: [] as string[], pruned: 0 };
    if (this.running) return outcome;
    this.running = true;
    try {
      await this.state.update(LAST_RUN_KEY, Date.now());
      const nodes = (await this.deps.registry.list()).filter((n) => n.status === 'active');
      for (const node of nodes) {
        try {
          await backupOneNode(node, { store: this.deps.catalog.store, connector: this.deps.connector });
          outcome.backedUp.push(node.id);
        } catch (e) {
          outcome.failed.push(node.id);
          this.deps.log?.(`Scheduled backup of ${node.id} failed: ${toOcmError(e).message}`);
        }
      }
      const policy = retentionFromSettings(this.settings());
      if (policy) {
        for (const nodeId of outcome.backedUp) outcome.pruned += (await this.deps.catalog.store.prune({ policy, nodeId })).removed.length;
      }
      this.deps.backupsTree.refresh();
      if (outcome.failed.length > 0) {
        void vscode.window.showWarningMessage(vscode.l10n.t('Scheduled backup failed for: {0}. See the OpenClaw Manager log.', outcome.failed.join(', ')));
      }
    } catch (e) {
      this.deps.log?.(`Scheduled backups could not run: ${toOcmError(e).message}`);
    } finally {
      this.running = false;
    }
    return outcome;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subscription.dispose();
  }
}
