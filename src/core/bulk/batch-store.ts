import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { OcmError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import type { BatchRecord } from './types';

/**
 * Where bulk applies are recorded: <ocm home>/bulk/<id>.json, owner-only (0700 folder, 0600
 * files). The record is rewritten after every file the batch writes, so even a batch killed half
 * way names the files it changed and Undo can put them back.
 */

const ID = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;

export function bulkRoot(home: string): string {
  return join(home, 'bulk');
}

export function newBatchId(now: Date = new Date()): string {
  return `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
}

export async function saveBatch(home: string, record: BatchRecord): Promise<void> {
  if (!ID.test(record.id)) throw new OcmError('invalidInput', `"${record.id}" is not a bulk apply id.`);
  const root = bulkRoot(home);
  await fs.mkdir(root, { recursive: true, mode: 0o700 });
  await fs.chmod(root, 0o700);
  await writeFileAtomic(join(root, `${record.id}.json`), JSON.stringify(record, null, 2) + '\n', 0o600);
}

/** Every recorded batch, newest first (a damaged record is skipped, not fatal). */
export async function listBatches(home: string): Promise<BatchRecord[]> {
  const names = await fs.readdir(bulkRoot(home)).catch(() => [] as string[]);
  const out: BatchRecord[] = [];
  for (const name of names
    .filter((n) => n.endsWith('.json') && ID.test(n.slice(0, -5)))
    .sort()
    .reverse()) {
    try {
      out.push(JSON.parse(await fs.readFile(join(bulkRoot(home), name), 'utf8')) as BatchRecord);
    } catch {
      // skip
    }
  }
  return out;
}

/** The newest batch that still has files to undo (applied, partly undone, or killed while applying). */
export async function lastUndoableBatch(home: string): Promise<BatchRecord | undefined> {
  return (await listBatches(home)).find(
    (b) => ['applied', 'partlyUndone', 'applying', 'rollbackIncomplete'].includes(b.status) && b.files.some((f) => !f.undoneAt),
  );
}
