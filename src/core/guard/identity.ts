/**
 * Names an agent goes by, for the identity half of the mix-up guard: the configured `name` and
 * the name its IDENTITY.md gives ("- **Name:** Atlas", "Name: Atlas", "名前: アトラス"). Agent ids
 * are not used as names: ids like `main`, `work` or `ops` are ordinary words in any memory.
 */

const NAME_FIELD = /^\s*(?:[-*+]\s*)?(?:\*\*|__)?\s*(?:name|名前)\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*(.+?)\s*(?:\*\*|__)?\s*$/im;

/** The name IDENTITY.md gives, unless it is still the template's placeholder. */
export function identityName(identityMd: string): string | undefined {
  const m = NAME_FIELD.exec(identityMd);
  const name = m?.[1]?.replace(/[*_`]/g, '').trim();
  if (!name || /^\(.*\)$/.test(name) || name.length > 60) return undefined;
  return name;
}

/** A usable name: at least 3 characters (2 for CJK), not a generic word. */
export function usableName(name: string | undefined): boolean {
  if (!name) return false;
  const n = name.trim();
  if (/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u.test(n)) return n.length >= 2;
  return n.length >= 3 && !GENERIC.has(n.toLowerCase());
}

const GENERIC = new Set(['main', 'agent', 'assistant', 'default', 'work', 'bot', 'claw', 'openclaw', 'helper', 'the assistant', 'ai']);

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The name as a whole word (CJK names: as a substring). */
export function namePattern(name: string): RegExp {
  const n = escape(name.trim());
  return /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u.test(name)
    ? new RegExp(n, 'u')
    : new RegExp(`(?<![\\p{L}\\p{N}_])${n}(?![\\p{L}\\p{N}_])`, 'iu');
}

/** A line where the file says who it is: "I am Y", "my name is Y", "Name: Y", "You are Y", "私はY"... */
export function identityStatement(name: string): RegExp {
  const n = escape(name.trim());
  return new RegExp(
    `(?:\\bi am|\\bi'm|\\bmy name is|\\bcall me|\\byou are|\\byou're|\\bname\\s*\\**\\s*[:：]|私は|僕は|名前は|名前\\s*[:：]|あなたは)\\s*\\**\\s*${n}`,
    'iu',
  );
}
