/**
 * The demo's pid file: stop signals exactly the recorded processes that are still the same
 * process (kernel start time), also a whole process group; an entry whose pid now belongs to
 * another process (a reused pid after a crash) is never signalled, only dropped.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { processStartTime, readPidFile, recordProcess, stillOurs, stopRecorded, stopRecordedNow } from '../../../src/core/demo/processes';

const dir = mkdtempSync(join(tmpdir(), 'ocm-demo-pids-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleeper(detached: boolean): number {
  const child = spawn('sh', ['-c', 'sleep 120 & sleep 120; wait'], { detached, stdio: 'ignore' });
  child.unref();
  return child.pid!;
}

test('record + stop: the process (and its group) is gone, the file is empty', async () => {
  const file = join(dir, 'a.json');
  const pid = sleeper(true);
  const entry = await recordProcess(file, { pid, kind: 'gateway', nodeId: 'demo-a' });
  assert.ok(entry && entry.startTime === (await processStartTime(pid)));
  assert.equal(await stillOurs(entry!), true);
  const report = await stopRecorded(file, { graceMs: 5_000 });
  assert.deepEqual(
    report.stopped.map((p) => p.pid),
    [pid],
  );
  assert.equal(alive(pid), false);
  assert.deepEqual(await readPidFile(file), []);
});

test('a pid that belongs to another process now (start time differs) is left alone and dropped', async () => {
  const file = join(dir, 'b.json');
  const pid = sleeper(true);
  try {
    writeFileSync(file, JSON.stringify([{ pid, startTime: '1', kind: 'gateway', nodeId: 'demo-a', startedAt: new Date().toISOString() }]));
    const report = await stopRecorded(file, { graceMs: 1_000 });
    assert.deepEqual(
      report.notOurs.map((p) => p.pid),
      [pid],
    );
    assert.equal(alive(pid), true, 'a foreign process must not be signalled');
    assert.deepEqual(await readPidFile(file), []);
    writeFileSync(file, JSON.stringify([{ pid, startTime: '1', kind: 'gateway', startedAt: '' }]));
    assert.equal(stopRecordedNow(file), 0);
    assert.equal(alive(pid), true);
  } finally {
    process.kill(-pid, 'SIGKILL');
  }
});

test('a gone pid and a torn pid file are not errors', async () => {
  const file = join(dir, 'c.json');
  writeFileSync(file, '[{"pid": 12');
  assert.deepEqual(await readPidFile(file), []);
  assert.equal(await recordProcess(file, { pid: 2 ** 22 + 7, kind: 'memory-agent' }), undefined);
  const report = await stopRecorded(join(dir, 'missing.json'));
  assert.deepEqual(report, { stopped: [], killed: [], notOurs: [] });
});

test('stopRecordedNow signals ours at once, without waiting', async () => {
  const file = join(dir, 'd.json');
  const pid = sleeper(true);
  await recordProcess(file, { pid, kind: 'memory-agent' });
  assert.equal(stopRecordedNow(file), 1);
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(alive(pid), false);
});

test('a process that does not lead its group is stopped with the rest of its (recorded) group', async () => {
  const file = join(dir, 'e.json');
  // A group leader (like the `setsid sh -c` of ocm's start command) whose child is the recorded process.
  const leader = spawn('sh', ['-c', 'sleep 120 & echo $!; sleep 120 & wait'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  const childPid = await new Promise<number>((resolve) => leader.stdout!.once('data', (c: Buffer) => resolve(Number(c.toString().trim()))));
  leader.unref();
  const entry = await recordProcess(file, { pid: childPid, kind: 'gateway' });
  assert.equal(entry?.group?.pgid, leader.pid);
  await stopRecorded(file, { graceMs: 5_000 });
  assert.equal(alive(childPid), false);
  let groupGone = false;
  for (let i = 0; i < 50 && !groupGone; i++) {
    try {
      process.kill(-leader.pid!, 0);
      await new Promise((r) => setTimeout(r, 100));
    } catch {
      groupGone = true;
    }
  }
  assert.equal(groupGone, true, 'the whole group is gone');
});
