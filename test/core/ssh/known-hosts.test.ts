import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hashKnownHostName, hostFieldMatches, knownHostName, linesForHost, parseKnownHosts, readKnownHostsFiles } from '../../../src/core/ssh/known-hosts';
import { newKey, tempDir } from './fixtures';

describe('known_hosts reader', () => {
  it('names hosts like OpenSSH: bare on port 22, [host]:port otherwise, lowercased', () => {
    assert.equal(knownHostName('Web.Example', 22), 'web.example');
    assert.equal(knownHostName('127.0.0.1', 2222), '[127.0.0.1]:2222');
  });

  it('parses plain, comma-separated, [host]:port and marker lines and skips junk', () => {
    const a = newKey();
    const b = newKey('ecdsa');
    const text = [
      '# comment',
      '',
      `web.example,10.0.0.5 ${a.line} comment here`,
      `[127.0.0.1]:2222 ${b.line}`,
      `@revoked * ${a.line}`,
      `@cert-authority *.example ${b.line}`,
      `@unknown-marker x ${a.line}`,
      'garbage line',
      `mismatch ssh-rsa ${a.line.split(' ')[1]}`,
    ].join('\n');
    const lines = parseKnownHosts(text, 'kh');
    assert.deepEqual(
      lines.map((l) => [l.line, l.marker ?? '-', l.hosts, l.keyType]),
      [
        [3, '-', 'web.example,10.0.0.5', 'ssh-ed25519'],
        [4, '-', '[127.0.0.1]:2222', 'ecdsa-sha2-nistp256'],
        [5, 'revoked', '*', 'ssh-ed25519'],
        [6, 'cert-authority', '*.example', 'ecdsa-sha2-nistp256'],
      ],
    );
    assert.ok(lines[0]!.blob.equals(a.blob));
    assert.deepEqual(
      linesForHost(lines, '10.0.0.5').map((l) => l.line),
      [3, 5],
    );
    assert.deepEqual(
      linesForHost(lines, '[127.0.0.1]:2222').map((l) => l.line),
      [4, 5],
    );
    assert.deepEqual(
      linesForHost(lines, '127.0.0.1').map((l) => l.line),
      [5],
      'port 22 name does not match the [host]:port line',
    );
  });

  it('matches wildcards and negations', () => {
    assert.ok(hostFieldMatches('*.example,!bad.example', 'good.example'));
    assert.ok(!hostFieldMatches('*.example,!bad.example', 'bad.example'));
    assert.ok(hostFieldMatches('10.0.0.?', '10.0.0.7'));
    assert.ok(!hostFieldMatches('10.0.0.?', '10.0.0.77'));
    assert.ok(hostFieldMatches('WEB', 'web'));
  });

  it('matches hashed |1|salt|hash names, and agrees with ssh-keygen -H', async () => {
    const key = newKey();
    const field = hashKnownHostName('[Example.org]:2200', randomBytes(20));
    assert.ok(hostFieldMatches(field, '[example.org]:2200'));
    assert.ok(!hostFieldMatches(field, 'example.org'));

    const dir = await tempDir();
    const file = join(dir, 'known_hosts');
    await writeFile(file, `[hashed.example]:2200 ${key.line}\nplain.example ${key.line}\n`);
    const hashed = spawnSync('ssh-keygen', ['-H', '-f', file], { encoding: 'utf8' });
    assert.equal(hashed.status, 0, hashed.stderr);
    const lines = await readKnownHostsFiles([file, join(dir, 'missing')]);
    assert.equal(lines.length, 2);
    assert.ok(lines.every((l) => l.hosts.startsWith('|1|')));
    assert.equal(linesForHost(lines, '[hashed.example]:2200').length, 1);
    assert.equal(linesForHost(lines, 'plain.example').length, 1);
    assert.equal(linesForHost(lines, 'other.example').length, 0);
  });
});
