import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BackupSources } from '../../../src/core/backup/types';
import { captureSnapshot } from '../../../src/core/repository/capture';
import { chunkBuffer, FILE_CHUNKER } from '../../../src/core/repository/chunker';
import { DELTA_BLOCK, ingestDelta } from '../../../src/core/repository/deltas';
import { Repository } from '../../../src/core/repository/repository';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import { ensureSqlite3 } from '../backup/tools';

/**
 * A repeat snapshot of a database whose pages changed moves only the changed 64 KiB blocks
 * (computed on the node by Node.js against the parent's block ids), and what it stores reads back
 * as a whole, consistent database. A delta whose bytes do not match its ids is refused.
 */

let root: string;
let state: string;
let db: string;
let sources: BackupSources;
let repo: Repository;
const transport = new LocalTransport({ nodeId: 'd1' });
const sqlite = (file: string, sql: string): string => execFileSync('sqlite3', [file, sql], { encoding: 'utf8' }).trim();

before(async () => {
  ensureSqlite3();
  root = await fs.mkdtemp(join(tmpdir(), 'ocm-delta-'));
  state = join(root, 'home/.openclaw');
  await fs.mkdir(join(state, 'memory'), { recursive: true });
  await fs.writeFile(join(state, 'openclaw.json'), '{}\n');
  db = join(state, 'memory/main.sqlite');
  sqlite(
    db,
    'PRAGMA page_size=4096; CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 12000) INSERT INTO notes SELECT x, hex(randomblob(150)) FROM c;',
  );
  sources = { stateDir: state, configPath: join(state, 'openclaw.json'), workspaceDirs: [], agentDirs: [] };
  repo = await Repository.open(join(root, 'backups/repository'));
});

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** Deterministic incompressible bytes (a sha256 counter stream), so chunk cuts are the same every run. */
function seeded(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0, off = 0; off < length; i++, off += 32) createHash('sha256').update(`${seed}:${i}`).digest().copy(out, off);
  return out;
}

async function restored(snapshotEntryPath: string, snap: Awaited<ReturnType<typeof captureSnapshot>>['snapshot']): Promise<string> {
  const data = (await repo.readFiles(snap, [snapshotEntryPath])).get(snapshotEntryPath);
  assert.ok(data, 'the database is in the snapshot');
  const out = join(root, `restored-${snap.id}.sqlite`);
  await fs.writeFile(out, data);
  return out;
}

