import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { appendLines, findHeadings, parseHeadingQuery, replaceSection } from '../../../src/core/bulk';
import { computeResult } from '../../../src/core/bulk';

const ok = (r: ReturnType<typeof replaceSection>): string => {
  assert.ok(r.ok, JSON.stringify(r));
  return r.text;
};

describe('Markdown section replace', () => {
  const doc = ['# Agent', '', 'intro', '', '## Tools', '', '- old tool', '', '### Tool details', 'nested old', '', '## Rules', 'keep me', ''].join('\n');

  it('replaces a section up to the next heading of the same level, nested headings included', () => {
    const out = ok(replaceSection(doc, parseHeadingQuery('## Tools'), '- new tool\n'));
    assert.equal(out, ['# Agent', '', 'intro', '', '## Tools', '- new tool', '', '## Rules', 'keep me', ''].join('\n'));
  });

  it('a replacement that starts with the same heading replaces the heading line too', () => {
    const out = ok(replaceSection(doc, parseHeadingQuery('Tools'), '## Tools\n\n- new\n'));
    assert.match(out, /## Tools\n\n- new\n\n## Rules/);
    assert.equal(out.match(/## Tools/g)?.length, 1);
  });

  it('a nested heading is its own section, ending at the next heading of its level or higher', () => {
    const out = ok(replaceSection(doc, parseHeadingQuery('### Tool details'), 'nested new\n'));
    assert.match(out, /- old tool\n\n### Tool details\nnested new\n\n## Rules\nkeep me\n$/);
  });

  it('the last section runs to the end of the file; a missing final newline stays missing', () => {
    const out = ok(replaceSection('# A\n\n## Rules\nold', parseHeadingQuery('Rules'), 'new\n'));
    assert.equal(out, '# A\n\n## Rules\nnew');
  });

  it('# lines inside code fences are not headings (``` and ~~~, longer fences, info strings)', () => {
    const text = [
      '## Tools',
      '```bash',
      '# not a heading',
      '## Rules',
      '```',
      'after fence',
      '~~~~',
      '## Rules',
      '~~~',
      '~~~~~',
      '````md',
      '```',
      '## Rules',
      '````',
      '## Rules',
      'real',
    ].join('\n');
    const heads = findHeadings(text);
    assert.deepEqual(
      heads.map((h) => [h.text, h.line]),
      [
        ['Tools', 0],
        ['Rules', 14],
      ],
    );
    const out = ok(replaceSection(text, parseHeadingQuery('Tools'), 'replaced\n'));
    assert.equal(out, '## Tools\nreplaced\n## Rules\nreal');
  });

  it('keeps CRLF line ends and converts the replacement to them', () => {
    const crlf = '# A\r\n\r\n## Tools\r\nold\r\n\r\n## Rules\r\nkeep\r\n';
    const out = ok(replaceSection(crlf, parseHeadingQuery('## Tools'), 'one\ntwo\n'));
    assert.equal(out, '# A\r\n\r\n## Tools\r\none\r\ntwo\r\n\r\n## Rules\r\nkeep\r\n');
    assert.ok(!/[^\r]\n/.test(out), 'no bare LF in a CRLF file');
  });

  it('a missing heading is an answer, not an append; a repeated one asks for precision', () => {
    const missing = replaceSection(doc, parseHeadingQuery('Nope'), 'x');
    assert.equal(missing.ok, false);
    assert.equal(!missing.ok && missing.reason, 'headingMissing');
    const twice = '## Notes\na\n## Notes\nb\n';
    const amb = replaceSection(twice, parseHeadingQuery('Notes'), 'x');
    assert.equal(!amb.ok && amb.reason, 'headingAmbiguous');
    // the level disambiguates
    const levels = ok(replaceSection('# Notes\n## Notes\nb\n', parseHeadingQuery('## Notes'), 'c\n'));
    assert.equal(levels, '# Notes\n## Notes\nc\n');
  });

  it('matches headings with closing #s, extra spaces and setext underlines; front matter is not a heading', () => {
    assert.deepEqual(parseHeadingQuery('  ##   Tools  ## '), { level: 2, text: 'Tools' });
    const text = '---\ntitle: x\n---\nPersona\n=======\n\nold\n\n##  Tools  ##\nt\n';
    const heads = findHeadings(text);
    assert.deepEqual(
      heads.map((h) => [h.level, h.text]),
      [
        [1, 'Persona'],
        [2, 'Tools'],
      ],
    );
    const out = ok(replaceSection(text, parseHeadingQuery('Persona'), 'new persona\n'));
    assert.equal(out, '---\ntitle: x\n---\nPersona\n=======\nnew persona\n');
  });

  it('append adds a line end to a file without one and follows CRLF', () => {
    assert.equal(appendLines('a', 'b\nc'), 'a\nb\nc\n');
    assert.equal(appendLines('a\r\n', 'b\n'), 'a\r\nb\r\n');
    assert.equal(appendLines('', 'b'), 'b\n');
  });

  it('computeResult: template replaces, append/section need an existing text file, a BOM is kept', () => {
    const bom = Buffer.from('\uFEFF## Tools\nold\n', 'utf8');
    const r = computeResult(bom, { mode: 'replaceSection', heading: 'Tools', content: Buffer.from('new\n') });
    assert.ok('after' in r);
    assert.equal(r.after.toString('utf8'), '\uFEFF## Tools\nnew\n');
    const missing = computeResult(undefined, { mode: 'append', content: Buffer.from('x') });
    assert.ok('reason' in missing && missing.reason === 'fileMissing');
    const binary = computeResult(Buffer.from([0, 1, 2]), { mode: 'append', content: Buffer.from('x') });
    assert.ok('reason' in binary && binary.reason === 'notText');
    const tpl = computeResult(undefined, { mode: 'template', content: Buffer.from('T') });
    assert.ok('after' in tpl && tpl.after.toString() === 'T');
  });
});
