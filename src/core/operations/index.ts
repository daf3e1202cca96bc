/** Operations (restore, restart, migrate): plan → preview → safety backup → apply steps → rollback. */
export * from './types';
export { runSteps, type Step, type StepOutcome, type RunStepsOptions, type RunStepsResult } from './steps';
export {
  applyOperation,
  takeSafetyBackup,
  readPlannedBefore,
  readPlannedAfter,
  withPartialUndo,
  type ApplyOperationParams,
  type SafetyBackupParams,
} from './operation';
export {
  openclawCommand,
  runOpenclaw,
  supervisorName,
  gatewayLogPath,
  defaultStartCommand,
  gatewayListenerPids,
  parseStatusListenerPids,
  gatewayListening,
  stopGateway,
  startGateway,
  waitForReady,
  configuredLogFile,
  gatewayLogTail,
  type GatewayTarget,
  type StopResult,
  type StartResult,
  type ReadyResult,
} from './gateway';
export { restartGateway, planRestart, DEFAULT_RESTART_TIMEOUT_MS, type RestartParams, type RestartResult } from './restart';
export { planRestore, applyRestore, resolveRestorePath, type RestoreScope, type RestorePlan, type PlanRestoreParams, type ApplyRestoreParams } from './restore';
export { stateSwapSteps, ROLLBACK_READY_TIMEOUT_MS, type StateSwapParams, type StateSwapPaths } from './state-swap';
export {
  planMigration,
  applyMigration,
  redactedPlan,
  migrationConfigDiff,
  rewriteConfig,
  type MigrationPlan,
  type MigrationResult,
  type MigrationConfigFile,
  type ApplyMigrationParams,
  type PlanMigrationParams,
  type MigrateProgress,
} from './migrate';
