import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { failedMarkerFor } from '../../src/cli/keeper/protocol';
import { startKeeper } from '../../src/cli/keeper/server';

/**
 * Two keepers started together (issue 14.11): the one that loses the race to listen must not
 * leave the `.failed` marker (it kept every later command from a keeper for an hour); a keeper
 * that really cannot listen still leaves it.
 */
describe('keeper start race', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ocm-keeper-race-'));
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const noRun = async (): Promise<number> => 0;

  it('the loser of a start race (the other keeper listens first) leaves no .failed marker', async () => {
    const socketPath = join(dir, 'run', 'keeper-race.sock');
    // The other keeper wins between our "path is free" check and our listen.
    const beforeListen = () =>
      new Promise<void>((resolve) => {
        const winner = createServer((c) => c.end());
        servers.push(winner);
        winner.listen(socketPath, () => resolve());
      });
    const outcome = await startKeeper(socketPath, 60_000, noRun, { beforeListen });
    assert.equal(outcome, 'another');
    assert.equal(existsSync(failedMarkerFor(socketPath)), false, 'no stale marker');
  });

  it('a keeper that cannot listen at all still leaves the marker', async () => {
    const socketPath = join(dir, 'run2', 'keeper-fail.sock');
    const beforeListen = async () => {
      // Something that is not a socket and answers nothing takes the path.
      rmSync(socketPath, { force: true });
      mkdirSync(socketPath);
    };
    const outcome = await startKeeper(socketPath, 60_000, noRun, { beforeListen });
    assert.equal(outcome, 'failed');
    assert.equal(existsSync(failedMarkerFor(socketPath)), true);
  });
});
