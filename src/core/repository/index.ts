/** The backup repository: objects · packs · index · snapshots · locks; capture, check, prune, export, import. No `vscode` here. */
export { captureSnapshot, type CaptureParams, type CaptureResult, type CaptureStats } from './capture';
export { checkRepository, type CheckProblem, type CheckResult } from './check';
export { exportSnapshot, type ExportResult } from './export';
export * from './format';
export { importArchive, type ImportOptions } from './import';
export { importLegacyStore, type LegacyImportReport } from './legacy';
export { listLocks } from './lock';
export { pruneRepository, type PruneReport } from './prune';
export { defaultRepositoryRoot, Repository } from './repository';
export { applyRetention, hasPolicy, type RetentionPolicy } from './retention';
export { verifySnapshot, type SnapshotVerifyResult } from './verify-snapshot';
