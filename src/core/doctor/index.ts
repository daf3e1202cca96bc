/** ocm doctor: one report for the fleet — gather (status + one exec per node) → pure checks → findings with fixes. */
export * from './types';
export { doctorReport } from './aggregate';
export { gatherFleet, bootstrapLimit, buildExtrasScript, parseExtras, tokenDigest, DEFAULT_BOOTSTRAP_MAX_CHARS, type GatherOptions } from './gather';
export { DEFAULT_BACKUP_MAX_AGE_MS } from './checks/backups';
export { runDoctor, type RunDoctorParams } from './run';
export { findingText, severityText, doctorMarkdown, type Translator } from './text';
