/**
 * A session row as OpenClaw stores or prints it, before usage rules are applied. Its own module so
 * every reader (status/sessions.ts: sessions.json and the CLI; sessions/rpc-read.ts: the gateway)
 * can produce it without importing the others.
 */
export interface RawSessionRow {
  agentId: string;
  key: string;
  row: Record<string, unknown>;
}
