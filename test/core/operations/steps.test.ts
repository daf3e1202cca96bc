import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OcmError } from '../../../src/core/errors';
import { applyOperation, runSteps, withPartialUndo, type OperationPlan, type Step } from '../../../src/core/operations';

/** The apply machinery: steps in order, undo of the completed ones in reverse on a failure. */

function recorder() {
  const log: string[] = [];
  const step = (id: string, options: { fail?: boolean; undoFails?: boolean; noUndo?: boolean; partial?: boolean } = {}): Step => ({
    id,
    description: `step ${id}`,
    run: async () => {
      log.push(`run ${id}`);
      if (options.partial) throw withPartialUndo(new OcmError('disconnected', `${id} lost the connection`), async () => void log.push(`partial-undo ${id}`));
      if (options.fail) throw new OcmError('failed', `${id} failed`);
      if (options.noUndo) return {};
      return {
        undo: async () => {
          log.push(`undo ${id}`);
          if (options.undoFails) throw new OcmError('failed', `undo ${id} failed`);
        },
        note: `${id} note`,
      };
    },
  });
  return { log, step };
}

const plan: OperationPlan = {
  operation: 'restore',
  nodeId: 'n',
  createdAt: '',
  summary: 's',
  files: [],
  unchanged: 0,
  configRewrites: [],
  steps: [],
  source: { kind: 'none' },
  warnings: [],
};

describe('runSteps', () => {
  it('runs every step in order and collects notes', async () => {
    const { log, step } = recorder();
    const r = await runSteps([step('a'), step('b'), step('c', { noUndo: true })]);
    assert.equal(r.ok, true);
    assert.deepEqual(log, ['run a', 'run b', 'run c']);
    assert.deepEqual(
      r.reports.map((s) => s.status),
      ['done', 'done', 'done'],
    );
    assert.deepEqual(r.notes, ['a note', 'b note']);
  });

  it('a failed step undoes the completed ones newest first, and stops there', async () => {
    const { log, step } = recorder();
    const r = await runSteps([step('a'), step('b', { noUndo: true }), step('c'), step('d', { fail: true }), step('e')]);
    assert.equal(r.ok, false);
    assert.equal(r.failedStep, 'd');
    assert.equal(r.error?.message, 'd failed');
    assert.deepEqual(log, ['run a', 'run b', 'run c', 'run d', 'undo c', 'undo a']);
    assert.deepEqual(
      r.reports.map((s) => s.status),
      ['undone', 'done', 'undone', 'failed'],
    );
    assert.equal(r.rolledBack, true);
  });

  it('a step failing half-way hands over the undo of its partial work', async () => {
    const { log, step } = recorder();
    const r = await runSteps([step('a'), step('b', { partial: true })]);
    assert.deepEqual(log, ['run a', 'run b', 'partial-undo b', 'undo a']);
    assert.equal(r.error?.kind, 'disconnected');
    assert.equal(r.rolledBack, true);
  });

  it('an undo that fails is reported and the rollback goes on with the others', async () => {
    const { log, step } = recorder();
    const r = await runSteps([step('a'), step('b', { undoFails: true }), step('c', { fail: true })]);
    assert.deepEqual(log, ['run a', 'run b', 'run c', 'undo b', 'undo a']);
    assert.equal(r.rolledBack, false);
    assert.equal(r.rollbackErrors.length, 1);
    assert.match(r.rollbackErrors[0]!, /step b.*undo b failed/);
    assert.equal(r.reports[1]!.status, 'undoFailed');
  });

  it('a cancel between steps rolls back what was done', async () => {
    const { log, step } = recorder();
    const ac = new AbortController();
    const cancelling: Step = { id: 'x', description: 'cancels', run: async () => void ac.abort() };
    const r = await runSteps([step('a'), cancelling, step('b')], { signal: ac.signal });
    assert.equal(r.error?.kind, 'cancelled');
    assert.deepEqual(log, ['run a', 'undo a']);
  });
});

describe('applyOperation', () => {
  it('takes the safety backup before any step', async () => {
    const { log, step } = recorder();
    const r = await applyOperation({
      plan,
      steps: [step('a')],
      safetyBackup: async () => {
        log.push('safety');
        return { nodeId: 'n', backupId: 'b1', repositoryRoot: '/x/repository', engine: 'ocm' };
      },
      cleanup: async (ok) => void log.push(`cleanup ${ok}`),
    });
    assert.equal(r.ok, true);
    assert.deepEqual(log, ['safety', 'run a', 'cleanup true']);
    assert.equal(r.safetyBackup?.backupId, 'b1');
  });

  it('no step runs when the safety backup fails', async () => {
    const { log, step } = recorder();
    const r = await applyOperation({ plan, steps: [step('a')], safetyBackup: async () => Promise.reject(new OcmError('disconnected', 'gone')) });
    assert.equal(r.ok, false);
    assert.equal(r.error?.step, 'safetyBackup');
    assert.deepEqual(log, []);
  });

  it('a failed rollback says where the safety backup is', async () => {
    const { step } = recorder();
    const r = await applyOperation({
      plan,
      steps: [step('a', { undoFails: true }), step('b', { fail: true })],
      safetyBackup: async () => ({ nodeId: 'n', backupId: 'b1', repositoryRoot: '/x/repository', engine: 'ocm' }),
    });
    assert.equal(r.rolledBack, false);
    assert.ok(
      r.notes.some((n) => n.includes('n/b1')),
      r.notes.join('\n'),
    );
  });
});
