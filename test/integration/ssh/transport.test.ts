import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PassThrough, Readable, Writable } from 'node:stream';
import { isOcmError } from '../../../src/core/errors';
import { SshPool } from '../../../src/core/ssh/pool';
import type { Logger } from '../../../src/core/ssh/logger';
import { shellQuote } from '../../../src/core/transport/shell-quote';
import { runAsNodeUser, startSshNodes, targetFor, type SshNodeSet } from '../../support/sshd';

const messages: string[] = [];
const logger: Logger = { debug: (m) => messages.push(m), info: (m) => messages.push(m), warn: (m) => messages.push(m), error: (m) => messages.push(m) };

describe('SSH transport against real sshd', { timeout: 180_000 }, () => {
  let set: SshNodeSet;
  let pool: SshPool;
  before(async () => {
    set = await startSshNodes(2, { password: true });
    pool = new SshPool({ logger });
  });
  after(async () => {
    await pool?.close();
    await set?.stop();
  });

  const key = () => pool.transportFor(targetFor(set.nodes[1]!));

  it('logs in with a key and runs a command', async () => {
    const result = await key().exec('whoami');
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout, `${set.nodes[1]!.user}\n`);
  });

  it('logs in with a password through the prompt', async () => {
    const node = set.nodes[0]!;
    const asked: string[] = [];
    const passwordPool = new SshPool();
    try {
      const target = targetFor(node, {
        withoutKey: true,
        prompt: {
          password: async (r) => {
            asked.push(`password ${r.username}`);
            return node.password;
          },
          passphrase: async () => undefined,
          keyboardInteractive: async () => undefined,
        },
      });
      const result = await passwordPool.transportFor(target).exec('echo pw-ok');
      assert.equal(result.stdout, 'pw-ok\n');
      assert.deepEqual(asked, [`password ${node.user}`]);
    } finally {
      await passwordPool.close();
    }
  });

  it('logs in with keyboard-interactive when password auth is off in the client', async () => {
    const node = set.nodes[0]!;
    const prompts: string[] = [];
    const kiPool = new SshPool();
    try {
      const target = targetFor(node, {
        withoutKey: true,
        prompt: {
          password: async () => undefined,
          passphrase: async () => undefined,
          keyboardInteractive: async (r) => {
            prompts.push(...r.prompts.map((p) => p.prompt));
            return r.prompts.map(() => node.password!);
          },
        },
      });
      target.passwordAuthentication = false;
      const result = await kiPool.transportFor(target).exec('echo ki-ok');
      assert.equal(result.stdout, 'ki-ok\n');
      assert.ok(
        prompts.some((p) => /password/i.test(p)),
        prompts.join(),
      );
    } finally {
      await kiPool.close();
    }
  });

  it('fails with kind auth for a wrong key and hostKeyChanged for a wrong host key', async () => {
    const other = new SshPool();
    try {
      const wrongKey = targetFor(set.nodes[1]!);
      wrongKey.identities = targetFor(set.nodes[0]!).identities;
      await assert.rejects(other.transportFor(wrongKey).exec('true'), (e) => isOcmError(e, 'auth'));
      await assert.rejects(other.transportFor(wrongKey).stat('/'), (e) => isOcmError(e, 'auth'));
      const wrongHost = targetFor(set.nodes[1]!, { expectHostKey: set.nodes[0]!.hostPublicKey });
      await assert.rejects(other.transportFor(wrongHost).exec('true'), (e) => isOcmError(e, 'hostKeyChanged'));
      // The right target for the same node works in the same pool afterwards.
      assert.equal((await other.transportFor(targetFor(set.nodes[1]!)).exec('echo fine')).stdout, 'fine\n');
      const refused = new SshPool({ readyTimeoutMs: 3000 });
      const closedPort = targetFor(set.nodes[1]!);
      closedPort.port = 1;
      await assert.rejects(refused.transportFor(closedPort).exec('true'), (e) => isOcmError(e, 'unreachable'));
      await refused.close();
    } finally {
      await other.close();
    }
  });

  it('reports exit codes, stderr, stdin and env', async () => {
    const t = key();
    const failed = await t.exec('echo out; echo err >&2; exit 7');
    assert.deepEqual([failed.exitCode, failed.stdout, failed.stderr], [7, 'out\n', 'err\n']);
    const piped = await t.exec('tr a-z A-Z', { stdin: 'hello\n' });
    assert.equal(piped.stdout, 'HELLO\n');
    const binary = randomBytes(300_000);
    const counted = await t.exec('wc -c', { stdin: binary });
    assert.equal(counted.stdout.trim(), String(binary.length));
    const env = await t.exec('printf %s "$GREETING"', { env: { GREETING: "it's $HOME `x` ü" } });
    assert.equal(env.stdout, "it's $HOME `x` ü");
    const killed = await t.exec('kill -TERM $$');
    assert.equal(killed.exitCode, null);
    assert.equal(killed.signal, 'SIGTERM');
    const noStdin = await t.exec('cat');
    assert.equal(noStdin.stdout, '');
    assert.ok(
      messages.some((m) => m.includes('[env GREETING]') && !m.includes("it's")),
      'env values never reach the log',
    );
  });

  it('caps captured output and marks it truncated', async () => {
    const result = await key().exec('head -c 100000 /dev/zero', { maxOutputBytes: 1000 });
    assert.equal(result.stdout.length, 1000);
    assert.equal(result.truncated, true);
  });

  it('handles paths with spaces, quotes, $ and Japanese characters', async () => {
    const t = key();
    const node = set.nodes[1]!;
    const dir = `${node.home}/d i r 'q' "dq" $HOME 日本語`;
    await t.mkdir(`${dir}/sub/deeper`, { recursive: true });
    const file = `${dir}/sub/ファイル $x 'a'.txt`;
    await t.writeFileAtomic(file, Buffer.from('こんにちは\n'));
    assert.equal((await t.readFile(file)).toString(), 'こんにちは\n');
    const st = await t.stat(file);
    assert.equal(st.type, 'file');
    assert.equal(st.size, Buffer.byteLength('こんにちは\n'));
    assert.deepEqual((await t.readdir(`${dir}/sub`)).map((e) => `${e.name}:${e.type}`).sort(), ['deeper:directory', "ファイル $x 'a'.txt:file"]);
    const renamed = `${dir}/sub/名前 "new".txt`;
    await t.rename(file, renamed);
    assert.equal(await t.statOrUndefined(file), undefined);
    // The shell sees the same names as SFTP does.
    const viaShell = await t.exec(`cat ${shellQuote(renamed)}`);
    assert.equal(viaShell.stdout, 'こんにちは\n');
    const local = await runAsNodeUser(node, `cat ${shellQuote(renamed)}`);
    assert.equal(local.stdout, 'こんにちは\n');
    await t.remove(renamed);
    await assert.rejects(t.stat(renamed), (e) => isOcmError(e, 'notFound'));
    await t.remove(dir, { recursive: true });
    assert.equal(await t.statOrUndefined(dir), undefined);
  });

  it('atomic write keeps mode 0640 and 0664, new files get the requested mode, temp files are gone', async () => {
    const t = key();
    const node = set.nodes[1]!;
    await runAsNodeUser(node, 'mkdir -p modes && echo old > modes/a && chmod 0640 modes/a && echo old > modes/b && chmod 0664 modes/b');
    await t.writeFileAtomic(`${node.home}/modes/a`, Buffer.from('new a\n'));
    await t.writeFileAtomic(`${node.home}/modes/b`, Buffer.from('new b\n'));
    await t.writeFileAtomic(`${node.home}/modes/c`, Buffer.from('new c\n'), { mode: 0o600 });
    const out = await runAsNodeUser(node, 'cd modes && stat -c "%n %a" a b c && cat a b c && ls -A');
    assert.equal(out.stdout, 'a 640\nb 664\nc 600\nnew a\nnew b\nnew c\na\nb\nc\n');
  });

  it('writeFileAtomic honours exclusive and mustExist, and maps permission errors', async () => {
    const t = key();
    const home = set.nodes[1]!.home;
    await t.writeFileAtomic(`${home}/ex`, Buffer.from('1'), { exclusive: true });
    await assert.rejects(t.writeFileAtomic(`${home}/ex`, Buffer.from('2'), { exclusive: true }), (e) => isOcmError(e, 'exists'));
    await assert.rejects(t.writeFileAtomic(`${home}/missing`, Buffer.from('2'), { mustExist: true }), (e) => isOcmError(e, 'notFound'));
    await assert.rejects(t.writeFileAtomic('/etc/ocm-not-allowed', Buffer.from('x')), (e) => isOcmError(e, 'permission'));
    await assert.rejects(t.readFile('/etc/shadow'), (e) => isOcmError(e, 'permission'));
    await assert.rejects(t.readFile(`${home}/nope`), (e) => isOcmError(e, 'notFound'));
    await assert.rejects(t.rename(`${home}/ex`, `${home}/modes/a`), (e) => isOcmError(e, 'exists'));
    await t.rename(`${home}/ex`, `${home}/modes/a`, { overwrite: true });
    assert.equal((await t.readFile(`${home}/modes/a`)).toString(), '1');
    await assert.rejects(t.mkdir(`${home}/modes`), (e) => isOcmError(e, 'exists'));
  });

  it('runs more concurrent execs than MaxSessions allows at once', async () => {
    const t = key();
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => t.exec(`sleep 0.2; echo ${i}`)));
    assert.deepEqual(
      results.map((r) => r.stdout.trim()),
      Array.from({ length: 25 }, (_, i) => String(i)),
    );
    // SFTP still works alongside.
    const [stat] = await Promise.all([t.stat(set.nodes[1]!.home), ...Array.from({ length: 12 }, () => t.exec('true'))]);
    assert.equal(stat.type, 'directory');
  });

  it('shares one connection between concurrent first uses and reuses it', async () => {
    const fresh = new SshPool({ logger });
    try {
      const t = fresh.transportFor(targetFor(set.nodes[1]!));
      const before = messages.filter((m) => m.includes('connected to')).length;
      await Promise.all([t.exec('true'), t.stat('/'), t.readdir('/'), t.exec('true')]);
      await t.exec('true');
      assert.equal(messages.filter((m) => m.includes('connected to')).length - before, 1);
    } finally {
      await fresh.close();
    }
  });

  it('streams large output with backpressure and reports the exit code', async () => {
    const t = key();
    const stream = await t.execStream('head -c 20000000 /dev/zero; echo done >&2; exit 3');
    let bytes = 0;
    for await (const chunk of stream.stdout) {
      bytes += (chunk as Buffer).length;
      if (bytes < 1_000_000) await new Promise((r) => setTimeout(r, 1)); // a slow consumer
    }
    const done = await stream.done;
    assert.equal(bytes, 20_000_000);
    assert.deepEqual([done.exitCode, done.stderr], [3, 'done\n']);
    const fed = await t.execStream('wc -c', { stdin: Readable.from([Buffer.alloc(1000), Buffer.alloc(2345)]) });
    let text = '';
    for await (const chunk of fed.stdout) text += chunk;
    assert.equal(text.trim(), '3345');
  });

  it('uploads and downloads files, byte-exact', async () => {
    const t = key();
    const path = `${set.nodes[1]!.home}/blob.bin`;
    const data = randomBytes(3_000_000 + 17);
    await t.upload(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), path, { mode: 0o600 });
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        chunks.push(chunk);
        setTimeout(cb, 0);
      },
      highWaterMark: 64 * 1024,
    });
    await t.download(path, sink);
    const got = Buffer.concat(chunks);
    assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(data).digest('hex'));
    assert.equal((await t.readFile(path)).length, data.length);
    assert.equal((await t.stat(path)).mode, 0o600);
    await t.writeFileAtomic(`${set.nodes[1]!.home}/empty`, new Uint8Array(0));
    assert.equal((await t.readFile(`${set.nodes[1]!.home}/empty`)).length, 0);
  });

  it('stops a download whose destination fails and an upload whose source fails, with errors', async () => {
    const t = key();
    const path = `${set.nodes[1]!.home}/blob.bin`;
    let calls = 0;
    const broken = new Writable({
      write(_chunk, _enc, cb) {
        calls++;
        cb(calls >= 2 ? new Error('disk full (simulated)') : null);
      },
    });
    await assert.rejects(t.download(path, broken), (e) => isOcmError(e) && /disk full/.test((e as Error).message));
    const failing = new Readable({
      read() {
        this.destroy(new Error('source broke (simulated)'));
      },
    });
    await assert.rejects(t.upload(failing, `${set.nodes[1]!.home}/partial.bin`), (e) => isOcmError(e, 'failed') && /source broke/.test((e as Error).message));
    assert.equal((await t.exec('echo still-fine')).stdout, 'still-fine\n');
  });

  it('cancels an exec through its AbortSignal and kills the remote command', async () => {
    const t = key();
    const controller = new AbortController();
    const started = Date.now();
    const cancelled = t.exec('sleep 30', { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await assert.rejects(cancelled, (e) => isOcmError(e, 'cancelled'));
    assert.ok(Date.now() - started < 3000);
    await assert.rejects(t.exec('sleep 5', { timeoutMs: 300 }), (e) => isOcmError(e, 'timeout'));
    const stream = await t.execStream('sleep 30; echo not-killed');
    setTimeout(() => stream.cancel(), 100);
    const done = await stream.done;
    assert.equal(done.exitCode, null);
    assert.ok(Date.now() - started < 5000, 'the remote command was killed, not waited for');
    // The pool is still fine afterwards.
    assert.equal((await t.exec('echo ok')).stdout, 'ok\n');
  });

  it('opens a TCP connection to a server on the node through the SSH connection', async () => {
    const t = key();
    const node = set.nodes[1]!;
    const server = await t.execStream(
      `exec node -e ${shellQuote(
        "const s = require('http').createServer((q, r) => r.end('ready:' + q.url)); s.listen(0, '127.0.0.1', () => console.log(s.address().port));",
      )}`,
    );
    try {
      const port = await Promise.race([
        new Promise<number>((resolve) => server.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))),
        server.done.then((d) => {
          throw new Error(`test HTTP server exited: ${d.stderr}`);
        }),
      ]);
      assert.ok(port > 0, `port from node ${node.id}`);
      const socket = await t.connectTcp(port);
      const reply = await new Promise<string>((resolve) => {
        let body = '';
        socket.on('data', (d: Buffer) => (body += d.toString()));
        socket.on('end', () => resolve(body));
        socket.write('GET /readyz HTTP/1.0\r\nHost: x\r\n\r\n');
      });
      assert.match(reply, /^HTTP\/1\.[01] 200/);
      assert.match(reply, /ready:\/readyz$/);
      socket.destroy();
      await assert.rejects(t.connectTcp(1), (e) => isOcmError(e, 'unreachable'));
    } finally {
      server.cancel();
      await server.done.catch(() => undefined);
    }
  });

  it('closes an idle connection and reconnects on the next use', async () => {
    const idlePool = new SshPool({ idleTimeoutMs: 200 });
    try {
      const t = idlePool.transportFor(targetFor(set.nodes[1]!));
      await t.exec('true');
      assert.deepEqual(idlePool.openConnections(), ['node2']);
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual(idlePool.openConnections(), []);
      assert.equal((await t.exec('echo again')).stdout, 'again\n');
    } finally {
      await idlePool.close();
    }
  });

  it('never logs passwords or stdin', () => {
    const all = messages.join('\n');
    assert.ok(!all.includes(set.nodes[0]!.password!));
    assert.ok(!all.includes('hello'));
  });
});

void PassThrough;
