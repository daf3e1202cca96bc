import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { buildLocateScript, CONFIG_MARKER, LOGIN_VARS, MAX_CONFIG_BYTES, OPENCLAW_VARS } from '../../../src/core/openclaw/locate';
import { LOCATE_SH } from '../../../src/core/openclaw/locate-script';

/**
 * The discovery script is a real shell file (src/core/openclaw/locate.sh, issue 14): shellcheck
 * lints it (CI installs shellcheck; locally the lint is skipped, saying so, when it is missing),
 * its lists match the TypeScript side that parses its output, and the bundles carry it as text.
 */
const file = join(__dirname, '..', '..', '..', 'src', 'core', 'openclaw', 'locate.sh');
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

describe('locate.sh (the discovery script)', () => {
  it('passes shellcheck (POSIX sh)', (t) => {
    if (!hasShellcheck) {
      if (process.env.CI) assert.fail('shellcheck is missing on CI (.ci/run installs it)');
      t.skip('shellcheck is not installed here (apt-get install shellcheck); CI runs this lint');
      return;
    }
    const r = spawnSync('shellcheck', ['-s', 'sh', '-f', 'gcc', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('is what the sources load, and its lists match the parser', () => {
    assert.equal(LOCATE_SH, readFileSync(file, 'utf8'));
    assert.ok(LOCATE_SH.includes(`for v in ${OPENCLAW_VARS.join(' ')}; do`));
    assert.ok(LOCATE_SH.includes(`for v in ${LOGIN_VARS.join(' ')}; do`));
    assert.ok(LOCATE_SH.includes(`case "$line" in ${LOGIN_VARS.map((v) => `${v}=*`).join('|')})`));
    assert.ok(LOCATE_SH.includes(`l_bin=""; ${LOGIN_VARS.map((v) => `l_${v}=""`).join('; ')}`));
    assert.ok(LOCATE_SH.includes(`l_bin=$known_l_bin; ${LOGIN_VARS.map((v) => `l_${v}=$known_l_${v}`).join('; ')}`));
    assert.ok(LOCATE_SH.includes(`if [ "$size" -le ${MAX_CONFIG_BYTES} ]; then echo ${CONFIG_MARKER}; cat "$cfg"; fi`));
    assert.doesNotMatch(LOCATE_SH, /\$\{[A-Z_]+\(|`\s*\+/, 'no leftovers of the template literal');
  });

  it('runs under /bin/sh and reports what it finds (a home without OpenClaw)', () => {
    const out = execFileSync('/bin/sh', ['-c', buildLocateScript({}, { loginShell: false })], {
      env: { HOME: '/nonexistent-home', PATH: '/usr/bin:/bin' },
      encoding: 'utf8',
    });
    assert.match(out, /^home=\/nonexistent-home$/m);
    assert.match(out, /^state=\/nonexistent-home\/\.openclaw$/m);
    assert.match(out, /^supervisor=unmanaged$/m);
  });

  it('the bundles carry it as text (esbuild loader)', async () => {
    const { commonOptions } = await import('../../../scripts/bundles.mjs');
    const r = await esbuild.build({
      ...commonOptions(true),
      entryPoints: [join(__dirname, '..', '..', '..', 'src', 'core', 'openclaw', 'locate-script.ts')],
      write: false,
      sourcemap: false,
    });
    const js = r.outputFiles[0]!.text;
    assert.ok(js.includes('login_stamp_of()'), 'the script text is inside the bundle');
  });
});
