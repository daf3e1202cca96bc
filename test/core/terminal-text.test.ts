import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OcmError } from '../../src/core/errors';
import { printableText } from '../../src/core/terminal-text';

/** Remote text made printable before it reaches a terminal (issue 14.11). */
describe('printableText', () => {
  it('removes CSI, OSC (BEL- or ST-ended), DCS, C1 and other controls; keeps newlines, tabs and Unicode', () => {
    assert.equal(printableText('a\x1b[31mred\x1b[0m b'), 'ared b');
    assert.equal(printableText('x\x1b]0;title\x07y\x1b]52;c;aGk=\x1b\\z'), 'xyz');
    assert.equal(printableText('\x1bPq#0;2;0;0;0\x1b\\ok'), 'ok');
    assert.equal(printableText('over\rwrite\b\x07 \x9b2J\x85'), 'overwrite ');
    assert.equal(printableText('line 1\r\nline\t2\n日本語'), 'line 1\nline\t2\n日本語');
    assert.equal(printableText('plain'), 'plain');
  });

  it('an OcmError quoting remote stderr carries no escape sequence', () => {
    const e = new OcmError('failed', 'tar failed on n1 (exit 2): \x1b[2K\x1b[1A\x1b[32mall good\x1b[0m');
    assert.equal(e.message, 'tar failed on n1 (exit 2): all good');
    assert.equal(JSON.stringify(e.toJSON()).includes('\\u001b'), false);
  });
});