describe('changed parts of large files (LocalTransport, real sqlite3 and node)', () => {
  it('a repeat after a few changed rows transfers a small part of the database and reads back whole', async () => {
    const first = await captureSnapshot({ repo, nodeId: 'd1', transport, sources });
    const size = (await fs.stat(db)).size;
    assert.ok(first.stats.transferredBytes > size / 4, 'the first snapshot carries the whole database');
    sqlite(db, "UPDATE notes SET body = 'changed ' || id WHERE id BETWEEN 5000 AND 5100;");
    const second = await captureSnapshot({ repo, nodeId: 'd1', transport, sources });
    assert.equal(second.stats.changedFiles, 1);
    assert.ok(second.stats.transferredBytes < size / 10, `transferred ${second.stats.transferredBytes} of a ${size}-byte database`);
    const entry = second.entries.find((e) => e.path === db);
    assert.ok(entry?.chunks && entry.chunks.length === Math.ceil(entry.size / DELTA_BLOCK), 'stored in 64 KiB blocks');
    const copy = await restored(db, second.snapshot);
    assert.equal(sqlite(copy, 'PRAGMA integrity_check;'), 'ok');
    assert.equal(sqlite(copy, "SELECT count(*) FROM notes WHERE body LIKE 'changed %';"), '101');
    assert.equal(
      createHash('sha256')
        .update(await fs.readFile(copy))
        .digest('hex'),
      entry.sha256,
    );
    const older = await restored(db, first.snapshot);
    assert.equal(sqlite(older, "SELECT count(*) FROM notes WHERE body LIKE 'changed %';"), '0');
  });

  it('a database that grew sends its new blocks and still reads back whole', async () => {
    sqlite(db, 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 3000) INSERT INTO notes(body) SELECT hex(randomblob(150)) FROM c;');
    const r = await captureSnapshot({ repo, nodeId: 'd1', transport, sources });
    const copy = await restored(db, r.snapshot);
    assert.equal(sqlite(copy, 'SELECT count(*) FROM notes;'), '15000');
    assert.equal(sqlite(copy, 'PRAGMA integrity_check;'), 'ok');
  });

  it('a delta whose node has no working openssl (missing, or printing something else) hashes the copy itself', async () => {
    const bin = join(root, 'fake-bin');
    await fs.mkdir(bin, { recursive: true });
    const env = (script: string): Promise<Record<string, string>> =>
      fs
        .writeFile(join(bin, 'openssl'), `#!/bin/sh\ntouch "${bin}/ran"\n${script}\n`, { mode: 0o755 })
        .then(() => ({ PATH: `${bin}:${process.env.PATH ?? ''}` }));
    for (const [k, fake] of ['exit 127', 'echo "openssl: unknown command"'].entries()) {
      sqlite(db, `UPDATE notes SET body = 'nosum${k} ' || id WHERE id BETWEEN 200 AND 230;`);
      const r = await captureSnapshot({ repo, nodeId: 'd1', transport, sources, env: await env(fake) });
      const entry = r.entries.find((e) => e.path === db);
      assert.ok(entry && r.stats.transferredBytes < entry.size / 10, 'still a delta');
      await fs.rm(join(bin, 'ran')); // the fake ran
      const copy = await restored(db, r.snapshot);
      assert.equal(
        createHash('sha256')
          .update(await fs.readFile(copy))
          .digest('hex'),
        entry.sha256,
      );
      assert.equal(sqlite(copy, `SELECT count(*) FROM notes WHERE body LIKE 'nosum${k} %';`), '31');
    }
  });

  it('beside a delta, a new database is sent whole; a copy that fails beside the delta script fails the snapshot with its reason and keeps none', async () => {
    const fresh = join(state, 'memory/fresh.sqlite');
    sqlite(fresh, 'CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3);');
    sqlite(db, "UPDATE notes SET body = 'again ' || id WHERE id BETWEEN 100 AND 120;");
    const both = await captureSnapshot({ repo, nodeId: 'd1', transport, sources });
    assert.equal(sqlite(await restored(fresh, both.snapshot), 'SELECT sum(x) FROM t;'), '6');
    assert.equal(sqlite(await restored(db, both.snapshot), "SELECT count(*) FROM notes WHERE body LIKE 'again %';"), '21');
    // fresh.sqlite now has a parent copy (a delta next time); a damaged header makes its copy fail.
    const header = Buffer.alloc(100, 'x');
    const handle = await fs.open(fresh, 'r+');
    await handle.write(header, 0, header.length, 0);
    await handle.close();
    sqlite(db, "UPDATE notes SET body = 'third ' || id WHERE id BETWEEN 200 AND 210;");
    const before = (await repo.listSnapshots('d1')).length;
    await assert.rejects(captureSnapshot({ repo, nodeId: 'd1', transport, sources }), /SQLite snapshot \(sqlite3\) of .*fresh\.sqlite failed/);
    assert.equal((await repo.listSnapshots('d1')).length, before, 'no snapshot was kept');
    await fs.rm(fresh);
    const next = await captureSnapshot({ repo, nodeId: 'd1', transport, sources });
    assert.equal(sqlite(await restored(db, next.snapshot), "SELECT count(*) FROM notes WHERE body LIKE 'third %';"), '11');
    assert.ok(!next.entries.some((e) => e.path === fresh));
  });

  it('a database an agent writes to during the capture (WAL, mid-turn) is captured whole and consistent', async () => {
    const live = join(state, 'memory/busy.sqlite');
    sqlite(
      live,
      'PRAGMA journal_mode=WAL; CREATE TABLE turns(id INTEGER PRIMARY KEY, turn INTEGER, body TEXT); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 4000) INSERT INTO turns(turn, body) SELECT 0, hex(randomblob(200)) FROM c;',
    );
    // The "agent": turn after turn, each one transaction of 50 rows; a torn copy shows a count that is not a multiple of 50.
    const { spawn } = await import('node:child_process');
    const writer = spawn(
      '/bin/sh',
      [
        '-c',
        `i=1; while :; do sqlite3 ${JSON.stringify(live)} "PRAGMA busy_timeout=5000; BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 50) INSERT INTO turns(turn, body) SELECT $i, hex(randomblob(200)) FROM c; COMMIT;" || exit 1; i=$((i+1)); done`,
      ],
      { stdio: 'ignore' },
    );
    const counts: number[] = [];
    try {
      for (let round = 0; round < 3; round++) {
        const r = await captureSnapshot({ repo, nodeId: 'd1', transport, sources });
        const copy = await restored(live, r.snapshot);
        assert.equal(sqlite(copy, 'PRAGMA integrity_check;'), 'ok');
        const count = Number(sqlite(copy, 'SELECT count(*) FROM turns;'));
        assert.equal((count - 4000) % 50, 0, `round ${round}: ${count} rows is a torn transaction`);
        assert.equal(sqlite(copy, 'SELECT count(DISTINCT turn) FROM turns;'), String((count - 4000) / 50 + 1));
        counts.push(count);
      }
      assert.ok(counts[2]! > counts[0]!, `the agent wrote during the captures (${counts.join(', ')} rows)`);
    } finally {
      writer.kill('SIGKILL');
    }
  });

  it('a grown transcript sends only what follows its unchanged start, keeping a full-sized last chunk; a full read gives the same bytes', async () => {
    const log = join(root, 'work/journal/2026-12.jsonl');
    await fs.mkdir(join(log, '..'), { recursive: true });
    await fs.writeFile(log, seeded('start', 5 * 1024 * 1024));
    const withLog = { ...sources, workspaceDirs: [join(root, 'work')] };
    const first = await captureSnapshot({ repo, nodeId: 't1', transport, sources: withLog });
    const before = first.entries.find((e) => e.path === log);
    assert.ok(before?.chunks && before.chunks.length >= 2, 'the transcript is chunked');
    const lastChunk = repo.objects.location(before.chunks.at(-1)!)!.rawLength;
    await fs.appendFile(log, seeded('more', 20_000));
    const grown = await captureSnapshot({ repo, nodeId: 't1', transport, sources: withLog });
    const entry = grown.entries.find((e) => e.path === log)!;
    // A last chunk of at least the chunker's minimum (512 KiB) is kept: only the appended bytes cross and are stored.
    const kept = lastChunk >= 512 * 1024;
    const tail = kept ? 20_000 : lastChunk + 20_000;
    assert.ok(grown.stats.transferredBytes < tail + 64 * 1024, `sent ${grown.stats.transferredBytes} bytes; the tail is ${tail}`);
    const reused = kept ? before.chunks : before.chunks.slice(0, -1);
    assert.deepEqual(entry.chunks!.slice(0, reused.length), reused, 'the unchanged start reuses the parent chunks');
    if (kept) assert.equal(grown.stats.objectsWritten <= 3, true, `only the appended bytes are new objects (${grown.stats.objectsWritten} written)`);
    const data = (await repo.readFiles(grown.snapshot, [log])).get(log)!;
    assert.ok(data.equals(await fs.readFile(log)), 'reads back byte for byte');
    assert.equal(createHash('sha256').update(data).digest('hex'), entry.sha256);
    const rescan = await captureSnapshot({ repo, nodeId: 't1', transport, sources: withLog, fullRescan: true });
    const rescanned = rescan.entries.find((e) => e.path === log)!;
    assert.equal(rescanned.sha256, entry.sha256, 'a full read gives the same content');
    assert.ok((await repo.readFiles(rescan.snapshot, [log])).get(log)!.equals(data));
    // A file that grew but whose start changed crosses whole and is still right.
    const changed = Buffer.concat([seeded('other start', 64), (await fs.readFile(log)).subarray(64), seeded('again', 5000)]);
    await fs.writeFile(log, changed);
    const third = await captureSnapshot({ repo, nodeId: 't1', transport, sources: withLog });
    assert.ok((await repo.readFiles(third.snapshot, [log])).get(log)!.equals(changed));
    assert.ok(third.stats.transferredBytes > changed.length / 2, 'the whole file crossed');
  });

  it('a transcript whose last chunk is full-sized keeps it: the next growth stores only the appended bytes, and reads back whole', async () => {
    // A length whose last content-defined chunk is at least the chunker's minimum (512 KiB).
    let body = seeded('kept', 3 * 1024 * 1024);
    for (let extra = 0; chunkBuffer(body, FILE_CHUNKER).at(-1)!.length < 600 * 1024; extra += 64 * 1024) body = seeded('kept', 3 * 1024 * 1024 + extra);
    const log = join(root, 'kept/journal.jsonl');
    await fs.mkdir(join(log, '..'), { recursive: true });
    await fs.writeFile(log, body);
    const withLog = { ...sources, workspaceDirs: [join(root, 'kept')] };
    const first = await captureSnapshot({ repo, nodeId: 'k1', transport, sources: withLog });
    const before = first.entries.find((e) => e.path === log)!;
    for (let day = 1; day <= 3; day++) {
      await fs.appendFile(log, seeded(`day ${day}`, 20_000));
      const grown = await captureSnapshot({ repo, nodeId: 'k1', transport, sources: withLog });
      const entry = grown.entries.find((e) => e.path === log)!;
      assert.deepEqual(entry.chunks!.slice(0, before.chunks!.length), before.chunks, `day ${day}: every parent chunk kept, the last one too`);
      assert.ok(grown.stats.transferredBytes < day * 20_000 + 64 * 1024, `day ${day}: sent ${grown.stats.transferredBytes} bytes`);
      // The short appended tail is cut again with the next day's bytes (no trail of tiny chunks).
      assert.equal(entry.chunks!.length, before.chunks!.length + 1, `day ${day}: one chunk for all appended bytes`);
      assert.ok((await repo.readFiles(grown.snapshot, [log])).get(log)!.equals(await fs.readFile(log)), `day ${day}: byte for byte`);
    }
  });

  it("leaves the node's databases untouched: no checkpoint of a WAL nobody else holds open", async () => {
    const quiet = join(state, 'memory/quiet.sqlite');
    // A WAL with committed pages and no connection left (the process exits without closing: no checkpoint).
    execFileSync(process.execPath, [
      '-e',
      `const {execFileSync}=require('child_process');execFileSync('sqlite3',[${JSON.stringify(quiet)},'PRAGMA journal_mode=WAL; CREATE TABLE q(x);']);`,
    ]);
    execFileSync('python3', [
      '-c',
      `import sqlite3,os\nc=sqlite3.connect(${JSON.stringify(quiet)})\nc.execute('pragma wal_autocheckpoint=0')\nc.executemany('insert into q values (?)',[(i,) for i in range(500)])\nc.commit()\nos._exit(0)`,
    ]);
    const before = await fs.stat(quiet);
    const walBefore = await fs.stat(`${quiet}-wal`);
    assert.ok(walBefore.size > 0, 'the WAL holds the rows');
    const r = await captureSnapshot({ repo, nodeId: 'q1', transport, sources });
    const after = await fs.stat(quiet);
    assert.equal(after.mtimeMs, before.mtimeMs, 'the database file was not written');
    assert.equal((await fs.stat(`${quiet}-wal`)).size, walBefore.size, 'the WAL was not checkpointed');
    const copy = await restored(quiet, r.snapshot);
    assert.equal(sqlite(copy, 'SELECT count(*) FROM q;'), '500', "the copy holds the WAL's rows");
    // A WAL-mode database closed cleanly (no -wal, no -shm) gets none left behind by the copy.
    const clean = join(state, 'memory/clean.sqlite');
    sqlite(clean, 'PRAGMA journal_mode=WAL; CREATE TABLE c(x); INSERT INTO c VALUES (1);');
    await assert.rejects(fs.stat(`${clean}-wal`));
    const cleanBefore = await fs.stat(clean);
    await captureSnapshot({ repo, nodeId: 'q1', transport, sources });
    await assert.rejects(fs.stat(`${clean}-wal`), 'no -wal left behind');
    await assert.rejects(fs.stat(`${clean}-shm`), 'no -shm left behind');
    assert.equal((await fs.stat(clean)).mtimeMs, cleanBefore.mtimeMs);
  });

  it('refuses a delta whose block does not match its id, or that names a block the repository lacks', async () => {
    const block = Buffer.alloc(DELTA_BLOCK * 2, 7);
    const a = block.subarray(0, DELTA_BLOCK);
    const id = createHash('sha256').update(a).digest();
    const header = (sha: string): Buffer =>
      Buffer.from(`OCMDELTA1 ${JSON.stringify({ size: block.length, sha256: sha, blockSize: DELTA_BLOCK, blocks: 2 })}\n`);
    const whole = createHash('sha256').update(block).digest('hex');
    const feed = async function* (parts: Buffer[]): AsyncIterable<Buffer> {
      yield* parts;
    };
    const session = repo.objects.startWrite();
    try {
      const tampered = Buffer.from(a);
      tampered[100] ^= 1;
      await assert.rejects(ingestDelta(session, feed([header(whole), id, id, tampered]), []), /does not match its checksum/);
      const unknownId = createHash('sha256').update('never stored').digest();
      await assert.rejects(ingestDelta(session, feed([header(whole), unknownId, id, a]), [unknownId.toString('hex')]), /missing from the repository/);
      await assert.rejects(ingestDelta(session, feed([header(whole), id, id]), []), /ended early/);
      const ok = await ingestDelta(session, feed([header(whole), id, id, a]), []);
      assert.deepEqual(ok.chunks, [id.toString('hex'), id.toString('hex')]);
    } finally {
      await session.abort();
    }
  });
});
