/**
 * Migrate a node's OpenClaw to another registered node: `planMigration` (read-only, the preview)
 * then `applyMigration` (fresh source backup, staged on the target, swapped in, checked, rolled
 * back on failure). The config adaptation is the pure `rewriteConfig` (./config-rewrite).
 */
export {
  planMigration,
  assertTargetVersion,
  expandNodePath,
  migrationRoots,
  mapRoots,
  BACKUP_RESTORE_MIN_VERSION,
  type MigrationPlan,
  type MigrationEndpoint,
  type MigrationAgent,
  type MigrationConfigFile,
  type MigrationSide,
  type PlanMigrationParams,
} from './migrate-plan';
export {
  applyMigration,
  migratedLocation,
  DEFAULT_MIGRATE_READY_TIMEOUT_MS,
  type ApplyMigrationParams,
  type MigrationResult,
  type MigrateProgress,
} from './migrate-apply';
export { rewriteConfig, mapPath, flagExternalSymlinks, type PathMapping, type RewrittenConfigFile, type SymlinkFlag } from './config-rewrite';
export { redactedPlan, migrationConfigDiff } from './migrate-view';
