import { strict as assert } from 'node:assert';
import { chmod, chown, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile, readdir, lstat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { LocalTransport, fsError } from '../../../src/core/transport/local-transport';
import { shellJoin, shellQuote } from '../../../src/core/transport/shell-quote';

const TRICKY_NAMES = ['with space.md', `it's "quoted".md`, 'dollar $HOME `x`.md', 'メモリー 日本語.md', 'semi;colon&amp|pipe.md'];

describe('LocalTransport', () => {
  let dir: string;
  const t = new LocalTransport({ nodeId: 'here' });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ocm-local-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('exec', () => {
    it('runs through /bin/sh with quoted arguments intact (spaces, quotes, $, backticks, Japanese)', async () => {
      for (const name of TRICKY_NAMES) {
        const r = await t.exec(`printf '%s' ${shellQuote(name)}`);
        assert.equal(r.exitCode, 0);
        assert.equal(r.stdout, name);
      }
      const r = await t.exec(shellJoin(['printf', '%s|%s', 'a b', '日本']));
      assert.equal(r.stdout, 'a b|日本');
    });

    it('exports env, feeds stdin, reports exit code and stderr', async () => {
      const r = await t.exec('cat; printf "%s" "$GREETING" >&2; exit 3', { stdin: 'from stdin', env: { GREETING: `hi 'there' $x` } });
      assert.equal(r.exitCode, 3);
      assert.equal(r.stdout, 'from stdin');
      assert.equal(r.stderr, `hi 'there' $x`);
      assert.ok(r.durationMs >= 0);
    });

    it('bounds captured output and marks it truncated', async () => {
      const r = await t.exec('head -c 100000 /dev/zero', { maxOutputBytes: 1000 });
      assert.equal(r.stdout.length, 1000);
      assert.equal(r.truncated, true);
    });

    it('times out, kills the whole process group and says so', async () => {
      const marker = join(dir, 'grandchild-alive');
      const started = Date.now();
      await assert.rejects(
        t.exec(`(sleep 2; touch ${shellQuote(marker)}) & sleep 30`, { timeoutMs: 300 }),
        (e) => isOcmError(e, 'timeout') && /did not finish/.test(e.message),
      );
      assert.ok(Date.now() - started < 5000);
      await new Promise((r) => setTimeout(r, 2500));
      await assert.rejects(stat(marker), /ENOENT/, 'the background grandchild was killed too');
    });

    it('is cancelled by an AbortSignal', async () => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 200);
      await assert.rejects(t.exec('sleep 30', { signal: ac.signal }), (e) => isOcmError(e, 'cancelled'));
      await assert.rejects(t.exec('true', { signal: ac.signal }), (e) => isOcmError(e, 'cancelled'));
    });
  });

  describe('execStream', () => {
    it('streams stdout and resolves done with exit code and stderr', async () => {
      const s = await t.execStream('seq 1 20000; echo oops >&2; exit 2');
      let text = '';
      for await (const chunk of s.stdout) text += chunk.toString();
      const done = await s.done;
      assert.equal(text.split('\n').length, 20001);
      assert.equal(done.exitCode, 2);
      assert.equal(done.stderr, 'oops\n');
    });

    it('pipes a Readable into stdin and can be cancelled', async () => {
      const s = await t.execStream('wc -c', { stdin: Readable.from([Buffer.from('12345'), Buffer.from('678')]) });
      let text = '';
      for await (const chunk of s.stdout) text += chunk.toString();
      assert.equal(text.trim(), '8');
      await s.done;

      const long = await t.execStream('sleep 30');
      const started = Date.now();
      long.cancel();
      await long.done;
      assert.ok(Date.now() - started < 3000);
    });
  });

  describe('files', () => {
    it('stat gives ms mtime, permission bits and type; statOrUndefined gives undefined for a missing file', async () => {
      const f = join(dir, 'stat.txt');
      await writeFile(f, 'hello');
      await chmod(f, 0o640);
      const s = await t.stat(f);
      assert.equal(s.type, 'file');
      assert.equal(s.size, 5);
      assert.equal(s.mode, 0o640);
      assert.equal(s.mtimeMs, Math.floor((await stat(f)).mtimeMs));
      assert.equal((await t.stat(dir)).type, 'directory');
      assert.equal(await t.statOrUndefined(join(dir, 'missing')), undefined);
      await assert.rejects(t.stat(join(dir, 'missing')), (e) => isOcmError(e, 'notFound') && e.message.includes(join(dir, 'missing')));
    });

    it('readdir lists names with types, sizes and mtimes (tricky names included)', async () => {
      const d = join(dir, 'list');
      await mkdir(d);
      for (const name of TRICKY_NAMES) await writeFile(join(d, name), name);
      await mkdir(join(d, 'sub'));
      await symlink('with space.md', join(d, 'link'));
      const entries = await t.readdir(d);
      const byName = new Map(entries.map((e) => [e.name, e]));
      for (const name of TRICKY_NAMES) {
        assert.equal(byName.get(name)?.type, 'file');
        assert.equal(byName.get(name)?.size, Buffer.byteLength(name));
      }
      assert.equal(byName.get('sub')?.type, 'directory');
      assert.equal(byName.get('link')?.type, 'symlink');
      assert.ok(
        entries.every((e) => e.mtimeMs > 1e12),
        'mtime is in milliseconds',
      );
    });

    it('readFile returns exact bytes', async () => {
      const f = join(dir, 'メモリー 日本語.bin');
      const bytes = Buffer.from([0, 1, 2, 255, 0xe3, 0x81, 0x82]);
      await writeFile(f, bytes);
      assert.deepEqual(await t.readFile(f), bytes);
      await assert.rejects(t.readFile(join(dir, 'nope')), (e) => isOcmError(e, 'notFound'));
    });

    it('writeFileAtomic replaces content, keeps mode and owner, leaves no temp files', async () => {
      const d = join(dir, 'atomic');
      await mkdir(d);
      const f = join(d, 'MEMORY.md');
      await writeFile(f, 'old');
      await chmod(f, 0o640);
      const isRoot = process.getuid?.() === 0;
      if (isRoot) await chown(f, 1234, 4321);
      await t.writeFileAtomic(f, Buffer.from('new content'));
      assert.equal(await readFile(f, 'utf8'), 'new content');
      const s = await stat(f);
      assert.equal(s.mode & 0o7777, 0o640);
      if (isRoot) {
        assert.equal(s.uid, 1234);
        assert.equal(s.gid, 4321);
      }
      assert.deepEqual(await readdir(d), ['MEMORY.md']);
    });

    it('writeFileAtomic creates new files with the given mode (exact, not masked)', async () => {
      const f = join(dir, 'new file 新.md');
      await t.writeFileAtomic(f, Buffer.from('x'), { mode: 0o664 });
      assert.equal((await stat(f)).mode & 0o7777, 0o664);
      const g = join(dir, 'default-mode.md');
      await t.writeFileAtomic(g, Buffer.from('x'));
      assert.equal((await stat(g)).mode & 0o7777, 0o644);
    });

    it('writeFileAtomic honours exclusive and mustExist', async () => {
      const f = join(dir, 'excl.md');
      await t.writeFileAtomic(f, Buffer.from('first'), { exclusive: true });
      await assert.rejects(t.writeFileAtomic(f, Buffer.from('second'), { exclusive: true }), (e) => isOcmError(e, 'exists') && e.message.includes(f));
      assert.equal(await readFile(f, 'utf8'), 'first');
      await assert.rejects(t.writeFileAtomic(join(dir, 'absent.md'), Buffer.from('x'), { mustExist: true }), (e) => isOcmError(e, 'notFound'));
      await assert.rejects(stat(join(dir, 'absent.md')), /ENOENT/);
      await t.writeFileAtomic(f, Buffer.from('third'), { mustExist: true });
      assert.equal(await readFile(f, 'utf8'), 'third');
    });

    it('writeFileAtomic writes through a symlink to its target', async () => {
      const target = join(dir, 'real.md');
      const link = join(dir, 'link.md');
      await writeFile(target, 'a');
      await symlink(target, link);
      await t.writeFileAtomic(link, Buffer.from('b'));
      assert.equal((await lstat(link)).isSymbolicLink(), true);
      assert.equal(await readFile(target, 'utf8'), 'b');
    });

    it('writeFileAtomic writes through relative link chains and dangling links, keeping every link', async () => {
      const d = join(dir, 'links');
      await mkdir(join(d, 'dots', 'repo'), { recursive: true });
      await mkdir(join(d, 'state'));
      await writeFile(join(d, 'dots', 'repo', 'a.json'), '{}');
      await symlink('repo/a.json', join(d, 'dots', 'current.json'));
      await symlink('../dots/current.json', join(d, 'state', 'a.json'));
      await t.writeFileAtomic(join(d, 'state', 'a.json'), Buffer.from('{"v":2}'));
      assert.equal(await readlink(join(d, 'state', 'a.json')), '../dots/current.json');
      assert.equal(await readlink(join(d, 'dots', 'current.json')), 'repo/a.json');
      assert.equal(await readFile(join(d, 'dots', 'repo', 'a.json'), 'utf8'), '{"v":2}');
      // The target does not exist yet: it is created, the link stays.
      await symlink('../dots/repo/new.md', join(d, 'state', 'new.md'));
      await t.writeFileAtomic(join(d, 'state', 'new.md'), Buffer.from('new'), { mode: 0o600 });
      assert.equal(await readlink(join(d, 'state', 'new.md')), '../dots/repo/new.md');
      assert.equal(await readFile(join(d, 'dots', 'repo', 'new.md'), 'utf8'), 'new');
      assert.equal((await stat(join(d, 'dots', 'repo', 'new.md'))).mode & 0o777, 0o600);
      assert.deepEqual((await readdir(join(d, 'dots', 'repo'))).sort(), ['a.json', 'new.md'], 'no temp files left');
    });

    it('maps fs error codes to kinds with messages naming the path', async () => {
      const cases: [string, string][] = [
        ['ENOENT', 'notFound'],
        ['EACCES', 'permission'],
        ['EPERM', 'permission'],
        ['EEXIST', 'exists'],
        ['EIO', 'failed'],
      ];
      for (const [code, kind] of cases) {
        const e = fsError({ code, message: code }, 'write', '/x/メモ.md', 'n1');
        assert.equal(e.kind, kind);
        assert.ok(e.message.includes('/x/メモ.md') && e.message.includes('n1'), e.message);
      }
      // A missing parent folder gives notFound naming the path.
      await assert.rejects(
        t.writeFileAtomic(join(dir, 'no-such-dir', 'f'), Buffer.from('x')),
        (e) => isOcmError(e, 'notFound') && e.message.includes('no-such-dir'),
      );
      if (process.getuid?.() !== 0) {
        // Root bypasses modes, so the real EACCES path is only observable as a normal user.
        const ro = join(dir, 'readonly-dir');
        await mkdir(ro);
        await chmod(ro, 0o500);
        await assert.rejects(t.writeFileAtomic(join(ro, 'f'), Buffer.from('x')), (e) => isOcmError(e, 'permission') && e.message.includes(ro));
      }
    });

    it('rename refuses to overwrite unless asked; remove and mkdir', async () => {
      const a = join(dir, 'ren a.md');
      const b = join(dir, 'ren b.md');
      await writeFile(a, 'A');
      await writeFile(b, 'B');
      await assert.rejects(t.rename(a, b), (e) => isOcmError(e, 'exists'));
      await t.rename(a, b, { overwrite: true });
      assert.equal(await readFile(b, 'utf8'), 'A');
      await assert.rejects(t.rename(a, b), (e) => isOcmError(e, 'notFound'));

      const nested = join(dir, 'mk', 'deep 深い', 'er');
      await assert.rejects(t.mkdir(nested), (e) => isOcmError(e, 'notFound'));
      await t.mkdir(nested, { recursive: true, mode: 0o700 });
      assert.equal((await stat(nested)).isDirectory(), true);
      await assert.rejects(t.mkdir(nested), (e) => isOcmError(e, 'exists'));
      await writeFile(join(nested, 'f'), 'x');
      await assert.rejects(t.remove(join(dir, 'mk')), (e) => isOcmError(e, 'invalidInput') && /not empty/.test(e.message));
      await t.remove(join(dir, 'mk'), { recursive: true });
      await assert.rejects(stat(join(dir, 'mk')), /ENOENT/);
      await t.remove(b);
      await assert.rejects(t.remove(b), (e) => isOcmError(e, 'notFound'));
    });

    it('download and upload stream bytes', async () => {
      const src = join(dir, 'up 上.bin');
      const data = Buffer.alloc(300_000, 7);
      await t.upload(Readable.from([data]), src, { mode: 0o600 });
      assert.equal((await stat(src)).mode & 0o777, 0o600);
      const sink = new PassThrough();
      const chunks: Buffer[] = [];
      sink.on('data', (c: Buffer) => chunks.push(c));
      await t.download(src, sink);
      assert.deepEqual(Buffer.concat(chunks), data);
      await assert.rejects(t.download(join(dir, 'nope'), new PassThrough()), (e) => isOcmError(e, 'notFound'));
    });

    it('is cancelled by an aborted signal', async () => {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(t.readFile(join(dir, 'stat.txt'), { signal: ac.signal }), (e) => isOcmError(e, 'cancelled'));
    });
  });

  describe('connectTcp', () => {
    it('connects to 127.0.0.1:port and maps a refused port to unreachable', async () => {
      const server = createServer((sock) => sock.end('pong'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const port = (server.address() as { port: number }).port;
      try {
        const sock = await t.connectTcp(port);
        let text = '';
        for await (const c of sock) text += c.toString();
        assert.equal(text, 'pong');
      } finally {
        await new Promise((r) => server.close(r));
      }
      await assert.rejects(t.connectTcp(port), (e) => isOcmError(e, 'unreachable') && e.message.includes(String(port)));
    });
  });
});
