import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { findVersion, lineStats, mergeObservations, type Observation, type VersionSourceKind } from '../../../src/core/timeline';

/** The timeline's merge (pure): sightings in time order → versions, deduplicated by content, each with its origin. */
const T = Date.parse('2026-11-01T00:00:00Z');
let id = 0;
function seen(sha: string, minute: number, kind: VersionSourceKind, via?: 'vscode' | 'cli'): Observation {
  const source =
    kind === 'snapshot'
      ? { kind, timeMs: T + minute * 60_000, snapshotId: `s${++id}` }
      : { kind, timeMs: T + minute * 60_000, historyId: `n/0123456789abcdef/h${++id}`, ...(via ? { via } : {}) };
  return { sha256: sha.repeat(64).slice(0, 64), size: 10, source };
}

describe('mergeObservations', () => {
  it('one version per content run, newest last, sources kept; a save seen by the next backup is one version', () => {
    const v = mergeObservations([
      seen('a', 0, 'snapshot'),
      seen('a', 5, 'pre-edit'),
      seen('b', 5, 'saved', 'vscode'),
      seen('b', 60, 'snapshot'),
      seen('b', 120, 'snapshot'),
    ]);
    assert.deepEqual(
      v.map((x) => [x.n, x.sha256[0], x.origin, x.sources.length]),
      [
        [1, 'a', 'snapshot', 2],
        [2, 'b', 'saved', 3],
      ],
    );
    assert.equal(v[1]!.via, 'vscode');
    assert.equal(v[1]!.lastSeenMs, T + 120 * 60_000);
  });

  it('content that appears in a backup but was never saved by ocm is a change by the agent', () => {
    const v = mergeObservations([seen('a', 0, 'snapshot'), seen('b', 60, 'snapshot'), seen('c', 70, 'saved', 'cli'), seen('d', 120, 'snapshot')]);
    assert.deepEqual(
      v.map((x) => x.origin),
      ['snapshot', 'agent', 'saved', 'agent'],
    );
  });

  it('content found only right before a save is marked pre-edit (written outside ocm, noticed at save time)', () => {
    const v = mergeObservations([seen('a', 0, 'saved'), seen('x', 30, 'pre-edit'), seen('b', 30, 'saved'), seen('y', 40, 'changed-during-save')]);
    assert.deepEqual(
      v.map((x) => [x.sha256[0], x.origin]),
      [
        ['a', 'saved'],
        ['x', 'pre-edit'],
        ['b', 'saved'],
        ['y', 'pre-edit'],
      ],
    );
  });

  it('a copy taken before a write sorts before that write at the same instant, whatever the input order', () => {
    const v = mergeObservations([seen('b', 5, 'saved'), seen('a', 5, 'pre-edit'), seen('a', 0, 'snapshot')]);
    assert.deepEqual(
      v.map((x) => x.sha256[0]),
      ['a', 'b'],
    );
  });

  it('the same bytes coming back (a restore) are a new version marked sameAs the first', () => {
    const v = mergeObservations([seen('a', 0, 'snapshot'), seen('b', 10, 'saved'), seen('b', 20, 'pre-restore'), seen('a', 20, 'saved')]);
    assert.deepEqual(
      v.map((x) => [x.n, x.sha256[0], x.sameAs]),
      [
        [1, 'a', undefined],
        [2, 'b', undefined],
        [3, 'a', 1],
      ],
    );
  });

  it('findVersion by number, #number, latest and sha256 prefix; unknown refs say how to list', () => {
    const versions = mergeObservations([seen('a', 0, 'snapshot'), seen('b', 10, 'saved')]).reverse();
    const tl = { nodeId: 'n', remotePath: '/w/MEMORY.md', versions };
    assert.equal(findVersion(tl, '1').sha256[0], 'a');
    assert.equal(findVersion(tl, '#2').sha256[0], 'b');
    assert.equal(findVersion(tl, 'latest').n, 2);
    assert.equal(findVersion(tl, 'aaaaaa').n, 1);
    assert.throws(() => findVersion(tl, '7'), /ocm timeline n \/w\/MEMORY\.md/);
  });
});

describe('lineStats', () => {
  it('counts added and removed lines', () => {
    assert.deepEqual(lineStats('a\nb\nc\n', 'a\nb\nc\nd\n'), { added: 1, removed: 0 });
    assert.deepEqual(lineStats('a\nb\nc\n', 'a\nc\n'), { added: 0, removed: 1 });
    assert.deepEqual(lineStats('a\nb\nc\n', 'a\nB\nc\n'), { added: 1, removed: 1 });
    assert.deepEqual(lineStats('', 'x\ny\n'), { added: 2, removed: 0 });
    assert.deepEqual(lineStats('same\n', 'same\n'), { added: 0, removed: 0 });
    assert.deepEqual(lineStats('h\n1\n2\n3\nt\n', 'h\n3\n1\n2\nt\n'), { added: 1, removed: 1 });
  });
});
