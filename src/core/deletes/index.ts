/** Deletes that never destroy (issue 15): keep, then delete; Recently Deleted; restore. */
export { whatBreaks, workspaceAgentOf, type Consequence, type ConsequenceCode, type NodeLayout } from './consequences';
export { deleteWithHistory, renameWithHistory, captureForDelete, DEFAULT_MAX_FOLDER_BYTES, DEFAULT_MAX_FOLDER_FILES, type DeleteOptions } from './delete';
export { listDeleted, findDeleted, type DeletedEntry, type DeletedFile } from './trash-store';
export { restoreDeleted, type PathGuard } from './undelete';
export { layoutOf } from './layout';
