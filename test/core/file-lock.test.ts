import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isOcmError } from '../../src/core/errors';
import { lockPathFor, withFileLock } from '../../src/core/file-lock';

/** withFileLock: one writer at a time per file, in this process and across processes. */

async function tempFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'ocm-lock-')), 'shared.json');
}

/** The pid of a process that has exited (and so is dead on this host). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('withFileLock', () => {
  it('runs callers for one file one at a time, in call order, and removes the lock file after', async () => {
    const file = await tempFile();
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        withFileLock(file, async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setTimeout(r, 2));
          order.push(i);
          inside--;
        }),
      ),
    );
    assert.equal(most, 1);
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
    assert.equal(existsSync(lockPathFor(file)), false);
  });

  it('releases the lock when fn throws', async () => {
    const file = await tempFile();
    await assert.rejects(
      withFileLock(file, async () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(await withFileLock(file, async () => 'next', { timeoutMs: 200 }), 'next');
    assert.equal(existsSync(lockPathFor(file)), false);
  });

  it('takes over a lock whose pid is dead on this host at once', async () => {
    const file = await tempFile();
    await writeFile(lockPathFor(file), JSON.stringify({ pid: deadPid(), hostname: hostname(), createdAt: new Date().toISOString(), token: 'x' }));
    const started = Date.now();
    assert.equal(await withFileLock(file, async () => 'mine', { timeoutMs: 2000 }), 'mine');
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    assert.deepEqual(await readdir(join(file, '..')), [], 'no lock or moved-aside file is left');
  });

  it('takes over a lock of another host only once it is older than staleMs', async () => {
    const file = await tempFile();
    await writeFile(lockPathFor(file), JSON.stringify({ pid: 1, hostname: 'elsewhere.example', createdAt: new Date().toISOString(), token: 'x' }));
    await assert.rejects(
      withFileLock(file, async () => 'early', { timeoutMs: 150, staleMs: 60_000 }),
      (e) => isOcmError(e, 'timeout'),
    );
    const old = new Date(Date.now() - 120_000);
    await utimes(lockPathFor(file), old, old);
    assert.equal(await withFileLock(file, async () => 'late', { timeoutMs: 500, staleMs: 60_000 }), 'late');
  });

  it('waits for a live holder at most timeoutMs, then says who holds which lock file', async () => {
    const file = await tempFile();
    // This process's own pid: alive, on this host, and not in the in-process queue.
    await writeFile(lockPathFor(file), JSON.stringify({ pid: process.pid, hostname: hostname(), createdAt: '2026-01-01T00:00:00.000Z', token: 'x' }));
    const started = Date.now();
    await assert.rejects(
      withFileLock(file, async () => 'never', { timeoutMs: 300 }),
      (e) => {
        assert.ok(isOcmError(e, 'timeout'));
        assert.ok(e.message.includes(lockPathFor(file)), e.message);
        assert.ok(e.message.includes(`process ${process.pid} on ${hostname()}`), e.message);
        assert.match(e.message, /delete /);
        return true;
      },
    );
    const waited = Date.now() - started;
    assert.ok(waited >= 280 && waited < 1500, `waited ${waited} ms`);
    assert.ok(existsSync(lockPathFor(file)), "a live holder's lock is left alone");
  });

  it("keeps a long-running holder's lock fresh, so another process does not take it over as stale", async () => {
    const file = await tempFile();
    const marker = `${file}.holder-done`;
    // Another process holds the lock 4 × staleMs, then leaves a marker just before releasing.
    const holder = runChild(
      `const { withFileLock } = require(${JSON.stringify(fileLockModule)});
       const { writeFileSync } = require('node:fs');
       withFileLock(${JSON.stringify(file)}, async () => { console.log('held'); await new Promise((r) => setTimeout(r, 600)); writeFileSync(${JSON.stringify(marker)}, ''); }, { staleMs: 150 });`,
    );
    await holder.started;
    const sawMarker = await withFileLock(file, async () => existsSync(marker), { staleMs: 150, timeoutMs: 5000 });
    assert.equal(sawMarker, true, 'the lock was taken while its holder still ran');
    assert.equal(await holder.exited, 0);
  });
});

const fileLockModule = join(__dirname, '../../src/core/file-lock.ts');

/** Runs `code` (CommonJS, TypeScript imports through tsx) in a child node; `started` resolves on its first output line. */
function runChild(code: string): { started: Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const started = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { started, exited };
}
