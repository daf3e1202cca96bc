/**
 * Edits of Markdown files that bulk apply makes: replace one section (found by its heading) or
 * append lines. Written for agent files (SOUL.md, AGENTS.md ...), which are hand-written Markdown:
 * ATX headings (`## Tools`), fenced code blocks whose `#` lines are NOT headings, CRLF files.
 * A section is its heading line and everything up to the next heading of the same or a higher
 * level (fewer `#`), or the end of the file. Setext headings (underlined with === / ---) count too.
 */

export interface HeadingMatch {
  level: number;
  text: string;
  /** Index of the heading's first line. */
  line: number;
  /** Index of the first line after the section. */
  end: number;
}

export type SectionResult =
  { ok: true; text: string; section: HeadingMatch } | { ok: false; reason: 'headingMissing' | 'headingAmbiguous'; matches: HeadingMatch[] };

/** A heading as the user gives it: `## Tools` (that level only) or `Tools` (any level). */
export interface HeadingQuery {
  level?: number;
  text: string;
}

export function parseHeadingQuery(raw: string): HeadingQuery {
  const m = /^\s*(#{1,6})\s+(.*?)\s*#*\s*$/.exec(raw);
  if (m) return { level: m[1]!.length, text: normalizeHeading(m[2]!) };
  return { text: normalizeHeading(raw) };
}

/** Lines with their own line ends kept (`\r\n`, `\n`, or '' for a last line without one). */
export function splitLines(text: string): { body: string; eol: string }[] {
  const out: { body: string; eol: string }[] = [];
  const re = /\r\n|\n/g;
  let start = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    out.push({ body: text.slice(start, m.index), eol: m[0] });
    start = m.index + m[0].length;
  }
  if (start < text.length) out.push({ body: text.slice(start), eol: '' });
  return out;
}

/** `\r\n` when most line ends of the text are CRLF, else `\n`. */
export function dominantEol(text: string): string {
  const crlf = (text.match(/\r\n/g) ?? []).length;
  const lf = (text.match(/\n/g) ?? []).length - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

/** Every heading of the document with the line range of its section, code blocks skipped. */
export function findHeadings(text: string): HeadingMatch[] {
  const lines = splitLines(text);
  const heads: { level: number; text: string; line: number }[] = [];
  let fence: { char: string; len: number } | undefined;
  let inFrontMatter = lines[0]?.body === '---';
  /** The previous line was paragraph text (a setext underline then belongs to a longer paragraph). */
  let prevText = false;
  for (let i = 0; i < lines.length; i++) {
    const body = lines[i]!.body;
    if (inFrontMatter) {
      if (i > 0 && (body === '---' || body === '...')) inFrontMatter = false;
      continue;
    }
    const f = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(body);
    if (fence) {
      if (f && f[1]![0] === fence.char && f[1]!.length >= fence.len && f[2]!.trim() === '') fence = undefined;
      prevText = false;
      continue;
    }
    if (f && !(f[1]![0] === '`' && f[2]!.includes('`'))) {
      fence = { char: f[1]![0]!, len: f[1]!.length };
      prevText = false;
      continue;
    }
    const atx = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(body);
    if (atx) {
      heads.push({ level: atx[1]!.length, text: normalizeHeading(atx[2] ?? ''), line: i });
      prevText = false;
      continue;
    }
    // Setext: a one-line paragraph followed by === (level 1) or --- (level 2).
    const next = lines[i + 1]?.body;
    if (next !== undefined && body.trim() !== '' && !/^ {4}/.test(body) && /^ {0,3}(=+|-+)[ \t]*$/.test(next) && !isBlockStart(body) && !prevText) {
      heads.push({ level: next.trim()[0] === '=' ? 1 : 2, text: normalizeHeading(body), line: i });
      i += 1;
      prevText = false;
      continue;
    }
    prevText = body.trim() !== '';
  }
  return heads.map((h, k) => {
    const next = heads.slice(k + 1).find((n) => n.level <= h.level);
    return { ...h, end: next ? next.line : lines.length };
  });
}

function isBlockStart(line: string): boolean {
  return /^ {0,3}([-*+]\s|\d+[.)]\s|>|\||<)/.test(line);
}

function normalizeHeading(s: string): string {
  return s.trim().replace(/\s+/g, ' ');
}

/**
 * Replaces the section under `heading` with `replacement`. When the replacement starts with the
 * same heading, it replaces the heading line too; otherwise the heading line stays and only the
 * section's body is replaced. Line ends of the replacement follow the file (CRLF stays CRLF), a
 * blank line before the next heading is kept, and nothing outside the section changes by a byte.
 * A heading that is not there (or there twice) is an answer, never a silent append.
 */
export function replaceSection(text: string, heading: HeadingQuery, replacement: string): SectionResult {
  const all = findHeadings(text);
  const matches = all.filter((h) => h.text === heading.text && (heading.level === undefined || h.level === heading.level));
  if (matches.length === 0) return { ok: false, reason: 'headingMissing', matches: [] };
  if (matches.length > 1) return { ok: false, reason: 'headingAmbiguous', matches };
  const section = matches[0]!;
  const lines = splitLines(text);
  const eol = dominantEol(text);
  const repl = splitLines(replacement.replace(/\r\n/g, '\n'));
  // Does the replacement bring its own heading line (the same heading)?
  const replHeads = findHeadings(replacement.replace(/\r\n/g, '\n'));
  const ownHeading = replHeads[0]?.line === 0 && replHeads[0].text === section.text;
  const keepHeadLines = ownHeading ? 0 : lines[section.line + 1] && isSetextUnderline(lines, section.line) ? 2 : 1;
  const start = section.line + keepHeadLines;
  const before = lines
    .slice(0, start)
    .map((l) => l.body + l.eol)
    .join('');
  const after = lines
    .slice(section.end)
    .map((l) => l.body + l.eol)
    .join('');
  // A heading line kept without a line end (last line of the file) needs one before the body.
  const joint = keepHeadLines > 0 && lines[start - 1]!.eol === '' && repl.length > 0 ? eol : '';
  let newBody = repl.map((l) => l.body + eol).join('');
  // The old section ended with a blank line before the next heading: keep that spacing.
  const oldTail = lines.slice(start, section.end);
  const hadBlankBeforeNext = section.end < lines.length && oldTail.length > 0 && oldTail[oldTail.length - 1]!.body.trim() === '';
  if (hadBlankBeforeNext && !/(\r?\n){2}$/.test(newBody) && newBody !== '') newBody += eol;
  // The last section of a file that did not end with a line end: keep it that way.
  if (section.end === lines.length && lines.length > 0 && lines[lines.length - 1]!.eol === '' && newBody.endsWith(eol)) newBody = newBody.slice(0, -eol.length);
  return { ok: true, text: before + joint + newBody + after, section };
}

function isSetextUnderline(lines: { body: string }[], headingLine: number): boolean {
  const body = lines[headingLine]!.body;
  return !/^ {0,3}#/.test(body) && /^ {0,3}(=+|-+)[ \t]*$/.test(lines[headingLine + 1]?.body ?? '');
}

/**
 * Appends `addition` at the end: a file without a final line end gets one first, line ends follow
 * the file's, and the addition ends with a line end.
 */
export function appendLines(text: string, addition: string): string {
  const eol = text === '' ? dominantEol(addition) : dominantEol(text);
  const body = splitLines(addition.replace(/\r\n/g, '\n'))
    .map((l) => l.body + eol)
    .join('');
  if (body === '') return text;
  const sep = text !== '' && !text.endsWith('\n') ? eol : '';
  return text + sep + body;
}
