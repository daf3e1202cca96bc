/** Bulk apply with preview and one undo (issue 15): see each module. */
export { parseSelector, nodesForSelector, targetsOnNode, type SelectorItem, type AgentTarget } from './selector';
export {
  replaceSection,
  appendLines,
  findHeadings,
  parseHeadingQuery,
  splitLines,
  dominantEol,
  type HeadingMatch,
  type HeadingQuery,
  type SectionResult,
} from './markdown-section';
export { planBulkApply, computeResult, checkFileName, planCounts, type NodeReach } from './plan';
export { guardPlan, flaggedFiles, refuseFlagged, isBulkMixupError, BULK_MIXUP_DETAIL } from './guard-plan';
export { applyBulkPlan, putBack, type ApplyOptions, type ApplyOutcome, type ApplyProgress } from './apply';
export { inspectUndo, undoBatch, type UndoCheck, type UndoOutcome, type UndoState } from './undo';
export { listBatches, lastUndoableBatch, bulkRoot } from './batch-store';
export { resolveTargets } from './targets';
export type { BulkChange, BulkPlan, PlannedFile, BlockReason, BatchFile, BatchRecord, BatchStatus } from './types';
