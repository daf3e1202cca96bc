import { dirname } from 'node:path';
import { OcmError } from '../errors';
import { BackupStore } from './store';

/**
 * A plan's "after" bytes come from a backup named by repository folder and ids (a plan is data:
 * shown as JSON, kept for undo), read here through one store per repository.
 */

export interface BackupRef {
  repositoryRoot: string;
  nodeId: string;
  backupId: string;
}

const stores = new Map<string, BackupStore>();

export function storeOf(ref: Pick<BackupRef, 'repositoryRoot'>): BackupStore {
  let store = stores.get(ref.repositoryRoot);
  if (!store) stores.set(ref.repositoryRoot, (store = new BackupStore(dirname(ref.repositoryRoot))));
  return store;
}

export async function readFromBackupMany(ref: BackupRef, paths: readonly string[], _options: { signal?: AbortSignal } = {}): Promise<Map<string, Buffer>> {
  return storeOf(ref).readFiles({ nodeId: ref.nodeId, id: ref.backupId }, paths);
}

export async function readFromBackup(ref: BackupRef, path: string, options: { signal?: AbortSignal } = {}): Promise<Buffer> {
  const data = (await readFromBackupMany(ref, [path], options)).get(path);
  if (!data) throw new OcmError('notFound', `${path} is not a file in backup ${ref.nodeId}/${ref.backupId}.`, { path });
  return data;
}
