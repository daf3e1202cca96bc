/** Backups: engines → store (archive + index) · verify · diff · retention. No `vscode` here. */
export { DEFAULT_ARCHIVE_LIMITS, scanArchive, type ArchiveLimits, type ArchiveScan } from './archive-scan';
export { backupNode, chooseEngine, type BackupNodeParams, type BackupNodeResult, type EngineChoice } from './backup-node';
export { addLineCounts, countLines, diffBackups, diffEntries, unifiedDiff, type BackupDiff, type ChangedFile, type DiffFile } from './diff';
export { excludedReason } from './exclusions';
export { backupRoots, diffBackupWithLive, hashLiveFiles, liveReader } from './live-diff';
export { archiveRootName, type OpenClawManifest } from './manifest';
export { compareOpenclawVersions, hasNativeBackup, NATIVE_BACKUP_MIN_VERSION, runNativeEngine, type OpenclawCommand } from './native-engine';
export { readArchiveFile, readArchiveFiles } from './read-entry';
export { BackupStore, backupStoreFor, defaultBackupRoot, indexEntryOf, summaryOf, type BackupSummary, type PruneResult } from './store';
export { LegacyStore, readIndexFile, serializeIndex } from './legacy-store';
export * from './types';
export { verifyArchive, type VerifyResult } from './verify';
export { backupSourcesFromLocation, openclawCommandFromLocation } from './sources';
