/**
 * Text that came from a node (remote stderr inside an error message, a keyboard-interactive prompt
 * the server chose, a step note quoting a command's output) is shown on the user's terminal. Raw, its
 * escape sequences would act there: move the cursor, rewrite earlier lines (a fake "trusted"
 * line), retitle the window, or set the clipboard (OSC 52). So such text is made printable first:
 * ANSI/VT escape sequences and control characters go; newlines and tabs stay.
 */

// ESC-introduced sequences: CSI (ESC [ ... final), OSC / DCS / SOS / PM / APC (ended by BEL or ST),
// and two-character escapes (ESC + one char). Then 8-bit C1 controls and the rest of C0 and DEL.
const ESCAPES =
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b[\]PX^_][\s\S]*?(?:\x07|\x1b\\|$)|\x1b[\s\S]?|\x9b[0-?]*[ -/]*[@-~]|[\x9d\x90\x98\x9e\x9f][\s\S]*?(?:\x07|\x9c|$)/g;
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** `text` without terminal escape sequences or control characters (newline and tab kept; CRLF → LF). */
export function printableText(text: string): string {
  if (!/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(text)) return text;
  return text.replace(/\r\n/g, '\n').replace(ESCAPES, '').replace(CONTROLS, '');
}
