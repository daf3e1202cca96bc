import { spawn } from 'node:child_process';

/**
 * The demo's stand-in for an agent writing its own memory: a tiny Node.js process that appends a
 * dated note to one MEMORY.md every 45–90 s, the way OpenClaw's memory flush does while a human
 * may have the same file open. It makes the safe-save conflict dialog something a newcomer can
 * actually see. It writes nothing else and exits when its file's folder disappears.
 */

export const MEMORY_AGENT_NOTES = [
  'Checked the overnight queue: 0 failed jobs, 2 retried (both the invoices export, known flaky).',
  'Research asked for the Q3 churn numbers again; pointed it at memory/ instead of re-deriving.',
  'Gateway restarted cleanly after the config change; sessions resumed without loss.',
  'Support reports three tickets about the CSV import; same root cause as last week (BOM in header).',
  'Reminder from Dana: freeze deploys Friday after 15:00 UTC.',
  'Backup of this node verified; restore drill next Tuesday.',
  'Trimmed the research reading list to the five papers we actually cite.',
  'Customer "Northwind" moved to the EU region; update the routing note when confirmed.',
  'Heartbeat quiet for 2 h; nothing to escalate.',
  'Noted: the support macro for refunds now needs a ticket link, per finance.',
];

/** The agent's program (run with `node -e`; argv: file, min seconds, max seconds). */
export const MEMORY_AGENT_SCRIPT = `
const fs = require('node:fs');
const path = require('node:path');
const [file, minS, maxS] = process.argv.slice(1);
const notes = ${JSON.stringify(MEMORY_AGENT_NOTES)};
let n = Math.floor(Math.random() * notes.length);
const stamp = () => new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
function tick() {
  if (!fs.existsSync(path.dirname(file))) process.exit(0);
  try { fs.appendFileSync(file, '- ' + stamp() + ' — ' + notes[n++ % notes.length] + '\\n'); } catch {}
  schedule();
}
function schedule() {
  const min = Number(minS) * 1000, max = Number(maxS) * 1000;
  setTimeout(tick, min + Math.random() * Math.max(0, max - min));
}
process.on('SIGTERM', () => process.exit(0));
schedule();
`;

/** Starts the agent detached (it outlives its parent until stopped by pid). Returns its pid. */
export function startMemoryAgent(nodeBin: string, file: string, options: { minSeconds?: number; maxSeconds?: number } = {}): number {
  const child = spawn(nodeBin, ['-e', MEMORY_AGENT_SCRIPT, file, String(options.minSeconds ?? 45), String(options.maxSeconds ?? 90)], {
    detached: true,
    stdio: 'ignore',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start the demo memory agent with ${nodeBin}`);
  return child.pid;
}
