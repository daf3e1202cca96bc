import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { scratchDir } from '../../../src/core/repository/capture-script';

/** Runs scratchDir's lines in sh and returns the folder they made (removed again). */
function made(databaseBytes: number, prelude: string[] = []): string {
  const script = [...prelude, ...scratchDir(databaseBytes), 'printf %s "$T"', 'rmdir "$T"'].join('\n');
  return execFileSync('sh', ['-c', script], { encoding: 'utf8' });
}

describe('capture scratch folder', () => {
  it('puts database copies in /dev/shm when it has ample room, owner-only', () => {
    const dir = execFileSync('sh', ['-c', [...scratchDir(1024 * 1024), 'printf %s "$T"'].join('\n')], { encoding: 'utf8' });
    try {
      if (existsSync('/dev/shm')) assert.match(dir, /^\/dev\/shm\/ocm-backup\./);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
    } finally {
      execFileSync('rmdir', [dir]);
    }
  });

  it('uses /tmp without databases, when /dev/shm lacks room, and when df cannot tell', () => {
    assert.match(made(0), /^\/tmp\/ocm-backup\./);
    assert.match(made(Number.MAX_SAFE_INTEGER / 16), /^\/tmp\/ocm-backup\./);
    assert.match(made(1024 * 1024, ['df() { return 1; }']), /^\/tmp\/ocm-backup\./);
    assert.match(made(1024 * 1024, ["df() { echo 'Filesystem 1024-blocks Used Available'; echo 'tmpfs x y n/a'; }"]), /^\/tmp\/ocm-backup\./);
  });
});
