/** The mix-up guard: fingerprints of every agent's memory, kept locally, checked before a save. */
export { buildFingerprintIndex, type BuildParams, type GuardRoster } from './build';
export { checkMixup, OVERLAP_MIN, type MixupFinding, type MixupTarget, type MixupVerdict } from './check';
export {
  guardIndexPath,
  loadIndex,
  saveIndex,
  emptyIndex,
  buildPostings,
  type FingerprintIndex,
  type IndexedAgent,
  type IndexedFile,
} from './fingerprint-index';
export { identityName } from './identity';
export { MixupGuard, guardedTarget, describeFinding, lineRanges, mixupError, isMixupError } from './guard';
export { shingleSet, tokenize } from './shingles';
