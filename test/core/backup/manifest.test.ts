import { strict as assert } from 'node:assert';
import { posix } from 'node:path';
import { describe, it } from 'node:test';
import { excludedReason } from '../../../src/core/backup/exclusions';
import { isWithin, relativeWithin } from '../../../src/core/backup/manifest';

/** The prefix fast path of "is this path inside that folder" agrees with posix.relative everywhere. */

function slow(child: string, parent: string): string | undefined {
  const rel = posix.relative(parent, child);
  return rel === '' || (!rel.startsWith('../') && rel !== '..' && !posix.isAbsolute(rel)) ? rel : undefined;
}

describe('relativeWithin / isWithin', () => {
  it('agrees with posix.relative on plain, odd and hostile paths', () => {
    const paths = [
      '/',
      '/a',
      '/a/b',
      '/a/bc',
      '/ab',
      '/a/b/c',
      '/a/./b',
      '/a/../a/b',
      '/a//b',
      '/a/b/',
      'a/b',
      '/..',
      '/a/..b',
      '/a/.b',
      '/a/b..',
      '/home/u/.openclaw',
      '/home/u/.openclaw-old/x',
      '/home/u/.openclaw/workspace/MEMORY.md',
    ];
    for (const child of paths) {
      for (const parent of paths) {
        assert.equal(relativeWithin(child, parent), slow(child, parent), `${child} in ${parent}`);
        assert.equal(isWithin(child, parent), slow(child, parent) !== undefined);
      }
    }
  });
});

describe('excludedReason: OpenClaw transient SQLite files', () => {
  it('leaves out the memory reindex/generation locks and temporary copies, keeps the databases', () => {
    const ctx = { stateDir: '/h/.openclaw', includeTranscripts: false };
    const agent = '/h/.openclaw/agents/main/agent';
    for (const name of [
      'openclaw-agent.sqlite.reindex-lock.sqlite',
      'openclaw-agent.sqlite.reindex-lock.sqlite-wal',
      'x.sqlite.generation-lock.sqlite',
      'x.sqlite.generation-writer.sqlite-journal',
      'x.sqlite.memory-reindex-0f8fad5b-d9cb-469f-a165-70867728950e',
      'x.sqlite.tmp-0f8fad5b-d9cb-469f-a165-70867728950e-shm',
    ]) {
      assert.equal(excludedReason(`${agent}/${name}`, ctx), 'volatile', name);
    }
    assert.equal(excludedReason(`${agent}/openclaw-agent.sqlite`, ctx), undefined);
    assert.equal(excludedReason('/h/.openclaw/state/openclaw.sqlite', ctx), undefined);
  });
});
