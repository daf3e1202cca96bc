import { strict as assert } from 'node:assert';
import { posix } from 'node:path';
import { describe, it } from 'node:test';
import { isWithin, relativeWithin } from '../../../src/core/backup/manifest';

/** The prefix fast path of "is this path inside that folder" agrees with posix.relative everywhere. */

function slow(child: string, parent: string): string | undefined {
  const rel = posix.relative(parent, child);
  return rel === '' || (!rel.startsWith('../') && rel !== '..' && !posix.isAbsolute(rel)) ? rel : undefined;
}

describe('relativeWithin / isWithin', () => {
  it('agrees with posix.relative on plain, odd and hostile paths', () => {
    const paths = ['/', '/a', '/a/b', '/a/bc', '/ab', '/a/b/c', '/a/./b', '/a/../a/b', '/a//b', '/a/b/', 'a/b', '/..', '/a/..b', '/a/.b', '/a/b..', '/home/u/.openclaw', '/home/u/.openclaw-old/x', '/home/u/.openclaw/workspace/MEMORY.md'];
    for (const child of paths) {
      for (const parent of paths) {
        assert.equal(relativeWithin(child, parent), slow(child, parent), `${child} in ${parent}`);
        assert.equal(isWithin(child, parent), slow(child, parent) !== undefined);
      }
    }
  });
});
