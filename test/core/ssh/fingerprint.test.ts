import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { keyTypeLabel, keyTypeOfBlob, sha256Fingerprint } from '../../../src/core/ssh/fingerprint';
import { newKey, tempDir } from './fixtures';

describe('host key fingerprints', () => {
  it('prints SHA256:<unpadded base64> exactly like ssh-keygen -lf', async () => {
    const key = newKey();
    const fp = sha256Fingerprint(key.blob);
    assert.match(fp, /^SHA256:[A-Za-z0-9+/]{43}$/);
    const dir = await tempDir();
    await writeFile(join(dir, 'k.pub'), `${key.line} test\n`);
    const keygen = spawnSync('ssh-keygen', ['-lf', join(dir, 'k.pub')], { encoding: 'utf8' });
    assert.equal(keygen.status, 0, keygen.stderr);
    assert.equal(keygen.stdout.split(' ')[1], fp);
  });

  it('reads the key type from the blob', () => {
    assert.equal(keyTypeOfBlob(newKey().blob), 'ssh-ed25519');
    assert.equal(keyTypeOfBlob(newKey('ecdsa').blob), 'ecdsa-sha2-nistp256');
    assert.equal(keyTypeOfBlob(Buffer.from([0, 0])), 'unknown');
    assert.equal(keyTypeOfBlob(Buffer.from([0, 0, 0, 200, 1])), 'unknown');
    assert.equal(keyTypeLabel('ecdsa-sha2-nistp256'), 'ECDSA');
  });
});
