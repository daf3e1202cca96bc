import { OcmError, toOcmError } from '../errors';
import { printableText } from '../terminal-text';
import type { ApplyProgress, StepReport } from './types';

/**
 * Apply = a sequence of steps, each returning how to undo what it did. A failed step (or a cancel)
 * undoes the completed steps in reverse order, so the node ends as it was. Undo functions must be
 * idempotent and robust to a half-done step (they run after a dropped connection, over a new one).
 */
export interface Step {
  id: string;
  description: string;
  /**
   * Does the work. Returns the undo (or undefined when there is nothing to undo) and, optionally,
   * a note for the report. A step that fails half-way must clean up after itself or throw an
   * OcmError with `details.undo` set to the undo of what it did.
   */
  run(signal: AbortSignal | undefined): Promise<StepOutcome | void>;
}

export interface StepOutcome {
  undo?: () => Promise<void>;
  note?: string;
}

export interface RunStepsOptions {
  signal?: AbortSignal;
  onProgress?: (p: ApplyProgress) => void;
}

export interface RunStepsResult {
  ok: boolean;
  reports: StepReport[];
  error?: OcmError;
  failedStep?: string;
  rolledBack: boolean;
  rollbackErrors: string[];
  notes: string[];
}

/** Runs steps in order; on the first failure undoes the completed ones (newest first). */
export async function runSteps(steps: readonly Step[], options: RunStepsOptions = {}): Promise<RunStepsResult> {
  const reports: StepReport[] = [];
  const undos: Array<{ index: number; undo: () => Promise<void> }> = [];
  const notes: string[] = [];
  let failure: OcmError | undefined;
  let failedStep: string | undefined;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    if (options.signal?.aborted) {
      failure = new OcmError('cancelled', `Cancelled before "${step.description}"; what was done so far is being undone.`);
      failedStep = step.id;
      break;
    }
    options.onProgress?.({ phase: 'step', stepId: step.id, description: step.description, index: i, total: steps.length });
    const started = Date.now();
    try {
      const outcome = (await step.run(options.signal)) ?? {};
      // Notes may quote a node's output (doctor): printable only.
      if (outcome.note) outcome.note = printableText(outcome.note);
      reports.push({
        id: step.id,
        description: step.description,
        status: 'done',
        durationMs: Date.now() - started,
        ...(outcome.note ? { note: outcome.note } : {}),
      });
      if (outcome.note) notes.push(outcome.note);
      if (outcome.undo) undos.push({ index: reports.length - 1, undo: outcome.undo });
    } catch (e) {
      failure = toOcmError(e);
      failedStep = step.id;
      reports.push({ id: step.id, description: step.description, status: 'failed', durationMs: Date.now() - started, error: failure.message });
      // A step that failed half-way may hand over the undo of its partial work.
      const partialUndo = failure.details.undo;
      if (typeof partialUndo === 'function') undos.push({ index: reports.length - 1, undo: partialUndo as () => Promise<void> });
      break;
    }
  }
  if (!failure) return { ok: true, reports, rolledBack: false, rollbackErrors: [], notes };

  const rollbackErrors: string[] = [];
  for (const { index, undo } of undos.reverse()) {
    const report = reports[index]!;
    options.onProgress?.({ phase: 'rollback', stepId: report.id, description: report.description });
    try {
      await undo();
      if (report.status === 'done') report.status = 'undone';
    } catch (e) {
      const err = toOcmError(e);
      report.status = 'undoFailed';
      report.error = report.error ? `${report.error}; undo failed: ${err.message}` : `undo failed: ${err.message}`;
      rollbackErrors.push(`Undoing "${report.description}" failed: ${err.message}`);
    }
  }
  return { ok: false, reports, error: failure, failedStep, rolledBack: rollbackErrors.length === 0, rollbackErrors, notes };
}
