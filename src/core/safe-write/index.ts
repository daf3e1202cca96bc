export { safeWrite, COMMENTS_WARNING } from './safe-write';
export { readForEdit } from './read-for-edit';
export { restoreHistoryEntry, type RestoreOptions } from './restore';
export { fileKindFor } from './file-kind';
export { validateWithOpenclaw, type OpenclawVerdict } from './openclaw-validate';
export type { ExpectedRemote, FileKind, OpenclawValidator, ReadForEditResult, SafeWriteOptions, SafeWriteResult } from './types';
export { validatorForNode, validatorFromLocation } from './validator-for-node';
export { snapshotRemote, type RemoteSnapshot } from './remote-snapshot';
