import { OcmError } from '../errors';

/**
 * A tiny JSON5 reader that keeps WHERE each value sits in the text, so a config can be edited in
 * place: comments, key order, quoting and layout the user chose all survive. (JSON5.stringify would
 * drop every comment; OpenClaw's own writes do that too, but a migration should not.)
 */

export type SpanNode =
  | { kind: 'object'; start: number; end: number; members: SpanMember[] }
  | { kind: 'array'; start: number; end: number; items: SpanNode[] }
  | { kind: 'string'; start: number; end: number; value: string }
  | { kind: 'scalar'; start: number; end: number; raw: string };

export interface SpanMember {
  key: string;
  keyStart: number;
  value: SpanNode;
}

/** Parses JSON5 text into span nodes (throws invalidConfig on a syntax error). */
export function parseJson5Spans(text: string, path = 'config'): SpanNode {
  let i = 0;
  const fail = (what: string): never => {
    const line = text.slice(0, i).split('\n').length;
    throw new OcmError('invalidConfig', `${path}:${line}: ${what}. Fix the file, then plan again.`, { path, line });
  };
  const skip = (): void => {
    for (;;) {
      const c = text[i];
      if (c === undefined) return;
      if (/\s/.test(c) || c === '\uFEFF') {
        i++;
      } else if (c === '/' && text[i + 1] === '/') {
        while (i < text.length && text[i] !== '\n') i++;
      } else if (c === '/' && text[i + 1] === '*') {
        const endAt = text.indexOf('*/', i + 2);
        if (endAt < 0) fail('unterminated comment');
        i = endAt + 2;
      } else return;
    }
  };
  const readString = (): { value: string; start: number; end: number } => {
    const quote = text[i]!;
    const start = i++;
    let value = '';
    while (i < text.length && text[i] !== quote) {
      if (text[i] === '\\') {
        const n = text[i + 1];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' };
        if (n === 'u') {
          value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else if (n === '\n') {
          i += 2;
        } else {
          value += n !== undefined && simple[n] !== undefined ? simple[n] : (n ?? '');
          i += 2;
        }
      } else value += text[i++];
    }
    if (text[i] !== quote) fail('unterminated string');
    i++;
    return { value, start, end: i };
  };
  const value = (): SpanNode => {
    skip();
    const c = text[i];
    if (c === '{') {
      const start = i++;
      const members: SpanMember[] = [];
      for (;;) {
        skip();
        if (text[i] === '}') break;
        const keyStart = i;
        let key: string;
        if (text[i] === '"' || text[i] === "'") key = readString().value;
        else {
          const m = /^[A-Za-z_$][\w$]*/.exec(text.slice(i));
          if (!m) fail('expected a key');
          key = m![0];
          i += key.length;
        }
        skip();
        if (text[i] !== ':') fail(`expected ":" after "${key}"`);
        i++;
        members.push({ key, keyStart, value: value() });
        skip();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail('expected "," or "}"');
      }
      i++;
      return { kind: 'object', start, end: i, members };
    }
    if (c === '[') {
      const start = i++;
      const items: SpanNode[] = [];
      for (;;) {
        skip();
        if (text[i] === ']') break;
        items.push(value());
        skip();
        if (text[i] === ',') i++;
        else if (text[i] !== ']') fail('expected "," or "]"');
      }
      i++;
      return { kind: 'array', start, end: i, items };
    }
    if (c === '"' || c === "'") return { kind: 'string', ...readString() };
    const m = /^[^\s,}\]/]+/.exec(text.slice(i));
    if (!m) fail('expected a value');
    const start = i;
    i += m![0].length;
    return { kind: 'scalar', start, end: i, raw: m![0] };
  };
  const root = value();
  skip();
  if (i < text.length) fail('unexpected text after the end');
  return root;
}

/** The member `key` of an object node, if present (the last one wins, like JSON5.parse). */
export function memberOf(node: SpanNode | undefined, key: string): SpanMember | undefined {
  if (!node || node.kind !== 'object') return undefined;
  return [...node.members].reverse().find((m) => m.key === key);
}

/** A JSON5 literal for a value, in the style of the file (double quotes). */
export function literal(value: string | number | boolean): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/**
 * Sets `path` (e.g. ['gateway','port']) to `valueLiteral` in JSON5 text, keeping everything else.
 * Replaces an existing value; otherwise adds the member to the nearest existing object (creating
 * the missing intermediate objects). An object with `$include` gets the key as a sibling: OpenClaw
 * merges sibling keys over the included content, so the sibling wins.
 */
export function setJson5Value(text: string, path: readonly string[], valueLiteral: string, file = 'config'): string {
  const root = parseJson5Spans(text, file);
  if (root.kind !== 'object') throw new OcmError('invalidConfig', `${file}: the top level must be an object.`, { path: file });
  let node: SpanNode = root;
  for (let depth = 0; depth < path.length; depth++) {
    const member = memberOf(node, path[depth]!);
    if (!member) return insertMember(text, node as Extract<SpanNode, { kind: 'object' }>, path.slice(depth), valueLiteral);
    if (depth === path.length - 1) return text.slice(0, member.value.start) + valueLiteral + text.slice(member.value.end);
    if (member.value.kind !== 'object') {
      // A scalar where an object is needed: replace it with the nested object.
      return text.slice(0, member.value.start) + nestedLiteral(path.slice(depth + 1), valueLiteral) + text.slice(member.value.end);
    }
    node = member.value;
  }
  return text;
}

function nestedLiteral(path: readonly string[], valueLiteral: string): string {
  let out = valueLiteral;
  for (let k = path.length - 1; k >= 0; k--) out = `{ ${keyText(path[k]!)}: ${out} }`;
  return out;
}

function keyText(key: string): string {
  return IDENT.test(key) ? key : JSON.stringify(key);
}

function insertMember(text: string, obj: Extract<SpanNode, { kind: 'object' }>, path: readonly string[], valueLiteral: string): string {
  const member = `${keyText(path[0]!)}: ${nestedLiteral(path.slice(1), valueLiteral)}`;
  const last = obj.members[obj.members.length - 1];
  if (!last) return text.slice(0, obj.start + 1) + ` ${member} ` + text.slice(obj.end - 1);
  // Indentation of the last member's line, so the new member lines up with it.
  const lineStart = text.lastIndexOf('\n', last.keyStart) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  const multiline = text.slice(obj.start, obj.end).includes('\n');
  // Insert right after the last value (before any trailing comma / comment).
  const at = last.value.end;
  const rest = text.slice(at);
  const trailingComma = /^\s*,/.exec(rest);
  if (trailingComma) {
    const after = at + trailingComma[0].length;
    return text.slice(0, after) + (multiline ? `\n${indent}${member},` : ` ${member},`) + text.slice(after);
  }
  return text.slice(0, at) + (multiline ? `,\n${indent}${member}` : `, ${member}`) + text.slice(at);
}
