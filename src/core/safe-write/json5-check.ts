import { OcmError } from '../errors';
import { json5 } from '../vendor';

/** Refuses content that is not JSON5, naming line and column as JSON5 reports them. */
export function checkJson5(content: Uint8Array, remotePath: string, nodeId: string): void {
  const text = Buffer.from(content).toString('utf8');
  try {
    json5().parse(text);
  } catch (e) {
    const err = e as SyntaxError & { lineNumber?: number; columnNumber?: number };
    const where = err.lineNumber !== undefined ? ` at line ${err.lineNumber}, column ${err.columnNumber}` : '';
    const reason = err.message.replace(/^JSON5: /, '').replace(/ at \d+:\d+$/, '');
    throw new OcmError(
      'invalidConfig',
      `${remotePath} on ${nodeId} was not saved: it is not valid JSON5${where} (${reason}). Fix it and save again; the file on the node is unchanged.`,
      { nodeId, remotePath, line: err.lineNumber, column: err.columnNumber, reason },
    );
  }
}
